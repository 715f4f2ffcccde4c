"""Demo circles with members and a season of answers, for trying the bot, API and summaries.

:func:`seed_all` is what ``circles demo`` and the web simulator run on a fresh install:

* the demo circle (Brazil, Portuguese): 13 members, six weeks of pilot answers with each
  teacher's baseline and success evidence, a published practice and one awaiting review;
* a partner demo circle in another country (Ghana, English) with two published practices
  that may travel (share scope ``everyone``), one of them already sent to the Brazilian
  circle by the practice digest and tried by one of its teachers, so sharing, adoption and
  the repository show something at once. The other one is what the next digest sends.

All of it is on the demo side of the sandbox (:mod:`circles.services.sandbox`): real
circles never see it. Seeding again changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.models import (
    Adoption,
    Answer,
    AnswerKind,
    CheckIn,
    CheckInStatus,
    Circle,
    Consent,
    FlowRun,
    FlowStatus,
    GradeBand,
    Inquiry,
    Membership,
    Person,
    Phase,
    Practice,
    PracticeShare,
    PracticeStatus,
    Role,
    ShareScope,
    Strategy,
)
from circles.questions import Question
from circles.services.circles import create_circle

DEMO_CIRCLE = "Demo circle"
DEMO_WEEKS = 6

_TEACHERS = (
    "Ana Souza",
    "Kwame Mensah",
    "Mi-rae Kim",
    "Aminata Koné",
    "Lucía Pereira",
    "Nurul Aziz",
    "Lea Müller",
    "Giulia Rossi",
    "João Lima",
    "Efua Boateng",
)
_FACILITATORS = ("Paulo Freire-Costa", "Grace Owusu")
_UNION_REP = "Sérgio Almeida"
_CHALLENGES = (
    "Many students copy answers without checking if they understood.",
    "Quiet students never show me what they know until the test.",
    "Feedback on homework is ignored; the same mistakes come back.",
    "Students cannot say what a good piece of work looks like.",
)
_DID = (
    "Shared the learning intention and two success criteria at the start of the lesson.",
    "Used mini whiteboards so every student answered the hinge question.",
    "Students marked each other's paragraphs with a two-stars-and-a-wish sheet.",
    "Exit tickets with one question; I regrouped students the next day.",
)
_ADJUST = (
    "Give fewer criteria, written in the students' words.",
    "Ask the hinge question earlier so there is time to reteach.",
    "Model peer feedback with one anonymous example first.",
)
_EVIDENCE = "Most exit tickets showed the key idea; six did not."
_BASELINES = (
    "About a third of the class gets the exit question right.",
    "Five or six students answer; the rest wait for someone else.",
    "Students read the mark and put the homework away.",
)
_SUCCESS = (
    "Two thirds of the exit tickets show the key idea.",
    "Every student shows an answer on the whiteboard.",
    "Students change their work after reading the feedback.",
)


@dataclass(frozen=True)
class DemoResult:
    """What :func:`seed_demo` made (or found)."""

    circle: Circle
    created: bool
    members: int
    checkins: int
    answers: int
    #: The partner circle's name, when this run created it.
    partner: str | None = None


async def _free_name(session: AsyncSession, base: str = DEMO_CIRCLE) -> str:
    """``base``, or "``base`` 2" … when a real circle already has that name."""
    taken = set(await session.scalars(select(Circle.name).where(Circle.name.startswith(base))))
    number = 1
    while (name := base if number == 1 else f"{base} {number}") in taken:
        number += 1
    return name


async def seed_demo(session: AsyncSession, *, now: datetime, seed: int = 7) -> DemoResult:
    """Create the demo circle with 13 members and ``DEMO_WEEKS`` weeks of pilot check-ins.

    Running it again changes nothing and reports the existing demo circle. A real circle
    that happens to be called "Demo circle" is left alone: the demo takes the next free name.
    """
    existing = await session.scalar(select(Circle).where(Circle.demo).order_by(Circle.id).limit(1))
    if existing is not None:
        return DemoResult(existing, created=False, members=0, checkins=0, answers=0)
    rng = random.Random(seed)
    start = now - timedelta(weeks=DEMO_WEEKS + 2)
    circle = await create_circle(
        session,
        name=await _free_name(session),
        country="BR",
        language="pt_BR",
        timezone="America/Sao_Paulo",
        now=start,
        weekday=0,
        at=time(16, 0),
    )
    circle.demo = True
    people: list[tuple[Person, Role]] = [(_person(n, start), Role.teacher) for n in _TEACHERS]
    people += [(_person(n, start), Role.facilitator) for n in _FACILITATORS]
    people.append((_person(_UNION_REP, start), Role.union_rep))
    session.add_all(person for person, _ in people)
    await session.flush()
    session.add_all(
        Membership(person_id=p.id, circle_id=circle.id, role=role, joined_at=start)
        for p, role in people
    )
    checkins = answers = 0
    first_monday = _next_local(start + timedelta(days=7), circle)
    strategies = list(Strategy)
    for index, (teacher, _) in enumerate(p for p in people if p[1] is Role.teacher):
        inquiry = Inquiry(
            person_id=teacher.id,
            circle_id=circle.id,
            phase=Phase.pilot,
            strategy=strategies[index % len(strategies)],
            practice=_DID[index % len(_DID)],
            baseline=_BASELINES[index % len(_BASELINES)],
            success=_SUCCESS[index % len(_SUCCESS)],
            started_at=start + timedelta(days=2),
        )
        session.add(inquiry)
        await session.flush()
        answers += await _identify_answers(session, teacher, inquiry, rng, start)
        rating = rng.randint(2, 3)
        for week in range(DEMO_WEEKS):
            scheduled = first_monday + timedelta(weeks=week)
            answered = rng.random() < 0.8
            checkin = CheckIn(
                person_id=teacher.id,
                circle_id=circle.id,
                inquiry_id=inquiry.id,
                phase=Phase.pilot,
                iteration=week + 1,
                scheduled_for=scheduled,
                opened_at=scheduled,
                closes_at=scheduled + timedelta(days=6),
                status=CheckInStatus.answered if answered else CheckInStatus.missed,
                answered_at=scheduled + timedelta(hours=rng.randint(2, 48)) if answered else None,
            )
            session.add(checkin)
            await session.flush()
            checkins += 1
            if answered:
                rating = max(1, min(5, rating + rng.choice((-1, 0, 1, 1))))
                answers += await _pilot_answers(session, teacher, checkin, rating, rng)
    await session.flush()
    return DemoResult(circle, created=True, members=len(people), checkins=checkins, answers=answers)


_PRACTICES = (
    {
        "author": "Ana Souza",
        "status": PracticeStatus.published,
        "share_scope": ShareScope.everyone,
        "author_visible": True,
        "language": "pt_BR",
        "title": "Quadros brancos para perguntas-chave",
        "summary": "No meio da aula, todos respondem a uma pergunta-chave no quadro branco; "
        "reagrupo os alunos na hora conforme as respostas.",
        "strategy": Strategy.eliciting_evidence,
        "tags": ["eliciting_evidence", "feedback"],
        "subject": "Matemática",
        "grade": "8º ano",
        "grade_band": GradeBand.lower_secondary,
        "class_size": 32,
        "content": {
            "steps": "1. Prepare uma pergunta com alternativas que revelem erros comuns. "
            "2. Todos mostram a resposta ao mesmo tempo. 3. Reagrupe e reexplique.",
            "evidence": "Na terceira semana, dois terços acertaram a pergunta de saída "
            "(antes, um terço).",
            "conditions": "Precisa de quadros e canetas; a pergunta deve ser curta.",
            "lessons": "Perguntar cedo deixa tempo para reensinar.",
            "ratings": [2.0, 3.0, 4.0, 4.0],
        },
    },
    {
        "author": "Kwame Mensah",
        "status": PracticeStatus.in_review,
        "share_scope": ShareScope.country,
        "author_visible": False,
        "language": "en",
        "title": "Two stars and a wish for peer feedback",
        "summary": "Students give each other two strengths and one next step, using the "
        "success criteria on the board.",
        "strategy": Strategy.peer_assessment,
        "tags": ["peer_assessment"],
        "subject": "English",
        "grade": "Year 7",
        "grade_band": GradeBand.lower_secondary,
        "class_size": 28,
        "content": {
            "steps": "Model one example together; pairs swap paragraphs; each writes two "
            "stars and a wish; authors revise.",
            "evidence": "More revisions used the success criteria after three weeks.",
            "conditions": "Students need clear success criteria first.",
            "lessons": "An anonymous example makes the first round less personal.",
            "ratings": [2.0, 3.0, 3.0],
        },
    },
)


async def seed_practices(
    session: AsyncSession,
    *,
    circle: Circle,
    now: datetime,
    practices: tuple[dict[str, object], ...] = _PRACTICES,
) -> int:
    """Give a demo circle its practices (by default the demo circle's two), once.

    Kept apart from :func:`seed_demo` so the demo's weeks of answers stay as they are.
    """
    if await session.scalar(select(Practice.id).where(Practice.circle_id == circle.id).limit(1)):
        return 0
    authors = {
        p.display_name: p.id
        for p in await session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.circle_id == circle.id)
        )
    }
    made = 0
    for data in practices:
        fields = {k: v for k, v in data.items() if k != "author"}
        published = fields["status"] is PracticeStatus.published
        session.add(
            Practice(
                circle_id=circle.id,
                author_id=authors.get(str(data["author"])),
                country=circle.country,
                created_at=now - timedelta(days=10),
                updated_at=now - timedelta(days=3),
                published_at=now - timedelta(days=3) if published else None,
                **fields,
            )
        )
        made += 1
    await session.flush()
    return made


def _person(
    name: str, now: datetime, language: str = "pt_BR", timezone: str = "America/Sao_Paulo"
) -> Person:
    return Person(
        display_name=name,
        language=language,
        timezone=timezone,
        consent=Consent.given,
        consent_at=now,
        created_at=now,
    )


PARTNER_CIRCLE = "Demo circle (Ghana)"
_PARTNER_TEACHERS = ("Ama Owusu", "Kofi Asante", "Abena Mensah", "Yaw Boateng", "Akosua Darko")
_PARTNER_FACILITATOR = "Esi Appiah"
_PARTNER_PRACTICES: tuple[dict[str, object], ...] = (
    {
        "author": "Ama Owusu",
        "status": PracticeStatus.published,
        "share_scope": ShareScope.everyone,
        "author_visible": True,
        "language": "en",
        "title": "Exit tickets that decide tomorrow's groups",
        "summary": "One question on a slip at the end of the lesson; the answers sort the "
        "class into three groups for the next day's starter.",
        "strategy": Strategy.eliciting_evidence,
        "tags": ["eliciting_evidence", "self_assessment"],
        "subject": "Mathematics",
        "grade": "Basic 6",
        "grade_band": GradeBand.primary,
        "class_size": 45,
        "content": {
            "steps": "1. Write one question that shows the key idea. 2. Students answer on a "
            "slip as they leave. 3. Sort the slips into three piles and plan three starters.",
            "evidence": "After four weeks, 30 of 45 exit tickets were right (11 in week 1).",
            "conditions": "Works with large classes; keep the question to one line.",
            "lessons": "Sorting takes ten minutes; do it the same afternoon.",
            "ratings": [3.0, 3.0, 4.0, 5.0],
        },
    },
    {
        "author": "Kofi Asante",
        "status": PracticeStatus.published,
        "share_scope": ShareScope.everyone,
        "author_visible": False,
        "language": "en",
        "title": "Success criteria written with the class",
        "summary": "Before a writing task the class looks at two anonymous examples and "
        "agrees on three things a good answer does.",
        "strategy": Strategy.learning_intentions,
        "tags": ["learning_intentions", "peer_assessment"],
        "subject": "English",
        "grade": "JHS 1",
        "grade_band": GradeBand.lower_secondary,
        "class_size": 40,
        "content": {
            "steps": "Show a strong and a weak example; pairs name what makes the difference; "
            "write the three criteria on the board and keep them up.",
            "evidence": "More paragraphs had a topic sentence and an example (18 of 40, "
            "then 31 of 40).",
            "conditions": "The examples must be anonymous and short.",
            "lessons": "Students use criteria they wrote themselves.",
            "ratings": [2.0, 4.0, 4.0],
        },
    },
)


async def seed_partner(session: AsyncSession, *, now: datetime) -> Circle | None:
    """The partner demo circle in Ghana with its published practices; None if it exists."""
    if await session.scalar(select(Circle.id).where(Circle.demo, Circle.country == "GH")):
        return None
    circle = await create_circle(
        session,
        name=await _free_name(session, PARTNER_CIRCLE),
        country="GH",
        language="en",
        timezone="Africa/Accra",
        now=now - timedelta(weeks=DEMO_WEEKS + 2),
        weekday=1,
        at=time(15, 0),
    )
    circle.demo = True
    members = [(name, Role.teacher) for name in _PARTNER_TEACHERS]
    members.append((_PARTNER_FACILITATOR, Role.facilitator))
    people = [(_person(n, now, "en", "Africa/Accra"), role) for n, role in members]
    session.add_all(person for person, _ in people)
    await session.flush()
    session.add_all(
        Membership(person_id=p.id, circle_id=circle.id, role=role, joined_at=now)
        for p, role in people
    )
    await seed_practices(session, circle=circle, now=now, practices=_PARTNER_PRACTICES)
    return circle


async def _travel(session: AsyncSession, *, home: Circle, partner: Circle, now: datetime) -> None:
    """The partner's first practice reached the demo circle and one of its teachers tries it."""
    first = await session.scalar(
        select(Practice)
        .where(Practice.circle_id == partner.id, Practice.status == PracticeStatus.published)
        .order_by(Practice.id)
        .limit(1)
    )
    teacher = await session.scalar(
        select(Membership.person_id)
        .where(Membership.circle_id == home.id, Membership.role == Role.teacher)
        .order_by(Membership.id)
        .limit(1)
    )
    if first is None or teacher is None:
        return
    session.add(PracticeShare(circle_id=home.id, practice_id=first.id, sent_at=now))
    session.add(Adoption(practice_id=first.id, person_id=teacher, created_at=now))
    await session.flush()


async def seed_all(session: AsyncSession, *, now: datetime) -> DemoResult:
    """The demo circle, its practices and its partner circle: what a fresh install shows."""
    result = await seed_demo(session, now=now)
    await seed_practices(session, circle=result.circle, now=now)
    partner = await seed_partner(session, now=now)
    if partner is None:
        return result
    await _travel(session, home=result.circle, partner=partner, now=now - timedelta(days=2))
    return replace(result, partner=partner.name)


def _next_local(after: datetime, circle: Circle) -> datetime:
    """The first check-in time of the circle after ``after`` (in UTC)."""
    zone = ZoneInfo(circle.timezone)
    local = after.astimezone(zone)
    days = (circle.checkin_weekday - local.weekday()) % 7
    day = (local + timedelta(days=days)).date()
    return datetime.combine(day, circle.checkin_time, tzinfo=zone).astimezone(after.tzinfo)


async def _record(
    session: AsyncSession,
    run: FlowRun,
    when: datetime,
    values: list[tuple[Question, AnswerKind, object]],
    checkin: CheckIn | None = None,
) -> int:
    for key, kind, value in values:
        session.add(
            Answer(
                flow_run_id=run.id,
                person_id=run.person_id,
                checkin_id=checkin.id if checkin else None,
                flow_id=run.flow_id,
                flow_version=run.flow_version,
                question_key=key,
                kind=kind,
                value_text=value if kind is AnswerKind.text else None,
                value_choice=value if kind is AnswerKind.choice else None,
                value_number=value if kind is AnswerKind.number else None,
                created_at=when,
                updated_at=when,
            )
        )
    return len(values)


async def _identify_answers(
    session: AsyncSession, teacher: Person, inquiry: Inquiry, rng: random.Random, when: datetime
) -> int:
    run = FlowRun(
        person_id=teacher.id,
        flow_id="identify",
        flow_version=1,
        status=FlowStatus.completed,
        started_at=when,
        updated_at=when,
    )
    session.add(run)
    await session.flush()
    strategy = inquiry.strategy.value if inquiry.strategy else None
    return await _record(
        session,
        run,
        when,
        [
            (Question.challenge, AnswerKind.text, rng.choice(_CHALLENGES)),
            (Question.affected, AnswerKind.text, "Year 7, about a third of the class"),
            (Question.strategy, AnswerKind.choice, strategy),
            (Question.practice, AnswerKind.text, inquiry.practice),
            (Question.readiness, AnswerKind.number, float(rng.randint(2, 4))),
        ],
    )


async def _pilot_answers(
    session: AsyncSession, teacher: Person, checkin: CheckIn, rating: int, rng: random.Random
) -> int:
    when = checkin.answered_at or checkin.scheduled_for
    run = FlowRun(
        person_id=teacher.id,
        flow_id="pilot",
        flow_version=1,
        status=FlowStatus.completed,
        checkin_id=checkin.id,
        started_at=when,
        updated_at=when,
    )
    session.add(run)
    await session.flush()
    tried = rng.choice(("yes", "yes", "yes", "partly"))
    return await _record(
        session,
        run,
        when,
        [
            (Question.tried, AnswerKind.choice, tried),
            (Question.what_did, AnswerKind.text, rng.choice(_DID)),
            (Question.evidence, AnswerKind.text, _EVIDENCE),
            (Question.how_well, AnswerKind.number, float(rating)),
            (Question.adjust, AnswerKind.text, rng.choice(_ADJUST)),
        ],
        checkin,
    )
