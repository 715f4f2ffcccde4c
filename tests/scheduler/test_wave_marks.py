"""The check-in sweep looks only at circles that may have something due (wave marks):
a sweep with nothing due plans no circle, yet every change that makes a check-in due is
seen by the next sweep, and one made behind the planner's back within two hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from support.people import add_person
from support.places import add_circle

from bot.flows import prompts
from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import CheckIn, Circle, Consent, Holiday, Membership, Person, Role
from circles.services import waves
from scheduler.jobs import checkin_sweep

OPENS = datetime(2026, 9, 7, 16, 0, tzinfo=UTC)  # Monday 16:00 in Accra (UTC+0)
JOINED = OPENS - timedelta(days=3)


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the circles each sweep planned, in order."""
    seen: list[int] = []
    planner = prompts.open_checkins

    async def counting(session, *, now, batch=None):
        seen.extend(batch.ids if batch is not None else [])
        return await planner(session, now=now, batch=batch)

    monkeypatch.setattr(prompts, "open_checkins", counting)
    return seen


async def _teacher(session, circle_id: int, user_id: int, **fields) -> Person:
    person = await add_person(
        session, telegram=user_id, consent=Consent.given, created_at=JOINED, **fields
    )
    session.add(
        Membership(person_id=person.id, circle_id=circle_id, role=Role.teacher, joined_at=JOINED)
    )
    await session.flush()
    return person


async def _checkins_of(sessions: SessionMaker, person_id: int) -> list[datetime]:
    async with sessions() as session:
        found = await session.scalars(
            select(CheckIn.scheduled_for).where(CheckIn.person_id == person_id)
        )
        return sorted(found)


async def _sweep_at(sessions: SessionMaker, clock: FakeClock, when: datetime) -> int:
    clock.set(when)
    return (await checkin_sweep(sessions, clock)).opened


async def test_a_sweep_with_nothing_due_reads_no_circle_until_the_next_opening(
    sessions: SessionMaker, clock: FakeClock, planned: list[int]
) -> None:
    async with transaction(sessions) as session:
        circles = [await add_circle(session, f"Circle {n}", now=JOINED) for n in range(3)]
        for n, circle in enumerate(circles):
            await _teacher(session, circle.id, 6000 + n)
    assert await _sweep_at(sessions, clock, OPENS) == 3
    assert sorted(planned) == sorted(c.id for c in circles)

    planned.clear()
    for minutes in (1, 2, 30):
        assert await _sweep_at(sessions, clock, OPENS + timedelta(minutes=minutes)) == 0
    assert planned == []

    # Next Monday at 16:00 every circle is planned again, and each teacher invited once.
    assert await _sweep_at(sessions, clock, OPENS + timedelta(days=7)) == 3
    assert sorted(set(planned)) == sorted(c.id for c in circles)


async def test_every_timezone_of_a_circles_members_has_its_opening(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    async with transaction(sessions) as session:
        circle = await add_circle(session, "Accra and Kuala Lumpur", now=JOINED)
        accra = await _teacher(session, circle.id, 6100)
        kuala_lumpur = await _teacher(session, circle.id, 6101, timezone="Asia/Kuala_Lumpur")
    # 16:00 in Kuala Lumpur is 08:00 UTC: Ana there first, then Kofi in Accra at 16:00.
    assert await _sweep_at(sessions, clock, OPENS - timedelta(hours=8)) == 1
    assert await _checkins_of(sessions, kuala_lumpur.id) == [OPENS - timedelta(hours=8)]
    assert await _sweep_at(sessions, clock, OPENS + timedelta(minutes=1)) == 1
    assert await _checkins_of(sessions, accra.id) == [OPENS]


async def test_a_pause_that_ends_midweek_opens_the_checkin_at_its_end(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    back = OPENS + timedelta(days=2)
    async with transaction(sessions) as session:
        circle = await add_circle(session, "Paused", now=JOINED)
        await _teacher(session, circle.id, 6200)
        paused = await _teacher(session, circle.id, 6201, paused_until=back)
    assert await _sweep_at(sessions, clock, OPENS) == 1
    assert await _sweep_at(sessions, clock, back - timedelta(minutes=1)) == 0
    assert await _sweep_at(sessions, clock, back + timedelta(minutes=1)) == 1
    assert await _checkins_of(sessions, paused.id) == [OPENS]


async def _paused_for_two_months(
    sessions: SessionMaker, clock: FakeClock, name: str, user_id: int
) -> Person:
    """The one teacher of circle ``name``, paused for two months: the wave opens nothing."""
    async with transaction(sessions) as session:
        circle = await add_circle(session, name, now=JOINED)
        paused = await _teacher(
            session, circle.id, user_id, paused_until=OPENS + timedelta(days=60)
        )
    assert await _sweep_at(sessions, clock, OPENS) == 0
    return paused


async def test_a_teacher_who_resumes_early_is_invited_by_the_next_sweep(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    paused = await _paused_for_two_months(sessions, clock, "Resumed", 6300)
    clock.set(OPENS + timedelta(minutes=30))  # well before the circle's re-check
    async with transaction(sessions) as session:
        person = await session.get(Person, paused.id)
        person.paused_until = None
    assert await _sweep_at(sessions, clock, OPENS + timedelta(minutes=31)) == 1
    assert await _checkins_of(sessions, paused.id) == [OPENS]


async def test_a_country_holiday_lifted_opens_the_weeks_checkins(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    async with transaction(sessions) as session:
        circle = await add_circle(session, "Holiday", now=JOINED)
        teacher = await _teacher(session, circle.id, 6400)
        holiday = Holiday(country="GH", starts_on=date(2026, 9, 7), ends_on=date(2026, 9, 8))
        session.add(holiday)
    assert await _sweep_at(sessions, clock, OPENS) == 0
    async with transaction(sessions) as session:
        await session.delete(await session.get(Holiday, holiday.id))
    assert await _sweep_at(sessions, clock, OPENS + timedelta(minutes=10)) == 1
    assert await _checkins_of(sessions, teacher.id) == [OPENS]


async def test_a_change_made_behind_the_planners_back_is_seen_within_two_hours(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    paused = await _paused_for_two_months(sessions, clock, "Bulk", 6500)
    async with transaction(sessions) as session:  # a bulk UPDATE: no ORM flush sees it
        await session.execute(
            update(Person).where(Person.id == paused.id).values(paused_until=None)
        )
    assert await _sweep_at(sessions, clock, OPENS + timedelta(minutes=1)) == 0
    bound = OPENS + waves.RECHECK + timedelta(hours=1)
    assert await _sweep_at(sessions, clock, bound) == 1
    assert await _checkins_of(sessions, paused.id) == [OPENS]


async def test_a_circle_moved_out_of_a_country_on_holiday_is_planned_at_once(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    async with transaction(sessions) as session:
        circle = await add_circle(session, "Moved", now=JOINED)
        teacher = await _teacher(session, circle.id, 6600)
        session.add(Holiday(country="GH", starts_on=date(2026, 9, 7), ends_on=date(2026, 9, 8)))
    assert await _sweep_at(sessions, clock, OPENS) == 0
    async with transaction(sessions) as session:  # entered in the wrong country
        (await session.get(Circle, circle.id)).country = "CI"
    assert await _sweep_at(sessions, clock, OPENS + timedelta(minutes=10)) == 1
    assert await _checkins_of(sessions, teacher.id) == [OPENS]
