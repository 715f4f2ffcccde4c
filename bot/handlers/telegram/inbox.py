"""Webhook updates from the inbox: each stored update through the bot, once, in order.

In webhook mode the route (:mod:`bot.handlers.telegram.webhook`) stores every update in
the inbox (:mod:`circles.services.inbox`) before it answers Telegram, and wakes this
worker; the worker also looks every :data:`POLL` seconds, so updates that another
replica stored, or that a killed process left, are handled by whoever looks first. One
pass takes the unprocessed rows oldest first: different people's side by side, one
person's strictly one after another in the order they were stored.

Across processes the order holds because every worker takes a person's rows in that
order, each in the person's turn (:func:`circles.services.inbox.turn`, held while the
update is handled, answered and marked processed): a second process that reaches the
same row waits for the first one's turn to end, finds the row processed and moves on, so
the person's next reply never overtakes this one's. A process killed before marking a
row leaves it for the next look, where the claimed update id makes it a no-op. An update
whose work failed was answered by the error handler ("not saved, try again") and is not
tried again, as in polling mode.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import Application

from circles.clock import Clock
from circles.db import SessionMaker, transaction
from circles.loops import Drainer
from circles.models import Channel
from circles.services.inbox import is_processed, mark_processed, turn, unprocessed

log = logging.getLogger(__name__)

#: Seconds between two looks at the inbox when nobody wakes the worker.
POLL = 1.0
#: People whose updates are handled at once.
CONCURRENT_PEOPLE = 8


class UpdateInbox(Drainer):
    """Handles the Telegram rows of the inbox with the bot's application."""

    poll = POLL
    what = "the Telegram inbox"

    def __init__(
        self, app: Application, sessions: SessionMaker, clock: Clock, receiver: str | None = None
    ) -> None:
        super().__init__(log)
        self.app, self.sessions, self.clock = app, sessions, clock
        #: The extra bot whose rows these are (``circles channel``); None: the default bot.
        self.receiver = receiver
        self._people = asyncio.Semaphore(CONCURRENT_PEOPLE)

    async def process_pending(self) -> int:
        """One pass over the unprocessed rows; returns how many it handled."""
        async with self.sessions() as session:
            rows = [
                (row.id or 0, row.address, row.message or {})
                for row in await unprocessed(
                    session, channel=Channel.telegram, receiver=self.receiver
                )
            ]
        by_person: dict[str, list[tuple[int, str, dict]]] = {}
        for row_id, address, data in rows:
            by_person.setdefault(address, []).append((row_id, address, data))
        counts = await asyncio.gather(*(self._person(mine) for mine in by_person.values()))
        return sum(counts)

    async def _person(self, rows: list[tuple[int, str, dict]]) -> int:
        handled = 0
        async with self._people:
            for row_id, address, data in rows:
                try:
                    await self._handle(row_id, address, data)
                except Exception:  # the database failed: the row stays for the next look
                    log.exception("Telegram inbox row %s stays for the next look", row_id)
                    break
                handled += 1
        return handled

    async def _handle(self, row_id: int, address: str, data: dict) -> None:
        async with turn(self.sessions, channel=Channel.telegram, address=address):
            async with self.sessions() as session:
                if await is_processed(session, row_id=row_id):
                    return  # another replica handled it while this one waited
            update = Update.de_json(data, self.app.bot) if data else None
            if update is not None:
                # PTB's error handler answers a failed update; it never raises here.
                await self.app.process_update(update)
            async with transaction(self.sessions) as session:
                await mark_processed(session, row_id=row_id, now=self.clock.now())
