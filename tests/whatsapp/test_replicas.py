"""Two WhatsApp inbox workers (as in two replicas) on one PostgreSQL inbox.

Each teacher's burst (``/checkin`` and identify's five answers, in one webhook call) is
stored once; two workers then drain the inbox at the same time. Every teacher's answers
are stored once and in the order written, and each sees the same conversation as a
teacher whose burst one worker handled alone. SQLite serves one process: PostgreSQL only.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from conftest import ON_POSTGRES
from sqlalchemy import select
from support.fakecloud import FakeCloud, encoded, text, webhook
from support.places import CircleSetup

from bot.handlers.whatsapp.runner import client_for
from bot.handlers.whatsapp.worker import InboxWorker
from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import Answer, Inquiry, Phase, ProcessedUpdate
from circles.settings import Settings

from .conftest import Post, shown, whatsapp_teacher

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="replicas share PostgreSQL")

TEACHERS = 6


def burst(n: int) -> list[str]:
    return [
        "/checkin",
        f"Students of T{n} copy answers.",
        f"A third of T{n}'s class",
        f"Exit tickets of T{n}",
        f"Most of T{n}'s students copy.",
        f"Every student of T{n} explains.",
    ]


async def teachers(sessions: SessionMaker, clock: FakeClock, first: int, circle_id: int) -> list:
    """Consenting teachers in identify who wrote an hour ago; their numbers and ids."""
    made = []
    for n in range(TEACHERS):
        wa_id = str(first + n)
        person_id = await whatsapp_teacher(
            sessions, clock, wa_id, wrote_ago=timedelta(hours=1), circle_id=circle_id
        )
        async with transaction(sessions) as session:
            session.add(Inquiry(person_id=person_id, circle_id=circle_id, phase=Phase.identify))
        made.append((wa_id, person_id))
    return made


async def store_bursts(post: Post, people: list) -> None:
    for n, (wa_id, _person) in enumerate(people):
        messages = [
            text(wa_id, body, message_id=f"wamid.{wa_id}.{i}") for i, body in enumerate(burst(n))
        ]
        assert (await post(encoded(webhook(*messages)))).status_code == 200


async def answers(sessions: SessionMaker, person_id: int) -> list[str | None]:
    async with sessions() as session:
        return list(
            await session.scalars(
                select(Answer.value_text).where(Answer.person_id == person_id).order_by(Answer.id)
            )
        )


async def test_two_workers_keep_each_persons_order_and_handle_every_message_once(
    wa_settings: Settings,
    sessions: SessionMaker,
    clock: FakeClock,
    post: Post,
    cloud: FakeCloud,
    worker: InboxWorker,
    accra: CircleSetup,
) -> None:
    alone = await teachers(sessions, clock, 233_240_000_000, accra.circle_id)
    await store_bursts(post, alone)
    await worker.drain()

    together = await teachers(sessions, clock, 233_250_000_000, accra.circle_id)
    await store_bursts(post, together)
    client = client_for(wa_settings)
    try:
        other = InboxWorker(wa_settings, sessions, clock, client)
        handled = await asyncio.gather(worker.drain(), other.drain())
    finally:
        await client.aclose()
    assert all(handled), handled  # both took part

    for n in range(TEACHERS):
        typed = burst(n)[1:]
        (one_wa, one_id), (two_wa, two_id) = alone[n], together[n]
        assert await answers(sessions, one_id) == typed
        assert await answers(sessions, two_id) == typed
        expected = [shown(m) for m in cloud.sent_to(one_wa)]
        assert len(expected) == 6, expected
        assert "What challenge do you see in your classroom?" in expected[0]
        assert [shown(m) for m in cloud.sent_to(two_wa)] == expected
    async with sessions() as session:
        claimed = await session.scalars(
            select(ProcessedUpdate).where(ProcessedUpdate.channel == "whatsapp")
        )
        assert len(list(claimed)) == 2 * TEACHERS * 6
