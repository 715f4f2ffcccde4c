"""Two circles in two countries with everything the admin API shows, and tokens for each role.

Circle A is the demo circle's data standing for a real circle (Brazil, ten teachers, six
weeks of pilot check-ins, the last in week 2026-W35) plus reflections of every
visibility, a meeting with RSVPs, an invite, a practice awaiting review, a blocker, a
voice note and an evidence photo.
Circle B (Ghana) is small and has one of each thing, so that every id of B can be
tried with a token of A.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from circles.db import SessionMaker, transaction
from circles.models import (
    Answer,
    AnswerKind,
    Broadcast,
    BroadcastStatus,
    CheckIn,
    CheckInStatus,
    Circle,
    Consent,
    ExchangeSession,
    FlowRun,
    FlowStatus,
    Holiday,
    Hub,
    HubCircle,
    HubKind,
    Inquiry,
    Meeting,
    Membership,
    Person,
    Phase,
    Practice,
    PracticeStatus,
    Reflection,
    Role,
    Rsvp,
    RsvpResponse,
    SchoolYear,
    ShareScope,
    TokenRole,
    Visibility,
)
from circles.services.demo import seed_demo
from circles.services.invites import create_invite
from circles.services.tokens import create_token

from .people import telegram_identity
from .places import add_circle

#: When the world is built (the demo's "now"), and the Wednesday of its last week.
SEEDED_AT = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)
WEDNESDAY_W35 = datetime(2026, 8, 26, 12, 0, tzinfo=UTC)
LAST_WEEK = "2026-W35"


@dataclass
class Ids:
    """The ids of one circle's things."""

    circle: int = 0
    person: int = 0
    checkin: int = 0
    meeting: int = 0
    invite: int = 0
    practice: int = 0
    reflection: int = 0
    token: int = 0
    broadcast: int = 0
    holiday: int = 0
    #: A help request of the circle (a): an answer of one of its teachers (b).
    answer: int = 0
    hub: int = 0
    session: int = 0
    year: int = 0


@dataclass
class World:
    """What :func:`build_world` made."""

    a: Ids
    b: Ids
    secrets: dict[str, str] = field(default_factory=dict)
    token_ids: dict[str, int] = field(default_factory=dict)
    facilitator_a: int = 0
    union_rep_a: int = 0
    author_a: int = 0
    teachers_a: list[int] = field(default_factory=list)


def _person(name: str, *, language: str = "en") -> Person:
    return Person(
        display_name=name,
        language=language,
        timezone="UTC",
        consent=Consent.given,
        created_at=SEEDED_AT - timedelta(weeks=9),
    )


async def _answer(session, run: FlowRun, checkin: CheckIn | None, key: str, kind, **values):
    when = checkin.scheduled_for + timedelta(hours=3) if checkin else SEEDED_AT
    answer = Answer(
        flow_run_id=run.id,
        person_id=run.person_id,
        checkin_id=checkin.id if checkin else None,
        flow_id=run.flow_id,
        flow_version=1,
        question_key=key,
        kind=kind,
        created_at=when,
        updated_at=when,
        **values,
    )
    session.add(answer)
    await session.flush()
    return answer


