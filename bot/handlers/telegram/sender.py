"""The outbox sender: delivers queued Telegram messages at Telegram's pace, each at most once.

It takes only the outbox rows of the ``telegram`` channel (the address is the chat id);
other channels' rows (WhatsApp, the simulator's) are never its business.

Rows are claimed in small batches (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, and a
guarded update everywhere, so several senders share the work and never take the same
row), each marked *sending* just before its request, sent through the bot's rate
limiter, and marked with the result:

* sent → ``sent`` with Telegram's message id;
* 429 → back to ``pending`` for that chat only, after the ``retry_after`` it names;
* 403 (blocked) → ``unreachable``, and that identity is skipped until they write from it;
* 400 (chat not found, …) → ``failed`` with the reason;
* timeouts and 5xx → retried with exponential backoff, then ``failed``.

Each row holds one event (:mod:`bot.flows.queued`), rendered here in the recipient's
language at the moment it is sent (a person's own, a linked group's circle's), so a
message queued before someone changed language goes out in the new one.

Several bots (``circles channel``): each row goes through the bot that serves the
recipient's circle (:func:`circles.services.channels.accounts_of`, asked per batch), with
that bot's own rate limiter and bulk schedule; a row of a bot this process does not run
(added since it started) waits a minute and is claimed again.

A claimed row that a crashed sender never started is claimed again after :data:`LEASE`.
The one row a crashed sender was sending is not sent again (it may have reached the chat
just before the crash): after the lease it is marked failed as *interrupted*. Never
twice is chosen over possibly-never for that one message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Unpack

from sqlalchemy import select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.flows.queued import Change, finish, retry, shown, wait_for_bulk_window
from bot.handlers.telegram.ratelimit import TelegramLimits, retry_seconds
from circles import metrics
from circles.clock import Clock
from circles.db import SessionMaker, transaction
from circles.loops import run_until
from circles.models import (
    Channel,
    Circle,
    GroupLink,
    Identity,
    Outbox,
    OutboxPriority,
    OutboxState,
    Person,
)
from circles.services.channels import accounts_of
from circles.services.outbox import claim_due, start_sending
from circles.services.people import mark_unreachable

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
#: A row whose chat is not ready for longer than this goes back to the queue.
DEFER_AFTER = 1.0
#: How long a row of a bot this process does not run waits before it is claimed again.
UNROUTED = timedelta(minutes=1)


@dataclass
class SendReport:
    """What one pass of the sender did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0
    deferred: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def handled(self) -> int:
        """Rows taken out of the queue in this pass, whatever happened to them."""
        return self.sent + self.retried + self.failed + self.unreachable + self.deferred


