"""The inbox worker: each stored WhatsApp message through the door, once, then the replies.

The webhook stores messages (:mod:`circles.services.inbox`) and wakes the worker; the
worker also looks at the inbox every :data:`POLL` seconds, so messages a webhook of
another process stored, or that a crash left unprocessed, are handled too. One pass
takes the unprocessed rows, oldest first: different people's side by side, one person's
strictly in the order they arrived (a failed message holds back that person's later
ones until the next pass).

A message is handled in its sender's turn (across processes:
:func:`circles.services.inbox.turn`, held until its replies are sent), in one
transaction that checks that none of their earlier messages still waits, marks its inbox
row processed, claims its id and runs the door (:func:`bot.flows.door.take`);
if the work fails, all three roll back and the message is tried again, up to
:data:`circles.services.inbox.MAX_ATTEMPTS` times, then given up with an apology. The
replies are fitted inside the transaction, in the reader's language as it is after the
work, and sent after the commit, so nothing is shown that was not saved.

A photo, document or voice note of someone who consented is downloaded before the
transaction (WhatsApp's media ids expire) into the media store
(:mod:`circles.services.media`), and the door gets its ``media:`` file id; a download
that fails for a reason that may pass (the network, a 5xx, throttling) fails the message,
which is tried again on the next pass like any other failure. A file of a type or size
the store does not keep, or one WhatsApp no longer holds, is answered with why.

Several numbers (``circles channel``): a message is answered from the number it was
written to (its ``phone_number_id``, the inbox row's ``receiver``); a member whose circle
another number serves is told which one (:mod:`bot.flows.accounts`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.flows import door
from bot.flows.door import Inbound
from bot.flows.events import Say
from bot.flows.fit import Fitted
from bot.flows.messages import Arrival
from bot.flows.visit import Replies, Visit
from bot.handlers.whatsapp import render
from bot.handlers.whatsapp.client import GraphError, WhatsAppClient
from bot.handlers.whatsapp.inbound import (
    declared_type,
    inbound_of,
    join_code,
    sender_of,
)
from circles.clock import Clock
from circles.db import SessionMaker, transaction
from circles.i18n import use_language
from circles.loops import Drainer
from circles.models import Channel, Consent
from circles.services import media
from circles.services.inbox import (
    MAX_ATTEMPTS,
    earlier_waiting,
    mark_processed,
    record_failure,
    turn,
    unprocessed,
)
from circles.services.offload import off_loop
from circles.services.people import find_person
from circles.settings import Settings
from circles.text import t

log = logging.getLogger(__name__)

#: Seconds between two looks at the inbox when nobody wakes the worker.
POLL = 1.0
#: People whose messages are handled at once.
CONCURRENT_PEOPLE = 8

NOT_SAVED = t(
    "Sorry, something went wrong on our side and your last message was not saved. "
    "Please try again in a moment."
)
NOT_RECEIVED = t("I could not receive this file. Please send it again.")


class NotYourTurn(Exception):
    """An earlier message of the same person is still waiting (another process has it,
    or it failed and waits for its next try): this one waits behind it."""


@dataclass(frozen=True)
class Stored:
    """An inbox row as the worker reads it (plain values, no session attached)."""

    id: int
    message_id: str
    wa_id: str
    profile_name: str | None
    message: dict[str, Any]
    #: The number it was written to, its phone number id (None: not said, the default).
    receiver: str | None = None


@dataclass(frozen=True)
class Number:
    """An extra WhatsApp number (``circles channel``): its account and its client."""

    account: int
    client: WhatsAppClient


class InboxWorker(Drainer):
    """Handles the WhatsApp inbox: the door for each message, then the replies."""

    poll = POLL
    what = "the WhatsApp inbox worker"

    def __init__(
        self,
        settings: Settings,
        sessions: SessionMaker,
        clock: Clock,
        client: WhatsAppClient,
        numbers: Mapping[str, Number] | None = None,
    ) -> None:
        super().__init__(log)
        self.settings, self.sessions, self.clock, self.client = settings, sessions, clock, client
        #: The extra numbers by phone number id; a message to one is answered from it.
        self.numbers = dict(numbers or {})
        #: On SQLite (one writer) the messages' transactions take turns, as Telegram's do.
        self.write_lock = asyncio.Lock() if settings.is_sqlite else None
        self._people = asyncio.Semaphore(CONCURRENT_PEOPLE)

    async def process_pending(self) -> int:
        """One pass over the unprocessed rows; returns how many it handled (or gave up)."""
        async with self.sessions() as session:
            rows = [
                Stored(
                    r.id or 0,
                    r.message_id,
                    r.address,
                    r.profile_name,
                    r.message or {},
                    r.receiver,
                )
                for r in await unprocessed(session, channel=Channel.whatsapp)
            ]
        by_person: dict[str, list[Stored]] = {}
        for row in rows:
            by_person.setdefault(row.wa_id, []).append(row)
        counts = await asyncio.gather(*(self._person(mine) for mine in by_person.values()))
        return sum(counts)

    async def _person(self, rows: list[Stored]) -> int:
        """One person's rows, in order; stop at a failure, or at a row whose turn has not
        come (an earlier one waits, in another process), so that order is kept."""
        handled = 0
        async with self._people:
            for row in rows:
                try:
                    if not await self._handle(row):
                        break
                except Exception:  # the failure could not even be counted (no database)
                    log.exception("WhatsApp inbox row %s stays for the next pass", row.id)
                    break
                handled += 1
        return handled

    async def _handle(self, row: Stored) -> bool:
        """Handle one message and send its replies, in the person's turn (another replica
        waits until the replies are out); False if the work failed (it stays)."""
        async with turn(self.sessions, channel=Channel.whatsapp, address=row.wa_id):
            return await self._handle_in_turn(row)

    async def _handle_in_turn(self, row: Stored) -> bool:
        language = self.settings.default_language
        try:
            shown = await self._work(row)
        except NotYourTurn:
            return False
        except Exception as error:
            log.error(
                "error while handling WhatsApp inbox row %s (%s)",
                row.id,
                type(error).__name__,
                exc_info=error,
            )
            if not await self._failed(row, type(error).__name__):
                return False
            await self._reply(row, render.fitted([Say(NOT_SAVED)], language), language)
            return True
        if shown is not None:
            await self._reply(row, *shown)
        return True

    async def _work(self, row: Stored) -> tuple[Fitted, str] | None:
        """The transaction of one message: mark, claim, the door; the fitted replies."""
        turn: contextlib.AbstractAsyncContextManager[Any] = (
            self.write_lock or contextlib.nullcontext()
        )
        sender = sender_of(row.wa_id, row.profile_name)
        inbound = inbound_of(row.message)
        refused: Say | None = None
        if inbound is not None and inbound.message is not None and inbound.message.file_id:
            inbound, refused = await self._keep(row, inbound)
        with use_language(None, self.settings.default_language):
            async with turn, transaction(self.sessions) as session:
                if await earlier_waiting(session, row_id=row.id):
                    raise NotYourTurn
                now = self.clock.now()
                if not await mark_processed(session, row_id=row.id, now=now):
                    return None  # another worker took it meanwhile
                if inbound is None:
                    return None  # a reaction, a system notice: nothing to answer
                handled = await door.take(
                    session,
                    update_id=row.message_id,
                    sender=sender,
                    inbound=inbound,
                    settings=self.settings,
                    now=now,
                    answer=_refusing(refused) or _joining(join_code(row.message), inbound),
                    arrival=Arrival(self._account(row), self.settings.whatsapp_number),
                )
                if handled is None:
                    log.info("WhatsApp message of inbox row %s was already handled", row.id)
                    return None
                kept = inbound.message.file_id if inbound.message else None
                unused = media.is_stored(kept) and not await media.is_named(session, kept)
                shown = render.fitted(handled.outcome.events, handled.language), handled.language
        if unused:  # no answer took the file (no question asked for one): not kept
            await off_loop(media.delete, self.settings.media_dir, [kept])
        return shown

    def _client(self, row: Stored) -> WhatsAppClient:
        """The client of the number ``row`` was written to."""
        number = self.numbers.get(row.receiver or "")
        return self.client if number is None else number.client

    def _account(self, row: Stored) -> int | None:
        number = self.numbers.get(row.receiver or "")
        return None if number is None else number.account

    async def _keep(self, row: Stored, inbound: Inbound) -> tuple[Inbound, Say | None]:
        """Download the file of ``inbound`` into the media store: the inbound with the
        stored file's id, or the answer why it is not kept.

        Nothing is downloaded for someone who has not consented (the door answers them
        as it answers anything before consent). Raises :class:`GraphError` when trying
        again may succeed.
        """
        message = inbound.message
        assert message is not None and message.file_id is not None
        async with self.sessions() as session:
            person = await find_person(session, channel=Channel.whatsapp, address=row.wa_id)
        if person is None or person.consent is not Consent.given:
            return inbound, None
        limit = 0
        try:
            if declared := declared_type(row.message):
                media.check(declared, None)  # refused before downloading anything
            found = await self._client(row).media_info(message.file_id)
            media.check(found.mime_type, found.size)
            limit = media.limit_of(found.mime_type)
            content = await self._client(row).download(found.url, limit=limit)
        except media.MediaRefused as refused:
            return inbound, Say(t(refused.message, **refused.params))
        except GraphError as error:
            if error.status == 413 and limit:  # larger than WhatsApp said: cut at the limit
                return inbound, Say(t(media.TOO_BIG, megabytes=limit // media.MB))
            if error.retryable:
                raise
            log.info("media of inbox row %s not received (HTTP %s)", row.id, error.status)
            return inbound, Say(NOT_RECEIVED)
        file_id = media.file_id_for(f"whatsapp:{row.message_id}", found.mime_type)
        await off_loop(media.save, self.settings.media_dir, file_id=file_id, content=content)
        return dataclasses.replace(
            inbound, message=dataclasses.replace(message, file_id=file_id)
        ), None

    async def _failed(self, row: Stored, error: str) -> bool:
        """Count the failure; True when the message is given up (the person is told)."""
        async with transaction(self.sessions) as session:
            attempts = await record_failure(session, row_id=row.id, error=error)
            if attempts < MAX_ATTEMPTS:
                return False
            await mark_processed(session, row_id=row.id, now=self.clock.now(), error=error)
        log.error("gave up WhatsApp inbox row %s after %d attempts", row.id, attempts)
        return True

    async def _reply(self, row: Stored, shown: Fitted, language: str) -> None:
        try:
            await render.show(self._client(row), row.wa_id, shown, language)
        except GraphError as error:
            # The work is saved; telling the person it was not would be wrong.
            log.warning(
                "WhatsApp inbox row %s was saved but its reply could not be sent "
                "(HTTP %s, Graph error %s)",
                row.id,
                error.status,
                error.code,
            )


def _refusing(refused: Say | None) -> Callable[[Visit], Awaitable[Replies]] | None:
    """For a file that is not kept: the answer why, instead of the dialogue."""
    if refused is None:
        return None

    async def answer(_visit: Visit) -> Replies:
        return [refused]

    return answer


def _joining(code: str | None, inbound: Inbound) -> Callable[[Visit], Awaitable[Replies]] | None:
    """For a message with "JOIN <code>": from someone the bot does not know, ``/start
    <code>``; from a member, the message as it is."""
    if code is None:
        return None

    async def answer(visit: Visit) -> Replies:
        if visit.member is None:
            return await door.COMMANDS["start"](visit, code)
        return (await door.dispatch(visit, inbound)).events

    return answer
