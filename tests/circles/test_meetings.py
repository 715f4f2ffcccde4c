"""Meetings are planned within the coming year, whatever door the date comes through."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.errors import InvalidAnswer
from circles.services import meetings
from circles.services.circles import create_circle


async def _circle(session, clock: FakeClock, timezone: str):
    return await create_circle(
        session, name="Lima 1", country="PE", language="es", timezone=timezone, now=clock.now()
    )


async def _schedule(
    session,
    circle,
    clock: FakeClock,
    starts_at: datetime,
    place: str | None = None,
    agenda: str | None = None,
):
    """Schedule a meeting of ``circle`` at ``starts_at``, planned by nobody in the bot."""
    return await meetings.schedule_meeting(
        session,
        circle=circle,
        starts_at=starts_at,
        place=place,
        agenda=agenda,
        created_by=None,
        now=clock.now(),
    )


@pytest.mark.parametrize("timezone", ["America/Lima", "Pacific/Kiritimati", "UTC"])
async def test_a_meeting_on_the_last_day_of_the_calendar_is_refused_not_a_crash(
    sessions: SessionMaker, clock: FakeClock, timezone: str
) -> None:
    async with transaction(sessions) as session:
        circle = await _circle(session, clock, timezone)
        starts = meetings.meeting_start(date(9999, 12, 31), time(23, 30), timezone)
        with pytest.raises(InvalidAnswer) as refused:
            await _schedule(session, circle, clock, starts, place="Library")
        assert refused.value.message == "A meeting can be planned at most a year ahead."


async def test_a_meeting_can_be_planned_a_year_ahead_but_not_moved_further(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    async with transaction(sessions) as session:
        circle = await _circle(session, clock, "UTC")
        meeting = await _schedule(session, circle, clock, clock.now() + timedelta(days=365))
        with pytest.raises(InvalidAnswer):
            await meetings.move_meeting(
                session,
                meeting=meeting,
                starts_at=clock.now() + timedelta(days=400),
                by=None,
                now=clock.now(),
            )


@pytest.mark.parametrize(("place", "agenda"), [("Room\x001", None), (None, "Share\x00work")])
async def test_nul_in_a_meetings_place_or_agenda_is_refused(
    sessions: SessionMaker, clock: FakeClock, place: str | None, agenda: str | None
) -> None:
    async with transaction(sessions) as session:
        circle = await _circle(session, clock, "UTC")
        with pytest.raises(InvalidAnswer):
            await _schedule(
                session, circle, clock, clock.now() + timedelta(days=3), place=place, agenda=agenda
            )