async def build_world(sessions: SessionMaker) -> World:
    """Seed both circles and one token per role; return their ids and secrets."""
    world = World(a=Ids(), b=Ids())
    async with transaction(sessions) as session:
        demo = await seed_demo(session, now=SEEDED_AT)
        a = demo.circle
        a.demo = False  # a real circle here; the simulator's tests make it a demo again
        world.a.circle = a.id
        members = (
            await session.execute(
                select(Person, Membership.role)
                .join(Membership, Membership.person_id == Person.id)
                .where(Membership.circle_id == a.id)
                .order_by(Membership.id)
            )
        ).all()
        teachers = [p for p, role in members if role is Role.teacher]
        facilitator = next(p for p, role in members if role is Role.facilitator)
        union_rep = next(p for p, role in members if role is Role.union_rep)
        world.teachers_a = [t.id for t in teachers]
        ana = teachers[0]
        session.add_all(
            [
                telegram_identity(ana, 5001),
                telegram_identity(facilitator, 5101),
                telegram_identity(union_rep, 5201),
            ]
        )
        world.facilitator_a, world.union_rep_a, world.author_a = (
            facilitator.id,
            union_rep.id,
            ana.id,
        )
        world.a.person = ana.id

        last = (
            await session.scalars(
                select(CheckIn)
                .where(CheckIn.circle_id == a.id, CheckIn.status == CheckInStatus.answered)
                .order_by(CheckIn.scheduled_for.desc(), CheckIn.id)
            )
        ).first()
        assert last is not None
        world.a.checkin = last.id
        run = await session.scalar(select(FlowRun).where(FlowRun.checkin_id == last.id))
        assert run is not None
        help_request = await _answer(
            session, run, last, "help", AnswerKind.voice, file_id="voice-1", file_duration=12
        )
        world.a.answer = help_request.id
        # The demo stores evidence as text; make one of them a captioned photo.
        evidence = await session.scalar(
            select(Answer).where(Answer.checkin_id == last.id, Answer.question_key == "evidence")
        )
        assert evidence is not None
        evidence.kind, evidence.file_id = AnswerKind.photo, "photo-2"
        evidence.value_text = "Photo of two exit tickets"

        meeting = Meeting(
            circle_id=a.id,
            starts_at=last.scheduled_for + timedelta(days=2),
            ends_at=last.scheduled_for + timedelta(days=2, hours=1),
            place="School library",
            created_at=SEEDED_AT - timedelta(weeks=3),
        )
        session.add(meeting)
        await session.flush()
        world.a.meeting = meeting.id
        session.add_all(
            [
                Rsvp(
                    meeting_id=meeting.id,
                    person_id=teacher.id,
                    response=response,
                    responded_at=meeting.created_at,
                )
                for teacher, response in (
                    (teachers[0], RsvpResponse.yes),
                    (teachers[1], RsvpResponse.no),
                )
            ]
        )
        for teacher, visibility, word in (
            (teachers[0], Visibility.only_me, "private"),
            (teachers[1], Visibility.facilitators, "useful"),
            (teachers[2], Visibility.circle, "inspiring"),
        ):
            reflection = Reflection(
                person_id=teacher.id,
                circle_id=a.id,
                meeting_id=meeting.id,
                learnt=f"Learnt something ({word})",
                will_change="Ask fewer questions",
                one_word=word,
                visibility=visibility,
                created_at=meeting.ends_at + timedelta(hours=1),
            )
            session.add(reflection)
            await session.flush()
            world.a.reflection = reflection.id
        invite = await create_invite(session, circle=a, role=Role.teacher, now=SEEDED_AT)
        world.a.invite = invite.id
        inquiry = await session.scalar(select(Inquiry).where(Inquiry.person_id == ana.id))
        practice = Practice(
            circle_id=a.id,
            author_id=ana.id,
            inquiry_id=inquiry.id if inquiry else None,
            status=PracticeStatus.in_review,
            title="Mini whiteboards for hinge questions",
            country="BR",
            language="pt_BR",
            content={"steps": "Ask, show, regroup", "ratings": [2.0, 3.0, 4.0]},
            created_at=SEEDED_AT - timedelta(days=3),
            updated_at=SEEDED_AT - timedelta(days=3),
        )
        session.add(practice)
        await session.flush()
        world.a.practice = practice.id

        b = await add_circle(session, "Kumasi 2", now=SEEDED_AT - timedelta(weeks=9))
        world.b.circle = b.id
        kofi, abena = _person("Kofi Asante"), _person("Abena Ofori")
        grace = _person("Grace Owusu")
        session.add_all([kofi, abena, grace])
        await session.flush()
        session.add_all([telegram_identity(kofi, 6001), telegram_identity(grace, 6101)])
        world.b.person = kofi.id
        session.add_all(
            [
                Membership(person_id=p.id, circle_id=b.id, role=role, joined_at=b.created_at)
                for p, role in (
                    (kofi, Role.teacher),
                    (abena, Role.teacher),
                    (grace, Role.facilitator),
                )
            ]
        )
        b_inquiry = Inquiry(person_id=kofi.id, circle_id=b.id, phase=Phase.pilot)
        session.add(b_inquiry)
        await session.flush()
        checkin_b = CheckIn(
            person_id=kofi.id,
            circle_id=b.id,
            inquiry_id=b_inquiry.id,
            phase=Phase.pilot,
            iteration=1,
            scheduled_for=datetime(2026, 8, 24, 16, 0, tzinfo=UTC),
            status=CheckInStatus.answered,
            answered_at=datetime(2026, 8, 24, 18, 0, tzinfo=UTC),
        )
        session.add(checkin_b)
        await session.flush()
        world.b.checkin = checkin_b.id
        run_b = FlowRun(
            person_id=kofi.id,
            flow_id="pilot",
            flow_version=1,
            status=FlowStatus.completed,
            checkin_id=checkin_b.id,
        )
        session.add(run_b)
        await session.flush()
        rated = await _answer(
            session, run_b, checkin_b, "how_well", AnswerKind.number, value_number=5.0
        )
        world.b.answer = rated.id
        await _answer(
            session, run_b, checkin_b, "what_did", AnswerKind.text, value_text="Kofi's secret"
        )
        meeting_b = Meeting(
            circle_id=b.id,
            created_at=SEEDED_AT - timedelta(weeks=3),
            starts_at=datetime(2026, 8, 26, 15, 0, tzinfo=UTC),
            ends_at=datetime(2026, 8, 26, 16, 0, tzinfo=UTC),
        )
        session.add(meeting_b)
        await session.flush()
        world.b.meeting = meeting_b.id
        session.add(
            Rsvp(
                meeting_id=meeting_b.id,
                person_id=kofi.id,
                response=RsvpResponse.yes,
                responded_at=SEEDED_AT,
            )
        )
        reflection_b = Reflection(
            person_id=kofi.id,
            circle_id=b.id,
            meeting_id=meeting_b.id,
            learnt="B learnt",
            visibility=Visibility.circle,
            created_at=meeting_b.ends_at,
        )
        session.add(reflection_b)
        await session.flush()
        world.b.reflection = reflection_b.id
        world.b.invite = (
            await create_invite(session, circle=b, role=Role.teacher, now=SEEDED_AT)
        ).id
        practice_b = Practice(
            circle_id=b.id,
            author_id=kofi.id,
            status=PracticeStatus.in_review,
            title="Traffic-light cards",
            country="GH",
            language="en",
            created_at=SEEDED_AT - timedelta(days=2),
            updated_at=SEEDED_AT - timedelta(days=2),
        )
        session.add(practice_b)
        await session.flush()
        world.b.practice = practice_b.id

        for ids, circle in ((world.a, a), (world.b, b)):  # one holiday, after the seeded weeks
            holiday = Holiday(
                circle_id=circle.id,
                starts_on=date(2026, 12, 21),
                ends_on=date(2027, 1, 3),
                name="Year-end break",
            )
            session.add(holiday)
            await session.flush()
            ids.holiday = holiday.id
            ids.year = await session.scalar(  # its first school year, made with the circle
                select(SchoolYear.id).where(SchoolYear.circle_id == circle.id)
            )

        for ids, circle in ((world.a, a), (world.b, b)):  # one broadcast to each country
            broadcast = Broadcast(
                default_language="en",
                variants={"en": "Hub on Friday"},
                audience={"countries": [circle.country]},
                status=BroadcastStatus.done,
                created_by="seed",
                created_at=SEEDED_AT,
            )
            session.add(broadcast)
            await session.flush()
            ids.broadcast = broadcast.id

        for ids, circle in ((world.a, a), (world.b, b)):  # a national hub, a session each
            hub = Hub(
                name=f"{circle.country} national hub",
                kind=HubKind.national,
                country=circle.country,
                created_at=SEEDED_AT,
            )
            session.add(hub)
            await session.flush()
            session.add(HubCircle(hub_id=hub.id, circle_id=circle.id))
            exchange = ExchangeSession(
                title=f"Exchange in {circle.country}",
                audience={"countries": [circle.country], "hub_ids": [hub.id]},
                starts_at=datetime(2026, 10, 1, 14, 0, tzinfo=UTC),
                ends_at=datetime(2026, 10, 1, 15, 30, tzinfo=UTC),
                online_url="https://meet.example.org/exchange",
                created_by="seed",
                created_at=SEEDED_AT,
            )
            session.add(exchange)
            await session.flush()
            ids.hub, ids.session = hub.id, exchange.id

        for key, role, extra in (
            ("admin", TokenRole.admin, {}),
            ("coordinator", TokenRole.coordinator, {}),
            ("coordinator_gh", TokenRole.coordinator, {"countries": ["GH"]}),
            ("facilitator_a", TokenRole.facilitator, {"circle": a}),
            ("facilitator_b", TokenRole.facilitator, {"circle": b}),
            ("union_rep_a", TokenRole.union_rep, {"circle": a}),
            ("expired", TokenRole.admin, {"expires_at": SEEDED_AT - timedelta(days=30)}),
            ("revoked", TokenRole.admin, {}),
        ):
            issued = await create_token(
                session,
                role=role,
                name=key,
                actor="test",
                now=SEEDED_AT - timedelta(days=60),
                **extra,
            )
            world.secrets[key] = issued.secret
            world.token_ids[key] = issued.token.id or 0
            if key == "revoked":
                issued.token.revoked_at = SEEDED_AT - timedelta(days=1)
        world.a.token = world.token_ids["facilitator_a"]
        world.b.token = world.token_ids["facilitator_b"]
    return world


async def make_demo(sessions: SessionMaker, world: World) -> World:
    """Make circle A a demo circle, as the simulator's seeding would (B stays real)."""
    async with transaction(sessions) as session:
        await session.execute(update(Circle).where(Circle.id == world.a.circle).values(demo=True))
    return world


async def add_recife(session) -> Circle:
    """Recife: a real circle in Brazil, the country of the demo circle."""
    return await add_circle(
        session, "Recife", now=SEEDED_AT, country="BR", language="en", timezone="America/Recife"
    )


async def add_published_practice(session, *, circle_id: int, title: str, scope: ShareScope) -> int:
    """A practice of a circle in Brazil, published the day before the world was seeded."""
    practice = Practice(
        circle_id=circle_id,
        status=PracticeStatus.published,
        share_scope=scope,
        title=title,
        country="BR",
        language="en",
        created_at=SEEDED_AT,
        updated_at=SEEDED_AT,
        published_at=SEEDED_AT - timedelta(days=1),
    )
    session.add(practice)
    await session.flush()
    assert practice.id is not None
    return practice.id
