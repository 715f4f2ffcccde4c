"""The WhatsApp outbox sender: queued messages of the ``whatsapp`` channel, each at most once.

It takes only the ``whatsapp`` rows (the address is the person's WhatsApp id), claimed
like Telegram's (:func:`circles.services.outbox.claim_due`), renders each row's event in
the person's language at the moment it sends it, fitted to WhatsApp, and sends it
through the Cloud API client.

WhatsApp allows free-form messages only within 24 hours of the person's last message
(``Identity.last_inbound_at``). A row for someone whose window is closed is left pending
(looked at again after :data:`WINDOW_RECHECK`) with one log line: sending it as an
approved template is the next step of issue #20. The Graph API's answers:

* sent → ``sent`` with the first message's ``wamid``;
* 131047 (outside the window) → pending, as above;
* 131026 (the number cannot receive) → ``unreachable``, and the identity is marked so;
* 5xx, 429, throttling codes, unreachable API → retried with backoff, then ``failed``
  (only while nothing of the row was sent: never twice);
* anything else → ``failed`` with the Graph error code.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any, Unpack

from sqlalchemy import select

from bot.flows.events import load_event
from bot.flows.fit import WHATSAPP, fit
from bot.flows.queued import Change, finish, retry
from bot.handlers.whatsapp import render
from bot.handlers.whatsapp.client import GraphError, WhatsAppClient
from circles.clock import Clock
from circles.db import SessionMaker, transaction
from circles.loops import run_until
from circles.models import Channel, Identity, Outbox, OutboxState, Person
from circles.services.outbox import claim_due, queued_event, start_sending
from circles.services.people import mark_unreachable

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
#: How long WhatsApp lets a business write freely after the person's last message.
WINDOW = timedelta(hours=24)
#: When a row waiting for its recipient's window is looked at again.
WINDOW_RECHECK = timedelta(hours=1)
#: Graph error codes: outside the window; cannot receive; throttled.
OUTSIDE_WINDOW = 131047
CANNOT_RECEIVE = 131026
THROTTLED = frozenset({4, 80007, 130429, 131048, 131056})


class WhatsAppSender:
    """Sends due ``whatsapp`` outbox rows through ``client``."""

    def __init__(
        self,
        client: WhatsAppClient,
        sessions: SessionMaker,
        clock: Clock,
        *,
        batch: int = 50,
        default_language: str = "en",
    ) -> None:
        self.client, self.sessions, self.clock = client, sessions, clock
        self.batch, self.default_language = batch, default_language

    async def send_due(self) -> int:
        """One pass: claim due rows and send (or set aside) each; returns the rows taken."""
        async with transaction(self.sessions) as session:
            rows = await claim_due(
                session,
                channel=Channel.whatsapp,
                now=self.clock.now(),
                lease=LEASE,
                batch=self.batch,
            )
        if not rows:
            return 0
        people = await self._recipients({row.address for row in rows})
        for row in rows:
            language, last_inbound = people.get(row.address, (self.default_language, None))
            await self._deliver(row, language, last_inbound)
        return len(rows)

    async def drain(self, limit: int = 100_000) -> int:
        """Send until nothing is due (tests; production uses :meth:`run`)."""
        total = 0
        while total < limit and (taken := await self.send_due()):
            total += taken
        return total

    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Send until ``stop``, resting ``idle`` seconds when nothing is due."""

        async def step() -> bool:
            return await self.send_due() > 0

        await run_until(stop, step, idle=idle, log=log, what="the WhatsApp outbox sender")

    async def _recipients(self, addresses: set[str]) -> dict[str, tuple[str, datetime | None]]:
        """Each address's language now and when they last wrote."""
        async with self.sessions() as session:
            found = await session.execute(
                select(Identity.address, Person.language, Identity.last_inbound_at)
                .join(Person, Person.id == Identity.person_id)
                .where(Identity.channel == Channel.whatsapp, Identity.address.in_(addresses))
            )
            return {
                address: (language or self.default_language, last)
                for address, language, last in found.all()
            }

    async def _deliver(self, row: Outbox, language: str, last_inbound: datetime | None) -> None:
        now = self.clock.now()
        if last_inbound is None or now - last_inbound >= WINDOW:
            await self._outside_window(row, now)
            return
        async with transaction(self.sessions) as session:
            if not await start_sending(session, row_id=row.id, now=now):
                return  # cancelled (a broadcast) since it was claimed
        sent: list[str] = []
        try:
            for message in self._messages(row.payload, language):
                sent += await render.send(self.client, row.address, message, language)
        except GraphError as error:
            await self._refused(row, error, now, nothing_sent=not sent)
            return
        except ValueError as error:  # a stored event that no longer reads
            await self._finish(row, state=OutboxState.failed, error=str(error))
            return
        await self._finish(
            row, state=OutboxState.sent, sent_at=now, message_id=sent[0] if sent else None
        )

    def _messages(self, payload: dict[str, Any] | None, language: str) -> list:
        event = queued_event(payload)
        if event is None:
            raise ValueError("rows of version 1 were queued for Telegram only")
        return fit([load_event(event)], language, WHATSAPP).messages

    async def _outside_window(self, row: Outbox, now: datetime) -> None:
        log.info(
            "outbox row %s waits: its recipient's 24-hour WhatsApp window is closed "
            "(templates are not sent yet)",
            row.id,
        )
        await self._finish(
            row,
            state=OutboxState.pending,
            not_before=now + WINDOW_RECHECK,
            error="outside the 24-hour window",
        )

    async def _refused(
        self, row: Outbox, error: GraphError, now: datetime, *, nothing_sent: bool
    ) -> None:
        reason = f"graph {error.code or error.status}"
        if error.code == OUTSIDE_WINDOW and nothing_sent:
            await self._outside_window(row, now)
        elif error.code == CANNOT_RECEIVE:
            await self._finish(row, state=OutboxState.unreachable, error=reason)
            async with transaction(self.sessions) as session:
                await mark_unreachable(
                    session, channel=Channel.whatsapp, address=row.address, now=now
                )
        elif nothing_sent and (error.retryable or error.code in THROTTLED):
            state, change = retry(row, now, reason)
            await self._finish(row, state=state, **change)
        else:
            await self._finish(row, state=OutboxState.failed, error=reason)

    async def _finish(self, row: Outbox, *, state: OutboxState, **change: Unpack[Change]) -> None:
        async with transaction(self.sessions) as session:
            await finish(session, row, state=state, now=self.clock.now(), **change)
