"""The outbox sender keeps Telegram's limits and handles its refusals one chat at a time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from conftest import ON_POSTGRES
from sqlalchemy import select

from bot.flows import queued
from bot.flows.events import Invitation
from bot.flows.queued import MAX_ATTEMPTS
from bot.handlers.telegram.sender import OutboxSender
from circles.db import transaction
from circles.models import Channel, Identity, Outbox, OutboxPriority, OutboxState, SendBudget
from circles.services.outbox import enqueue, message_payload
from circles.services.people import Address, preferred_identity


async def _queue(
    sessions, clock, chats, *, priority=OutboxPriority.bulk, prefix="m", channel=Channel.telegram
):
    async with transaction(sessions) as session:
        for n, chat in enumerate(chats):
            await enqueue(
                session,
                to=Address(channel, str(chat)),
                payload=message_payload(f"{prefix}{n}"),
                key=f"{prefix}-{n}-{chat}",
                now=clock.now(),
                priority=priority,
            )


async def _rows(sessions) -> dict[int, Outbox]:
    async with sessions() as session:
        return {int(row.address): row for row in await session.scalars(select(Outbox))}


async def test_a_429_waits_for_that_chat_only(sessions, clock, sender, fake, pace) -> None:
    await _queue(sessions, clock, [501, 502])
    fake.fail_next("sendMessage", status=429, retry_after=7, chat_id=501)
    report = await sender.drain()
    assert (report.sent, report.retried) == (1, 1)
    rows = await _rows(sessions)
    assert rows[502].state is OutboxState.sent
    assert rows[501].state is OutboxState.pending
    assert rows[501].not_before == clock.now() + timedelta(seconds=7)
    clock.advance(timedelta(seconds=7))
    pace.advance(7)
    assert (await sender.drain()).sent == 1
    assert fake.texts_to(501) == ["m0"]


async def test_a_blocked_bot_marks_the_person_unreachable_until_they_write(
    sessions, clock, sender, fake, ama
) -> None:
    fake.fail_next(
        "sendMessage",
        status=403,
        chat_id=ama.chat_id,
        description="Forbidden: bot was blocked by the user",
    )
    await _queue(sessions, clock, [ama.chat_id])
    report = await sender.drain()
    assert report.unreachable == 1
    async with sessions() as session:
        identity = await _identity(session, ama.chat_id)
        assert identity.unreachable_at == clock.now()
        assert await preferred_identity(session, person_id=identity.person_id) is None
    await ama.send("/help")  # they come back
    async with sessions() as session:
        identity = await _identity(session, ama.chat_id)
        assert identity.unreachable_at is None
        assert identity.last_inbound_at == clock.now()


async def _identity(session, chat: int) -> Identity:
    return await session.scalar(
        select(Identity).where(Identity.channel == Channel.telegram, Identity.address == str(chat))
    )


async def test_the_telegram_sender_never_sends_to_a_simulated_chat(
    sessions, clock, sender, fake
) -> None:
    await _queue(sessions, clock, [-(10**15) - 5], channel=Channel.simulator, prefix="sim")
    await _queue(sessions, clock, [505])
    report = await sender.drain()
    assert report.sent == 1 and report.handled == 1
    assert fake.texts_to(505) == ["m0"]
    rows = await _rows(sessions)
    assert rows[-(10**15) - 5].state is OutboxState.pending  # the simulator shows it


async def test_chat_not_found_fails_with_the_reason(sessions, clock, sender, fake) -> None:
    fake.fail_next(
        "sendMessage", status=400, chat_id=777, description="Bad Request: chat not found"
    )
    await _queue(sessions, clock, [777])
    report = await sender.drain()
    assert report.failed == 1
    row = (await _rows(sessions))[777]
    assert row.state is OutboxState.failed
    assert "chat not found" in row.last_error.lower()


async def test_a_row_that_no_longer_reads_fails_and_the_others_go(
    sessions, clock, sender, fake
) -> None:
    """An invitation whose flow was retired before it went out is failed with the reason;
    the rows after it are sent."""
    async with transaction(sessions) as session:
        await enqueue(
            session,
            to=Address(Channel.telegram, "701"),
            payload=queued.payload(Invitation("retired-flow", 7)),
            key="checkin-7-open",
            now=clock.now(),
        )
    await _queue(sessions, clock, [702])
    report = await sender.drain()
    rows = await _rows(sessions)
    assert (report.failed, report.sent) == (1, 1)
    assert rows[701].state is OutboxState.failed and "flow is gone" in rows[701].last_error
    assert rows[702].state is OutboxState.sent
    assert (fake.texts_to(701), fake.texts_to(702)) == ([], ["m0"])


async def test_server_errors_are_retried_with_backoff_then_fail(
    sessions, clock, sender, fake, pace
) -> None:
    fake.fail_next("sendMessage", status=502, chat_id=888, times=MAX_ATTEMPTS)
    await _queue(sessions, clock, [888])
    waits = []
    for _ in range(MAX_ATTEMPTS):
        await sender.drain()
        row = (await _rows(sessions))[888]
        waits.append((row.not_before - clock.now()).total_seconds())
        clock.set(row.not_before)
        pace.advance(600)
    assert waits[:4] == [2, 4, 8, 16]
    assert row.state is OutboxState.failed and row.attempts == MAX_ATTEMPTS


def _sender_on_one_clock(app, sessions, clock, pace, monkeypatch) -> OutboxSender:
    """A sender whose limiter's waiting also moves the clock, as real time would."""
    limits = app.bot.rate_limiter

    async def sleep(seconds: float) -> None:
        await pace.sleep(seconds)
        clock.advance(timedelta(seconds=seconds))

    monkeypatch.setattr(limits, "_sleep", sleep)
    return OutboxSender(app.bot, sessions, clock, limits, batch=8)


