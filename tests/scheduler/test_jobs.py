"""Scheduler sweeps do their work when the clock says so, and only then."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import Channel, ProcessedUpdate, TokenRole, WebSession
from circles.services.tokens import create_token
from circles.services.updates import claim_update
from circles.services.websessions import (
    SESSION_LENGTH,
    end_web_session,
    start_web_session,
    web_session_token,
)
from scheduler.app import build_scheduler
from scheduler.jobs import prune_sessions, prune_updates


async def test_old_update_ids_are_forgotten_after_a_week(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    async with transaction(sessions) as session:
        assert await claim_update(session, channel=Channel.telegram, update_id="1", now=clock.now())
    clock.advance(timedelta(days=6))
    async with transaction(sessions) as session:
        assert await claim_update(session, channel=Channel.telegram, update_id="2", now=clock.now())
    assert await prune_updates(sessions, clock) == 0

    clock.advance(timedelta(days=1, seconds=1))
    assert await prune_updates(sessions, clock) == 1
    async with transaction(sessions) as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1
        assert not await claim_update(
            session, channel=Channel.telegram, update_id="2", now=clock.now()
        )


async def test_signed_out_and_expired_dashboard_sessions_are_forgotten(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    async with transaction(sessions) as session:
        token = (
            await create_token(
                session, name="admin", role=TokenRole.admin, actor="cli", now=clock.now()
            )
        ).token
        gone = await start_web_session(session, token=token, now=clock.now())
        await end_web_session(session, key=gone, now=clock.now())
        clock.advance(SESSION_LENGTH / 2)
        kept = await start_web_session(session, token=token, now=clock.now())
    assert await prune_sessions(sessions, clock) == 1
    clock.advance(SESSION_LENGTH / 2 + timedelta(seconds=1))
    async with transaction(sessions) as session:
        assert await web_session_token(session, key=kept, now=clock.now()) is not None
    clock.advance(SESSION_LENGTH)
    assert await prune_sessions(sessions, clock) == 1
    async with transaction(sessions) as session:
        assert await session.scalar(select(func.count()).select_from(WebSession)) == 0


def test_the_scheduler_registers_its_sweeps(sessions: SessionMaker, clock: FakeClock) -> None:
    scheduler = build_scheduler(sessions, clock, wave_processes=3)
    # CIRCLES_WAVE_PROCESSES reaches the wave's planning, and no other sweep.
    assert {job.id: job.kwargs for job in scheduler.get_jobs() if job.kwargs} == {
        "checkin_sweep": {"processes": 3}
    }
    assert {job.id for job in scheduler.get_jobs()} == {
        "broadcast_sweep",
        "digest_sweep",
        "prune_updates",
        "prune_sessions",
        "checkin_sweep",
        "meeting_sweep",
        "session_sweep",
        "practice_sweep",
        "facilitator_sweep",
    }
