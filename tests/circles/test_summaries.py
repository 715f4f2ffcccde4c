"""Summary numbers on a small hand-made circle, where every figure can be checked by hand.

Lab circle, Accra (UTC all year), check-ins on Mondays at 16:00. Week 2026-W37:

=======  ==============================  ===================  ==========
teacher  this week                       how well W35/36/37   phase now
=======  ==============================  ===================  ==========
T1       answered, tried yes, photo      2, 3, 4              pilot
T2       answered, partly, asks for help 2, 3, 2              pilot
T3       missed                          –                    codify
T4       skipped                         –                    identify
T5       no check-in at all              –                    identify (after a done one)
T6       no check-in, paused             –                    –
T7       joined after the week           –                    –
(gone)   answered, then used /forgetme   –                    –
=======  ==============================  ===================  ==========
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from support.places import add_circle

from circles.db import SessionMaker, transaction
from circles.models import (
    Answer,
    AnswerKind,
    CheckIn,
    CheckInStatus,
    Circle,
    FlowRun,
    Inquiry,
    Membership,
    Person,
    Phase,
    Reflection,
    Role,
    TokenRole,
    Visibility,
)
from circles.services import summaries
from circles.services.access import Scope
from circles.services.summaries import StatusCounts
from circles.services.weeks import Week, parse_week

W37 = Week(2026, 37)
NOW = datetime(2026, 9, 10, 12, 0, tzinfo=UTC)  # Thursday of W37
FACILITATOR = Scope("person:1", TokenRole.facilitator, circle_ids=None)
ADMIN = Scope("token:1", TokenRole.admin)


def monday(week: Week) -> datetime:
    """The week's check-in: Monday 16:00 in Accra (UTC)."""
    return datetime.combine(week.monday, datetime.min.time(), tzinfo=UTC) + timedelta(hours=16)


@dataclass
class Lab:
    circle: Circle
    teachers: list[Person]


async def _checkin(session, person: Person, circle: Circle, week: Week, status, **answers) -> None:
    checkin = CheckIn(
        person_id=person.id,
        circle_id=circle.id,
        phase=Phase.pilot,
        scheduled_for=monday(week),
        status=status,
    )
    session.add(checkin)
    await session.flush()
    if not answers:
        return
    run = FlowRun(person_id=person.id, flow_id="pilot", flow_version=1, checkin_id=checkin.id)
    session.add(run)
    await session.flush()
    when = monday(week) + timedelta(hours=2)
    for key, (kind, value) in answers.items():
        session.add(
            Answer(
                flow_run_id=run.id,
                person_id=person.id,
                checkin_id=checkin.id,
                flow_id="pilot",
                flow_version=1,
                question_key=key,
                kind=kind,
                value_number=value if kind is AnswerKind.number else None,
                value_choice=value if kind is AnswerKind.choice else None,
                value_text=value if kind in (AnswerKind.text, AnswerKind.photo) else None,
                file_id="f" if kind is AnswerKind.photo else None,
                created_at=when,
                updated_at=when,
            )
        )


async def build_lab(sessions: SessionMaker, *, name: str = "Lab", extra: int = 0) -> Lab:
    """The circle of the module docstring, with ``extra`` more teachers who answered."""
    start = datetime(2026, 6, 1, tzinfo=UTC)
    async with transaction(sessions) as session:
        circle = await add_circle(session, name, now=start)
        teachers = [Person(display_name=f"T{n}", created_at=start) for n in range(1, 8 + extra)]
        gone = Person(display_name=None, forgotten_at=NOW, created_at=start)
        session.add_all([*teachers, gone])
        await session.flush()
        for n, teacher in enumerate(teachers, start=1):
            joined = datetime(2026, 9, 14, tzinfo=UTC) if n == 7 else start
            session.add(
                Membership(
                    person_id=teacher.id, circle_id=circle.id, role=Role.teacher, joined_at=joined
                )
            )
        teachers[5].paused_until = NOW + timedelta(days=5)
        t1, t2, t3, t4, t5 = teachers[:5]
        number, choice = AnswerKind.number, AnswerKind.choice
        for week, r1, r2 in ((Week(2026, 35), 2, 2), (Week(2026, 36), 3, 3)):
            await _checkin(session, t1, circle, week, CheckInStatus.answered, how_well=(number, r1))
            await _checkin(session, t2, circle, week, CheckInStatus.answered, how_well=(number, r2))
        await _checkin(
            session,
            t1,
            circle,
            W37,
            CheckInStatus.answered,
            tried=(choice, "yes"),
            how_well=(number, 4.0),
            evidence=(AnswerKind.photo, "Sorted exit tickets"),
        )
        await _checkin(
            session,
            t2,
            circle,
            W37,
            CheckInStatus.answered,
            tried=(choice, "partly"),
            how_well=(number, 2.0),
            help=(AnswerKind.text, "Could someone co-teach one lesson?"),
        )
        await _checkin(session, t3, circle, W37, CheckInStatus.missed)
        await _checkin(session, t4, circle, W37, CheckInStatus.skipped)
        await _checkin(session, gone, circle, W37, CheckInStatus.answered)
        for teacher in teachers[7:]:
            await _checkin(
                session, teacher, circle, W37, CheckInStatus.answered, how_well=(number, 3.0)
            )
        for person, phase in ((t1, Phase.pilot), (t2, Phase.pilot), (t3, Phase.codify)):
            session.add(Inquiry(person_id=person.id, circle_id=circle.id, phase=phase))
        session.add(Inquiry(person_id=t4.id, circle_id=circle.id, phase=Phase.identify))
        session.add(Inquiry(person_id=t5.id, circle_id=circle.id, phase=Phase.done))
        await session.flush()
        session.add(Inquiry(person_id=t5.id, circle_id=circle.id, phase=Phase.identify))
        for person, visibility, at in (
            (t1, Visibility.circle, NOW - timedelta(days=1)),
            (t2, Visibility.facilitators, NOW - timedelta(days=2)),
            (t3, Visibility.only_me, NOW - timedelta(days=1)),
            (t1, Visibility.circle, NOW + timedelta(days=7)),  # after the week
        ):
            session.add(
                Reflection(
                    person_id=person.id,
                    circle_id=circle.id,
                    learnt=f"{person.display_name} learnt",
                    visibility=visibility,
                    created_at=at,
                )
            )
    return Lab(circle, teachers)


