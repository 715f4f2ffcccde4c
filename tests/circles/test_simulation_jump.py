"""The simulator's "Jump to my next check-in" lands where the check-in really opens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support.people import add_person
from support.places import add_circle

from circles.db import SessionMaker, transaction
from circles.models import Consent, Membership, Role
from circles.services import holidays, simulation

NOW = datetime(2026, 10, 14, 11, 0, tzinfo=UTC)  # a Wednesday


async def test_the_jump_goes_past_holidays_and_past_the_teachers_pause(
    sessions: SessionMaker,
) -> None:
    async with transaction(sessions) as session:
        circle = await add_circle(session, "Accra 1", now=NOW)
        ama = await add_person(
            session, telegram=1, display_name="Ama", consent=Consent.given, created_at=NOW
        )
        session.add(Membership(person_id=ama.id, circle_id=circle.id, role=Role.teacher))
        await session.flush()
        first = await simulation.next_checkin_time(session, person=ama, now=NOW)
        assert first is not None and first > NOW

        ama.paused_until = first + timedelta(days=1)
        paused = await simulation.next_checkin_time(session, person=ama, now=NOW)
        assert paused - first == timedelta(weeks=1)

        ama.paused_until = None
        day = first.date()
        await holidays.add_holiday(
            session,
            circle=circle,
            dates=holidays.Dates(day, day + timedelta(days=1), "Mid-term"),
            actor="test",
            now=NOW,
        )
        assert await simulation.next_checkin_time(session, person=ama, now=NOW) == paused