async def test_bulk_keeps_to_80_percent_of_the_overall_rate(
    sessions, clock, app, pace, monkeypatch
):
    await _queue(sessions, clock, list(range(1, 121)))
    sender = _sender_on_one_clock(app, sessions, clock, pace, monkeypatch)
    start = pace.now()
    report = await sender.drain()
    assert report.sent == 120
    elapsed = pace.now() - start
    assert elapsed == pytest.approx(119 / 24, rel=0.02)  # 24 a second = 80 % of 30


async def test_replies_go_before_bulk(sessions, clock, sender, fake) -> None:
    await _queue(sessions, clock, list(range(10, 20)))
    await _queue(sessions, clock, [99], priority=OutboxPriority.reply, prefix="reply")
    first = await sender.claim()
    assert first[0].address == "99"


async def test_one_private_chat_gets_at_most_one_message_a_second(
    sessions, clock, sender, pace
) -> None:
    await _queue(sessions, clock, [42, 42, 42], prefix="burst")
    start = pace.now()
    report = await sender.drain()
    assert report.sent == 3
    assert pace.now() - start == pytest.approx(2.0)  # one second between each
    assert [r.state for r in await _all(sessions)] == [OutboxState.sent] * 3


async def _all(sessions):
    async with sessions() as session:
        return list(await session.scalars(select(Outbox).order_by(Outbox.id)))


@pytest.mark.skipif(not ON_POSTGRES, reason="senders share a schedule on PostgreSQL only")
async def test_two_senders_together_keep_the_overall_bulk_rate(
    sessions, clock, app, pace, monkeypatch
) -> None:
    await _queue(sessions, clock, list(range(300, 348)))
    start = clock.now()
    senders = [_sender_on_one_clock(app, sessions, clock, pace, monkeypatch) for _ in range(2)]
    reports = await asyncio.gather(*(s.drain() for s in senders))
    assert sum(r.sent for r in reports) == 48
    async with sessions() as session:
        budget = await session.scalar(select(SendBudget))
    # 48 slots at 24 a second booked without overlap, whichever sender took them: the
    # two together cannot have gone faster than the bulk rate.
    assert (budget.next_slot - start).total_seconds() >= 48 / 24 - 1e-6
