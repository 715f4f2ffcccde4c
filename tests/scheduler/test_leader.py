"""Two schedulers at once: one leads, and even racing sweeps never send a prompt twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from conftest import ON_POSTGRES
from sqlalchemy import func, select
from support.people import add_person
from support.places import add_circle

from circles.clock import FakeClock
from circles.db import create_engine, create_sessionmaker, transaction
from circles.models import CheckIn, Consent, Inquiry, Membership, Outbox, Phase, Role
from scheduler.jobs import checkin_sweep
from scheduler.leader import Leadership

OPENS = datetime(2026, 9, 7, 16, 0, tzinfo=UTC)


async def _teachers(sessions, count: int) -> None:
    joined = datetime(2026, 9, 1, tzinfo=UTC)
    async with transaction(sessions) as session:
        circle = await add_circle(session, "Race", now=joined)
        for n in range(count):
            person = await add_person(
                session, telegram=900 + n, consent=Consent.given, created_at=joined
            )
            session.add(
                Membership(
                    person_id=person.id, circle_id=circle.id, role=Role.teacher, joined_at=joined
                )
            )
            session.add(Inquiry(person_id=person.id, circle_id=circle.id, phase=Phase.pilot))


async def test_two_schedulers_sweeping_at_once_open_each_checkin_once(database_url) -> None:
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        sessions = [create_sessionmaker(engine) for engine in engines]
        await _teachers(sessions[0], 20)
        clock = FakeClock(OPENS)
        results = await asyncio.gather(*(checkin_sweep(s, clock) for s in sessions))
        assert sum(r.opened for r in results) == 20
        async with sessions[0]() as session:
            assert await session.scalar(select(func.count()).select_from(CheckIn)) == 20
            assert await session.scalar(select(func.count()).select_from(Outbox)) == 20
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.mark.skipif(not ON_POSTGRES, reason="advisory locks are PostgreSQL's; SQLite leads alone")
async def test_exactly_one_scheduler_leads_and_another_takes_over(database_url) -> None:
    engines = [create_engine(database_url) for _ in range(2)]
    first, second = (Leadership(engine) for engine in engines)
    try:
        assert await first.try_lead()
        assert not await second.try_lead()
        assert await first.still_leading()
        await first.release()  # the leader stops
        assert await second.try_lead()
        assert not await first.try_lead()
        await second._connection.invalidate()  # the leader dies: its connection drops
        assert not await second.still_leading()
        assert await first.try_lead()
    finally:
        await first.release()
        await second.release()
        for engine in engines:
            await engine.dispose()


async def test_on_sqlite_the_only_process_leads(database_url) -> None:
    engine = create_engine(database_url)
    try:
        if engine.dialect.name == "sqlite":
            assert await Leadership(engine).try_lead()
    finally:
        await engine.dispose()