@pytest.fixture
async def lab(sessions: SessionMaker) -> Lab:
    return await build_lab(sessions)


async def test_the_circle_summary_adds_up(lab: Lab, sessions: SessionMaker) -> None:
    async with sessions() as session:
        summary = await summaries.circle_summary(
            session, scope=FACILITATOR, circle_id=lab.circle.id, now=NOW, week=W37
        )
    assert summary.teachers == 7
    assert summary.checkins == StatusCounts(answered=3, missed=1, open=0, skipped=1, not_opened=1)
    assert summary.checkins.expected == 5
    assert summary.checkins.response_rate == pytest.approx(0.6)
    assert [(p.name, p.status) for p in summary.not_answered] == [
        ("T3", "missed"),
        ("T5", "not_opened"),
    ]
    assert summary.phases == {
        "identify": 2,
        "pilot": 2,
        "codify": 1,
        "in_review": 0,
        "done": 0,
        "not_started": 2,
    }
    assert summary.tried == {"yes": 1, "partly": 1, "no": 0}
    ratings = summary.ratings
    assert (ratings.mean, ratings.count) == (3.0, 2)
    assert [(str(w.week), w.mean) for w in ratings.weeks[-3:]] == [
        ("2026-W35", 2.0),
        ("2026-W36", 3.0),
        ("2026-W37", 3.0),
    ]
    assert [w.mean for w in ratings.weeks[:5]] == [None] * 5
    assert ratings.slope == pytest.approx(0.5) and ratings.direction == "up"
    assert [(b.name, b.question, b.text) for b in summary.blockers] == [
        ("T2", "help", "Could someone co-teach one lesson?")
    ]
    assert [(e.name, e.caption) for e in summary.evidence] == [("T1", "Sorted exit tickets")]
    assert [r.learnt for r in summary.reflections] == ["T1 learnt", "T2 learnt"]


async def test_who_reads_which_reflections_and_names(lab: Lab, sessions: SessionMaker) -> None:
    rep = Scope("person:2", TokenRole.union_rep, circle_ids=frozenset({lab.circle.id}))
    async with sessions() as session:
        for_rep = await summaries.circle_summary(
            session, scope=rep, circle_id=lab.circle.id, now=NOW, week=W37
        )
        for_admin = await summaries.circle_summary(
            session, scope=ADMIN, circle_id=lab.circle.id, now=NOW, week=W37
        )
    assert [r.visibility for r in for_rep.reflections] == [Visibility.circle]
    assert for_rep.not_answered == [] and for_rep.checkins.not_answered == 2
    assert for_rep.blockers[0].name is None and for_rep.evidence[0].person_id is None
    assert for_admin.reflections == [] and for_admin.not_answered


async def test_the_country_summary_agrees_with_the_circle_summary(
    lab: Lab, sessions: SessionMaker
) -> None:
    async with sessions() as session:
        country = await summaries.country_summary(
            session, scope=ADMIN, country="gh", now=NOW, week=W37
        )
    assert (country.circles, country.teachers) == (1, 7)
    assert country.checkins == StatusCounts(answered=3, missed=1, skipped=1, not_opened=1)
    assert country.ratings.mean == 3.0 and country.ratings.direction == "up"
    assert country.tried == {"yes": 1, "partly": 1, "no": 0} and country.blockers == 1
    assert country.phases["not_started"] == 2
    assert [(line.name, line.checkins.response_rate) for line in country.lines] == [("Lab", 0.6)]


async def test_a_week_whose_check_in_has_not_opened_expects_nobody_yet(
    lab: Lab, sessions: SessionMaker
) -> None:
    sunday = datetime(2026, 9, 13, 12, 0, tzinfo=UTC)
    async with sessions() as session:
        ahead = await summaries.circle_summary(
            session, scope=ADMIN, circle_id=lab.circle.id, now=sunday, week=parse_week("2026-W38")
        )
        default = await summaries.circle_summary(
            session, scope=ADMIN, circle_id=lab.circle.id, now=sunday
        )
    assert ahead.checkins == StatusCounts() and ahead.checkins.response_rate is None
    assert ahead.not_answered == []
    assert default.week == W37


async def test_summaries_make_the_same_few_queries_for_any_circle_size(
    sessions: SessionMaker, engine
) -> None:
    small = await build_lab(sessions, name="Small")
    large = await build_lab(sessions, name="Large", extra=40)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        made = []
        for lab in (small, large):
            statements.clear()
            async with sessions() as session:
                summary = await summaries.circle_summary(
                    session, scope=FACILITATOR, circle_id=lab.circle.id, now=NOW, week=W37
                )
            made.append(len(statements))
        statements.clear()
        async with sessions() as session:
            await summaries.country_summary(session, scope=ADMIN, country="GH", now=NOW, week=W37)
        country_queries = len(statements)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert summary.teachers == 47
    assert made == [9, 9]  # the circle, its holidays, then seven aggregates
    assert country_queries == 7  # with the holidays of the circles
