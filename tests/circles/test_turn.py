"""A person's turn (``circles.services.inbox.turn``): while one process works for them,
another waits for it, and nobody else waits."""

from __future__ import annotations

import asyncio

import pytest
from conftest import ON_POSTGRES
from sqlalchemy import text

from circles.db import SessionMaker
from circles.models import Channel
from circles.services.inbox import turn

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="the turn is PostgreSQL's lock")


async def _waiting_for_a_lock(sessions: SessionMaker) -> int:
    async with sessions() as session:
        found = await session.scalar(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        )
        return int(found or 0)


async def test_a_second_worker_waits_for_the_persons_turn_and_others_do_not(
    sessions: SessionMaker,
) -> None:
    order: list[str] = []
    release = asyncio.Event()
    first_in = asyncio.Event()

    async def first() -> None:
        async with turn(sessions, channel=Channel.whatsapp, address="233200000001"):
            order.append("first in")
            first_in.set()
            await release.wait()
            order.append("first out")

    async def second() -> None:
        async with turn(sessions, channel=Channel.whatsapp, address="233200000001"):
            order.append("second in")

    holding = asyncio.create_task(first())
    await first_in.wait()
    waiting = asyncio.create_task(second())
    for _ in range(500):  # until PostgreSQL shows the second worker waiting for the lock
        if await _waiting_for_a_lock(sessions):
            break
        await asyncio.sleep(0.01)
    assert await _waiting_for_a_lock(sessions) == 1
    async with turn(sessions, channel=Channel.whatsapp, address="233200000002"):
        order.append("someone else")  # another person's turn is free meanwhile
    release.set()
    await asyncio.wait_for(asyncio.gather(holding, waiting), timeout=10)
    assert order == ["first in", "someone else", "first out", "second in"]
    assert await _waiting_for_a_lock(sessions) == 0
