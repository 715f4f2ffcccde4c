"""The schema keeps times in UTC and refuses duplicates where the domain forbids them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from support.people import add_person
from support.places import add_circle

from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import (
    Broadcast,
    CheckIn,
    Delivery,
    Membership,
    Phase,
    Role,
)


async def _teacher_in_circle(sessions: SessionMaker, clock: FakeClock) -> tuple[int, int]:
    async with transaction(sessions) as session:
        circle = await add_circle(session, "Zurich 1", now=clock.now(), country="CH")
        person = await add_person(session, telegram=42, created_at=clock.now())
        session.add(Membership(person_id=person.id, circle_id=circle.id, role=Role.teacher))
        return person.id, circle.id


def _pilot_checkin(person_id: int, circle_id: int, at: datetime) -> CheckIn:
    return CheckIn(person_id=person_id, circle_id=circle_id, phase=Phase.pilot, scheduled_for=at)


async def test_times_come_back_as_the_same_instant_in_utc(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    person_id, circle_id = await _teacher_in_circle(sessions, clock)
    zurich_evening = datetime(2026, 10, 25, 18, 30, tzinfo=timezone(timedelta(hours=1)))
    async with transaction(sessions) as session:
        session.add(_pilot_checkin(person_id, circle_id, zurich_evening))
    async with sessions() as session:
        stored = await session.scalar(select(CheckIn.scheduled_for))
    assert stored == zurich_evening
    assert stored.tzinfo is UTC or stored.utcoffset() == timedelta(0)


async def test_a_naive_time_is_refused(sessions: SessionMaker, clock: FakeClock) -> None:
    person_id, circle_id = await _teacher_in_circle(sessions, clock)
    with pytest.raises(StatementError, match="naive datetime"):
        async with transaction(sessions) as session:
            session.add(_pilot_checkin(person_id, circle_id, datetime(2026, 10, 25, 18, 30)))


async def test_one_checkin_per_member_and_occurrence(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    person_id, circle_id = await _teacher_in_circle(sessions, clock)
    when = clock.now()
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            for _ in range(2):
                session.add(_pilot_checkin(person_id, circle_id, when))
                await session.flush()


async def test_one_membership_per_person_and_circle(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    person_id, circle_id = await _teacher_in_circle(sessions, clock)
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            session.add(Membership(person_id=person_id, circle_id=circle_id, role=Role.facilitator))


async def test_one_delivery_per_broadcast_and_person(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    person_id, _circle_id = await _teacher_in_circle(sessions, clock)
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            broadcast = Broadcast(
                default_language="en", variants={"en": "Hub on Friday"}, created_by="test"
            )
            session.add(broadcast)
            await session.flush()
            session.add_all(
                [Delivery(broadcast_id=broadcast.id, person_id=person_id) for _ in range(2)]
            )


async def test_foreign_keys_are_enforced(sessions: SessionMaker) -> None:
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            session.add(Membership(person_id=999, circle_id=999, role=Role.teacher))
