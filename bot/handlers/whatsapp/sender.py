"""The WhatsApp outbox sender: queued messages of the ``whatsapp`` channel, each at most once.

It takes only the ``whatsapp`` rows (the address is the person's WhatsApp id), claimed
like Telegram's (:func:`circles.services.outbox.claim_due`), renders each row's event in
the person's language at the moment it sends it, fitted to WhatsApp, and sends it
through the Cloud API client.

WhatsApp allows free-form messages only within 24 hours of the person's last message
(``Identity.last_inbound_at``, read on the injected clock, and only with the number
they wrote to: ``Identity.last_inbound_account``). Outside it, a message the bot
starts itself goes as its approved utility template
(:func:`bot.handlers.whatsapp.templates.for_purpose`, in the person's language), and the
row records the template's name (``Outbox.template``). A template that cannot say the
whole message (a long broadcast, a photo) goes, and the message itself waits for the
window (a pending row with the template's ``wamid``). A row with no template (a reply)
waits for the window, looked at again after :data:`WINDOW_RECHECK`. The Graph API's
answers:

* sent → ``sent`` with the first message's ``wamid``;
* 131047 (outside the window) → the same row goes as its template at once (or waits,
  when it has none): never dropped, never twice;
* 131026 (the number cannot receive) → ``unreachable``, and the identity is marked so;
* 5xx, 429, throttling codes, 131053, unreachable API → retried with backoff, then
  ``failed`` (only while nothing of the row was sent: never twice);
* 190 (the token) → the row stays pending and the sender stops, with one log line;
* anything else → ``failed`` with the Graph error code (see :mod:`.codes`).

What happens to a message after it was sent comes by status webhooks (:mod:`.statuses`).

Limits (as Telegram's sender keeps Telegram's): the client's pacer keeps the number's
throughput (``CIRCLES_WHATSAPP_RATE``; bulk rows at 80 % of it, inside
:func:`.client.bulk`, so the inbox worker's replies find room) and about one message per
6 s to one person; a row whose person is not ready goes back to the queue until they
are. On PostgreSQL the senders book their bulk windows on WhatsApp's row of the shared
schedule. Throttling codes block the number (or that person) for the row's backoff.
Templates to people outside their window count against the messaging tier
(``CIRCLES_WHATSAPP_TIER``, :mod:`.tier`): beyond it a row waits for a free slot.

Several numbers (``circles channel``): the default number's sender claims the rows and
hands each to the sender of the number that serves the recipient's circle
(:func:`circles.services.channels.accounts_of`); each number has its own client, pacing,
bulk schedule and tier (its templates are counted by ``outbox.sent_by``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any, Unpack

from sqlalchemy import select

from bot.flows.fit import WHATSAPP, fit
from bot.flows.invitations import load_queued
from bot.flows.queued import Change, finish, retry, wait_for_bulk_window
from bot.handlers.whatsapp import render
from bot.handlers.whatsapp.client import GraphError, WhatsAppClient, bulk
from bot.handlers.whatsapp.codes import OUTSIDE_WINDOW, Fate, fate
from bot.handlers.whatsapp.templates import Filled, NoTemplate, for_purpose
from bot.handlers.whatsapp.tier import Reach
from circles.clock import Clock
from circles.db import SessionMaker, transaction
from circles.loops import run_until
from circles.models import Channel, Identity, Outbox, OutboxPriority, OutboxState, Person
from circles.services.channels import accounts_of
from circles.services.outbox import claim_due, queued_event, start_sending
from circles.services.people import mark_unreachable

log = logging.getLogger(__name__)

#: Refusals after which a row is tried again (while nothing of it was sent).
_AGAIN = (Fate.retry, Fate.number_throttled, Fate.person_throttled)

LEASE = timedelta(minutes=5)
#: How long WhatsApp lets a business write freely after the person's last message.
WINDOW = timedelta(hours=24)
#: When a row waiting for its recipient's window is looked at again.
WINDOW_RECHECK = timedelta(hours=1)
#: A row whose recipient is not ready for longer than this (seconds) goes back to the queue.
DEFER_AFTER = 1.0
#: How long a row of a number this process does not send for waits to be claimed again.
UNROUTED = timedelta(minutes=1)
#: How long a person waits after WhatsApp said they got too many messages (131056).
PERSON_BACKOFF = timedelta(minutes=1)


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
        tier: int = 250,
        account: int | None = None,
        others: Mapping[int, WhatsAppSender] | None = None,
    ) -> None:
        self.client, self.sessions, self.clock = client, sessions, clock
        self.batch, self.default_language, self.tier = batch, default_language, tier
        #: The channel account whose number this is (None: the default number).
        self.account = account
        #: The extra numbers' senders by account id: the rows this one claims for their
        #: circles go through them (each its own client, pacing, tier and schedule).
        self.others = dict(others or {})
        #: The number's pacing (the client's), None when unpaced.
        self.limits = client.limits
        #: Set when WhatsApp refused the token: nothing is sent any more.
        self.stopped = False
        self._reach: Reach | None = None

    async def send_due(self) -> int:
        """One pass: claim due rows and send (or set aside) each; returns the rows taken."""
        if self.stopped:
            return 0
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
        async with self.sessions() as session:
            served = await accounts_of(
                session, app=Channel.whatsapp, addresses={row.address for row in rows}
            )
        by_account: dict[int | None, list[Outbox]] = {}
        for row in rows:
            by_account.setdefault(served.get(row.address), []).append(row)
        for account, group in by_account.items():
            number = self if account is None else self.others.get(account)
            if number is None or number.stopped:
                log.warning("outbox rows of WhatsApp account %s wait: not sending here", account)
                for row in group:
                    await self._finish(
                        row, state=OutboxState.pending, not_before=self.clock.now() + UNROUTED
                    )
                continue
            await number.send_rows(group)
        return len(rows)

    async def send_rows(self, rows: list[Outbox]) -> None:
        """Send (or set aside) claimed rows through this number."""
        if self.limits is not None:
            bulk_rows = sum(r.priority is OutboxPriority.bulk for r in rows)
            await wait_for_bulk_window(
                self.sessions,
                self.clock,
                self.limits,
                channel=Channel.whatsapp,
                bulk=bulk_rows,
                account=self.account,
            )
        people = await self._recipients({row.address for row in rows})
        self._reach = None  # the tier's room, read when this pass first needs it
        for row in rows:
            if self.stopped:  # the token was refused: the rest is released untouched
                await self._finish(row, state=OutboxState.pending)
                continue
            language, last_inbound = people.get(row.address, (self.default_language, None))
            with bulk() if row.priority is OutboxPriority.bulk else nullcontext():
                await self._deliver(row, language, last_inbound)

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
        """Each address's language now and when they last wrote to this number (None if
        their last message went to another number: the window is that number's)."""
        async with self.sessions() as session:
            found = await session.execute(
                select(
                    Identity.address,
                    Person.language,
                    Identity.last_inbound_at,
                    Identity.last_inbound_account,
                )
                .join(Person, Person.id == Identity.person_id)
                .where(Identity.channel == Channel.whatsapp, Identity.address.in_(addresses))
            )
            return {
                address: (language or self.default_language, last if to == self.account else None)
                for address, language, last, to in found.all()
            }

    async def _deliver(self, row: Outbox, language: str, last_inbound: datetime | None) -> None:
        now = self.clock.now()
        ready_in = self.limits.ready_in(row.address) if self.limits is not None else 0.0
        if ready_in > DEFER_AFTER:  # this person had their messages for now
            await self._finish(
                row, state=OutboxState.pending, not_before=now + timedelta(seconds=ready_in)
            )
            return
        window_open = last_inbound is not None and now - last_inbound < WINDOW
        template_went = row.template is not None and row.sent_message_id is not None
        if not window_open or (row.template is not None and not template_went):
            filled = None if template_went else self._template(row, language)
            if filled is None:
                await self._outside_window(row, now)
            elif await self._within_tier(row, now) and await self._start(row, now):
                await self._send_template(row, filled, now)
            return
        if not await self._start(row, now):
            return
        sent: list[str] = []
        try:
            for message in self._messages(row.payload, language):
                sent += await render.send(self.client, row.address, message, language)
        except GraphError as error:
            filled = None
            if error.code == OUTSIDE_WINDOW and not sent and not template_went:
                filled = self._template(row, language)
            if filled is not None:
                if await self._within_tier(row, now):
                    await self._send_template(row, filled, now)
            else:
                await self._refused(row, error, now, nothing_sent=not sent)
            return
        except ValueError as error:  # a stored event that no longer reads
            await self._finish(row, state=OutboxState.failed, error=str(error))
            return
        await self._finish(
            row, state=OutboxState.sent, sent_at=now, message_id=sent[0] if sent else None
        )

    async def _start(self, row: Outbox, now: datetime) -> bool:
        """Mark the row as being sent; False if it was cancelled (a broadcast) meanwhile."""
        async with transaction(self.sessions) as session:
            return await start_sending(session, row_id=row.id, now=now)

    def _template(self, row: Outbox, language: str) -> Filled | None:
        """The template that stands for the row's message, or None (a reply: it waits)."""
        try:
            return for_purpose(row.idempotency_key, row.payload, language)
        except NoTemplate as missing:
            log.debug("outbox row %s has no template: %s", row.id, missing)
            return None

    async def _within_tier(self, row: Outbox, now: datetime) -> bool:
        """Whether the tier lets the row's template go now; if not, it waits for a slot."""
        if self._reach is None:
            self._reach = await Reach.read(self.sessions, self.tier, now, self.account)
        later = self._reach.admit(row.address)
        if later is None:
            return True
        if self._reach.waiting == 1:
            log.info(
                "the WhatsApp messaging tier (%d people a day) is reached: "
                "templates to more people wait for a free slot",
                self.tier,
            )
        await self._finish(
            row, state=OutboxState.pending, not_before=later, error="messaging tier reached"
        )
        return False

    async def _send_template(self, row: Outbox, filled: Filled, now: datetime) -> None:
        """Send ``filled`` in place of the row's message (the row is being sent)."""
        try:
            wamid = await self.client.send_template(
                row.address, filled.name, filled.language, filled.params, filled.payloads
            )
        except GraphError as error:
            await self._refused(row, error, now, nothing_sent=True, template=True)
            return
        if filled.complete:
            await self._finish(
                row, state=OutboxState.sent, sent_at=now, message_id=wamid, template=filled.name
            )
        else:  # the template promised the rest: the message itself waits for the window
            await self._finish(
                row,
                state=OutboxState.pending,
                sent_at=now,
                message_id=wamid,
                template=filled.name,
                not_before=now + WINDOW_RECHECK,
            )

    def _messages(self, payload: dict[str, Any] | None, language: str) -> list:
        event = queued_event(payload)
        if event is None:
            raise ValueError("rows of version 1 were queued for Telegram only")
        return fit([load_queued(event)], language, WHATSAPP).messages

    async def _outside_window(self, row: Outbox, now: datetime) -> None:
        log.info("outbox row %s waits: its recipient's 24-hour WhatsApp window is closed", row.id)
        await self._finish(
            row,
            state=OutboxState.pending,
            not_before=now + WINDOW_RECHECK,
            error="outside the 24-hour window",
        )

    async def _refused(
        self,
        row: Outbox,
        error: GraphError,
        now: datetime,
        *,
        nothing_sent: bool,
        template: bool = False,
    ) -> None:
        reason = f"graph {error.code or error.status}"
        happened = fate(error.code, error.status)
        if happened is Fate.token:
            await self._stop(row, now)
        elif happened is Fate.window and nothing_sent and not template:
            await self._outside_window(row, now)
        elif happened is Fate.unreachable:
            await self._finish(row, state=OutboxState.unreachable, error=reason)
            async with transaction(self.sessions) as session:
                await mark_unreachable(
                    session, channel=Channel.whatsapp, address=row.address, now=now
                )
        elif nothing_sent and happened in _AGAIN:
            state, change = retry(row, now, reason)
            self._slow_down(happened, row, now, change)
            await self._finish(row, state=state, **change)
        else:
            await self._finish(row, state=OutboxState.failed, error=reason)

    def _slow_down(self, happened: Fate, row: Outbox, now: datetime, change: Change) -> None:
        """Throttled: the whole number waits for the row's backoff; a person WhatsApp says
        got too many waits at least :data:`PERSON_BACKOFF` (and so does the row)."""
        if "not_before" not in change:
            return  # given up
        if happened is Fate.person_throttled:
            change["not_before"] = max(change["not_before"], now + PERSON_BACKOFF)
        seconds = (change["not_before"] - now).total_seconds()
        if self.limits is None:
            return
        if happened is Fate.number_throttled:
            self.limits.block_all(seconds)
        elif happened is Fate.person_throttled:
            self.limits.block(row.address, seconds)

    async def _stop(self, row: Outbox, now: datetime) -> None:
        """The token was refused: send nothing more; the row waits for a valid token."""
        if not self.stopped:
            log.error(
                "WhatsApp refused the access token (Graph error 190): no WhatsApp message is "
                "sent until CIRCLES_WHATSAPP_TOKEN is replaced and circles restarted"
            )
        self.stopped = True
        await self._finish(row, state=OutboxState.pending, not_before=now, error="graph 190")

    async def _finish(self, row: Outbox, *, state: OutboxState, **change: Unpack[Change]) -> None:
        if self.account is not None and "sent_at" in change:
            change["sent_by"] = self.account  # this number's tier counts it
        async with transaction(self.sessions) as session:
            await finish(session, row, state=state, now=self.clock.now(), **change)
