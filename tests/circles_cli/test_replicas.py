"""Three webhook replicas behind a round-robin proxy share one PostgreSQL.

Thirty teachers, ten at a time, each send a fast burst: ``/checkin`` and the five answers
of identify, every update after the previous one's 200 (as Telegram delivers one chat's
updates) but without waiting for the bot's replies; the proxy hands each request to the
next replica, so one teacher's consecutive updates land in different processes. The
first ten go through one process, the next ten through three, and for the last ten one
replica is killed with SIGKILL in the middle of their bursts. Every teacher's answers
must be stored once and in the order typed, and the transcripts through three replicas
the same as through one. SQLite serves one process, so this runs on PostgreSQL only.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import ON_POSTGRES
from sqlalchemy import select
from support.fakebotapi import FakeBotApi, FakeUser
from support.people import add_person, on_telegram
from support.places import add_circle
from support.proxy import RoundRobinProxy
from support.seeds import rows, writing
from support.service import Running, bot_env, ready_line, start_circles

from circles.models import Answer, Consent, Inbox, Inquiry, Membership, Phase, ProcessedUpdate, Role

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="replicas share PostgreSQL")

NOW = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)
GROUP = 10
HOOK = "/telegram/hook"


def burst(n: int) -> list[str]:
    """What teacher ``n`` of a group types: the same for the same ``n`` in every group."""
    return [
        "/checkin",
        f"Students of T{n} copy answers without checking.",
        f"A third of T{n}'s class",
        f"Exit tickets of T{n}",
        f"Most of T{n}'s students copy from a neighbour.",
        f"Every student of T{n} explains their own answer.",
    ]


async def seed_teachers(database_url: str, groups: int) -> list[list[FakeUser]]:
    """``groups`` groups of ten consenting teachers in identify, all in one circle."""
    async with writing(database_url) as session:
        circle = await add_circle(session, "Accra 1", now=NOW)
        teams = []
        for g in range(groups):
            team = []
            for n in range(GROUP):
                user = FakeUser(id=7000 + 100 * g + n, first_name=f"T{n}", language_code="en")
                person = await add_person(
                    session,
                    telegram=user.id,
                    display_name=user.first_name,
                    timezone="Africa/Accra",
                    consent=Consent.given,
                    consent_at=NOW,
                    created_at=NOW,
                )
                session.add(Membership(person_id=person.id, circle_id=circle.id, role=Role.teacher))
                session.add(Inquiry(person_id=person.id, circle_id=circle.id, phase=Phase.identify))
                team.append(user)
            teams.append(team)
        return teams


async def deliver(fake: FakeBotApi, url: str, update: dict) -> None:
    """Deliver like Telegram: again until the webhook answers 200."""
    for _ in range(30):
        if await fake.deliver_webhook(update, url=url) == 200:
            return
    raise AssertionError(f"update {update['update_id']} was never accepted")


async def send_bursts(
    fake: FakeBotApi, url: str, team: list[FakeUser], delivered: asyncio.Queue | None = None
) -> None:
    """Every teacher of ``team`` sends their burst; teachers side by side."""

    async def one(n: int, user: FakeUser) -> None:
        for text in burst(n):
            await deliver(fake, url, fake.user_message(user, text, enqueue=False))
            if delivered is not None:
                delivered.put_nowait(user.id)

    await asyncio.gather(*(one(n, user) for n, user in enumerate(team)))


async def all_handled(database_url: str) -> None:
    """Wait until every stored update has been handled (by any replica)."""
    for _ in range(600):
        if not await rows(database_url, Inbox, Inbox.processed_at.is_(None)):
            return
        await asyncio.sleep(0.05)  # polling a condition, not waiting for time to pass
    raise AssertionError("updates left unhandled")


async def answers_of(database_url: str, user: FakeUser) -> list[str | None]:
    """The texts stored for ``user``, in the order they were stored."""
    async with writing(database_url) as session:
        person = await on_telegram(session, user.id)
        assert person is not None
        return list(
            await session.scalars(
                select(Answer.value_text).where(Answer.person_id == person.id).order_by(Answer.id)
            )
        )


async def start_replica(database_url: str, fake: FakeBotApi, clock: Path) -> Running:
    service = await start_circles(
        database_url,
        "--only",
        "api",
        "--only",
        "bot",
        clock_file=clock,
        start=NOW,
        **bot_env(fake, "webhook"),
    )
    await service.wait_for_log(ready_line("webhook"))
    return service


async def test_three_replicas_keep_each_teachers_order_and_lose_nothing_when_one_is_killed(
    database_url: str, tmp_path: Path
) -> None:
    one, three, killed = await seed_teachers(database_url, 3)
    clock = tmp_path / "clock"
    async with FakeBotApi() as fake:
        replicas: list[Running] = []
        try:
            # Replicas start one after another, as a rolling start would.
            for _ in range(3):
                replicas.append(await start_replica(database_url, fake, clock))

            # Through one process: the transcripts and answers to compare with.
            async with RoundRobinProxy([replicas[0].api_url]) as proxy:
                await send_bursts(fake, proxy.url + HOOK, one)
                await all_handled(database_url)

            async with RoundRobinProxy([r.api_url for r in replicas]) as proxy:
                await send_bursts(fake, proxy.url + HOOK, three)
                await all_handled(database_url)
                assert {index for index, _ in proxy.forwarded} == {0, 1, 2}

                # One replica dies (SIGKILL) after a third of the last bursts went in.
                delivered: asyncio.Queue[int] = asyncio.Queue()
                sending = asyncio.create_task(
                    send_bursts(fake, proxy.url + HOOK, killed, delivered)
                )
                for _ in range(GROUP * 6 // 3):
                    await delivered.get()
                assert await replicas[1].kill() == -9
                await sending
                await all_handled(database_url)
                assert any(status == 502 for _, status in proxy.forwarded)

            for n in range(GROUP):
                typed = burst(n)[1:]
                expected = fake.texts_to(one[n].id)
                assert len(expected) == 6, expected  # /checkin's question and five more
                assert "What challenge do you see in your classroom?" in expected[0]
                assert await answers_of(database_url, one[n]) == typed
                # Three replicas: the same answers in the same order, the same transcript.
                assert await answers_of(database_url, three[n]) == typed
                assert fake.texts_to(three[n].id) == expected
                # A replica killed mid-burst: every answer stored once, in order. A reply
                # it had not sent when it died is not sent twice or out of order: what the
                # teacher saw is the one-process transcript, possibly less a message.
                assert await answers_of(database_url, killed[n]) == typed
                shown = fake.texts_to(killed[n].id)
                assert is_in_order_within(shown, expected), (shown, expected)
            # Each update was handled once: its id claimed once, no answer twice.
            claimed = await rows(database_url, ProcessedUpdate)
            assert len(claimed) == 3 * GROUP * 6
        finally:
            for replica in replicas:
                await replica.ensure_stopped()


def is_in_order_within(shown: list[str], expected: list[str]) -> bool:
    """Whether ``shown`` is ``expected`` with some messages left out (none added, none moved)."""
    rest = iter(expected)
    return all(any(text == candidate for candidate in rest) for text in shown)