class OutboxSender:
    """Sends due outbox rows through ``bot``."""

    def __init__(
        self,
        bot: Bot,
        sessions: SessionMaker,
        clock: Clock,
        limits: TelegramLimits,
        *,
        batch: int = 50,
        default_language: str = "en",
        accounts: Mapping[int, tuple[Bot, TelegramLimits]] | None = None,
    ) -> None:
        self.bot, self.sessions, self.clock, self.limits = bot, sessions, clock, limits
        self.batch = batch
        self.default_language = default_language
        #: The extra bots by channel account id, each with its own limiter.
        self.accounts = dict(accounts or {})

    async def claim(self) -> list[Outbox]:
        """Take up to ``batch`` due rows, replies first; nobody else takes them for a lease."""
        async with transaction(self.sessions) as session:
            return await claim_due(
                session,
                channel=Channel.telegram,
                now=self.clock.now(),
                lease=LEASE,
                batch=self.batch,
            )

    async def send_due(self) -> SendReport:
        """One pass: claim due rows, wait for the batch's shared window, send them."""
        report = SendReport()
        rows = await self.claim()
        addresses = {row.address for row in rows}
        languages = await self._languages(addresses) if rows else {}
        by_account: dict[int | None, list[Outbox]] = {}
        if rows:
            async with self.sessions() as session:
                served = await accounts_of(session, app=Channel.telegram, addresses=addresses)
            for row in rows:
                by_account.setdefault(served.get(row.address), []).append(row)
        for account, group in by_account.items():
            route = (self.bot, self.limits) if account is None else self.accounts.get(account)
            if route is None:
                log.warning("outbox rows of channel account %s wait: not run here", account)
                for row in group:
                    await self._finish(
                        row, state=OutboxState.pending, not_before=self.clock.now() + UNROUTED
                    )
                    report.deferred += 1
                continue
            bot, limits = route
            await wait_for_bulk_window(
                self.sessions,
                self.clock,
                limits,
                channel=Channel.telegram,
                bulk=sum(r.priority is OutboxPriority.bulk for r in group),
                account=account,
            )
            for row in group:
                language = languages.get(row.address, self.default_language)
                await self._deliver(row, report, language, bot, limits)
        return report

    async def _languages(self, addresses: set[str]) -> dict[str, str]:
        """Each Telegram address's language now: its person's, or a linked group's circle's."""
        async with self.sessions() as session:
            found = await session.execute(
                select(GroupLink.address, Circle.language)
                .join(Circle, Circle.id == GroupLink.circle_id)
                .where(GroupLink.channel == Channel.telegram, GroupLink.address.in_(addresses))
            )
            languages = {address: language for address, language in found.all()}
            found = await session.execute(
                select(Identity.address, Person.language)
                .join(Person, Person.id == Identity.person_id)
                .where(Identity.channel == Channel.telegram, Identity.address.in_(addresses))
            )
            languages |= {address: language for address, language in found.all()}
        return languages

    async def drain(self, limit: int = 100_000) -> SendReport:
        """Send until nothing is due (tests and benchmarks; production uses :meth:`run`)."""
        total = SendReport()
        while total.handled < limit:
            report = await self.send_due()
            if not report.handled:
                break
            for name in ("sent", "retried", "failed", "unreachable", "deferred"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            for reason, count in report.reasons.items():
                total.reasons[reason] = total.reasons.get(reason, 0) + count
            if report.handled == report.deferred:
                break
        return total

    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Send until ``stop`` is set, resting ``idle`` seconds when nothing is due.

        While the database is away, it rests longer after each failure (up to half
        a minute), so the log gets one line per attempt, not one a second.
        """

        async def step() -> bool:
            report = await self.send_due()
            return report.handled != report.deferred

        await run_until(stop, step, idle=idle, log=log, what="the outbox sender")

    async def _deliver(
        self, row: Outbox, report: SendReport, language: str, bot: Bot, limits: TelegramLimits
    ) -> None:
        now = self.clock.now()
        chat_id = int(row.address)
        ready_in = limits.chat_ready_in(chat_id)
        if ready_in > DEFER_AFTER:
            await self._finish(
                row, state=OutboxState.pending, not_before=now + timedelta(seconds=ready_in)
            )
            report.deferred += 1
            return
        async with transaction(self.sessions) as session:
            if not await start_sending(session, row_id=row.id, now=now):
                return  # cancelled (a broadcast) since it was claimed
        try:
            message_id = await self._send(row, language, bot)
        except RetryAfter as error:
            seconds = retry_seconds(error)
            limits.block_chat(chat_id, seconds)
            metrics.RETRY_AFTER.inc()
            await self._finish(
                row,
                state=OutboxState.pending,
                not_before=now + timedelta(seconds=seconds),
                error="429",
            )
            report.retried += 1
        except Forbidden as error:
            await self._finish(row, state=OutboxState.unreachable, error=error.message)
            async with transaction(self.sessions) as session:
                await mark_unreachable(
                    session, channel=Channel.telegram, address=row.address, now=now
                )
            report.unreachable += 1
            _count(report, "blocked")
        except BadRequest as error:
            await self._finish(row, state=OutboxState.failed, error=error.message)
            report.failed += 1
            _count(report, error.message)
        except ValueError as error:  # a stored event that no longer reads (a retired flow)
            await self._finish(row, state=OutboxState.failed, error=str(error))
            report.failed += 1
            _count(report, "unreadable")
        except (NetworkError, TelegramError) as error:  # timeouts and 5xx
            state, change = retry(row, now, type(error).__name__)
            await self._finish(row, state=state, **change)
            if state is OutboxState.failed:
                report.failed += 1
                _count(report, type(error).__name__)
            else:
                report.retried += 1
        else:
            await self._finish(row, state=OutboxState.sent, sent_at=now, message_id=str(message_id))
            report.sent += 1

    async def _send(self, row: Outbox, language: str, bot: Bot) -> int:
        message, chat_id = shown(row.payload, language), int(row.address)
        markup = None
        if message.buttons:
            markup = InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(label, callback_data=data) for label, data in line]
                    for line in message.buttons
                ]
            )
        bulk = {"bulk": row.priority is OutboxPriority.bulk}
        if message.file_id:
            send = bot.send_photo if message.file_kind == "photo" else bot.send_document
            sent = await send(
                chat_id,
                message.file_id,
                caption=message.text or None,
                reply_markup=markup,
                rate_limit_args=bulk,
            )
        elif message.document:
            name, content = message.document
            sent = await bot.send_document(
                chat_id,
                InputFile(content.encode(), filename=name),
                caption=message.text or None,
                reply_markup=markup,
                rate_limit_args=bulk,
            )
        else:
            sent = await bot.send_message(
                chat_id, message.text, reply_markup=markup, rate_limit_args=bulk
            )
        return sent.message_id

    async def _finish(self, row: Outbox, *, state: OutboxState, **change: Unpack[Change]) -> None:
        async with transaction(self.sessions) as session:
            await finish(session, row, state=state, now=self.clock.now(), **change)


def _count(report: SendReport, reason: str) -> None:
    report.reasons[reason] = report.reasons.get(reason, 0) + 1
