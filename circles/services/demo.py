"""A demo circle with members and a season of answers, for trying the API and summaries."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.models import (
    Answer,
    AnswerKind,
    CheckIn,
    CheckInStatus,
    Circle,
    Consent,
    FlowRun,
    FlowStatus,
    Inquiry,
    Membership,
    Person,
    Phase,
    Role,
    Strategy,
)
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


@dataclass(frozen=True)
class DemoResult:
    """What :func:`seed_demo` made (or found)."""

    circle: Circle
    created: bool
    members: int
    checkins: int
    answers: int


async def seed_demo(session: AsyncSession, *, now: datetime, seed: int = 7) -> DemoResult:
    """Create the demo circle with 13 members and ``DEMO_WEEKS`` weeks of pilot check-ins.

    Running it again changes nothing and reports the existing circle.
    """
    existing = await session.scalar(select(Circle).where(Circle.name == DEMO_CIRCLE))
    if existing is not None:
        return DemoResult(existing, created=False, members=0, checkins=0, answers=0)
    rng = random.Random(seed)
    start = now - timedelta(weeks=DEMO_WEEKS + 2)
    circle = await create_circle(
        session,
        name=DEMO_CIRCLE,
        country="BR",
        language="pt_BR",
        timezone="America/Sao_Paulo",
        now=start,
        weekday=0,
        at=time(16, 0),
    )
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


def _person(name: str, now: datetime) -> Person:
    return Person(
        display_name=name,
        language="pt_BR",
        timezone="America/Sao_Paulo",
        consent=Consent.given,
        consent_at=now,
        created_at=now,
    )


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
    values: list[tuple[str, AnswerKind, object]],
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
    return await _record(
        session,
        run,
        when,
        [
            ("challenge", AnswerKind.text, rng.choice(_CHALLENGES)),
            ("affected", AnswerKind.text, "Year 7, about a third of the class"),
            ("strategy", AnswerKind.choice, inquiry.strategy.value if inquiry.strategy else None),
            ("practice", AnswerKind.text, inquiry.practice),
            ("readiness", AnswerKind.number, float(rng.randint(2, 4))),
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
            ("tried", AnswerKind.choice, tried),
            ("what_did", AnswerKind.text, rng.choice(_DID)),
            ("evidence", AnswerKind.text, "Most exit tickets showed the key idea; six did not."),
            ("how_well", AnswerKind.number, float(rating)),
            ("adjust", AnswerKind.text, rng.choice(_ADJUST)),
        ],
        checkin,
    )
