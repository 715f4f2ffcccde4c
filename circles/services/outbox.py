"""The outbox: every outgoing message is a row first, sent later at its app's pace, once.

A row is addressed to a ``channel`` and an ``address`` there (a person's identity, see
:func:`circles.services.people.preferred_identity`, or a circle's group link); each
channel's sender takes only its own rows.

A message's ``payload`` is one channel-neutral event (``bot.flows.events.dump``: a
message with its buttons, or a photo or document the channel holds), not yet translated::

    {"v": 2, "event": {"say": {"t": "Reminder: …", "p": {…}}, "buttons": [[…]]}}

The sender renders it when it sends it, in the recipient's language *then*, so a reminder
queued before a teacher switched to French goes out in French. One row is one message (a
row is sent at most once). Rows queued before events (``{"text": …, "buttons": …}``,
version 1, still built by :func:`message_payload`) are sent as they are.

``circles`` cannot import ``bot``: a service that queues a message with no buttons (a
review's verdict to its author, a broadcast) builds its event with :func:`say` or
:func:`media`, which write the shape ``bot.flows.events.dump`` writes (a test holds the
two together); anything with buttons is composed in ``bot/flows`` (``bot.flows.queued``),
except an *offer*: a button a service names by a domain name and an id
(``offers=[(label, "revise_practice", 12)]``, see ``bot.flows.buttons.NAMED``), which the
codec turns into the button's action when the message is rendered.

``idempotency_key`` names a message's purpose (a meeting and its change, a broadcast, a
practice, a day …), never its recipient: the same key to the same address is the same
message, so enqueueing it twice is a no-op and a job or request that is retried never
sends twice, while the same key to another address is that address's own copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from circles.db import insert_or_skip
from circles.models import (
    Channel,
    Delivery,
    DeliveryState,
    Outbox,
    OutboxPriority,
    OutboxState,
    Person,
    SendBudget,
)
from circles.services.people import preferred_identity
from circles.text import Part, Text

#: The payload version of queued events (version 1, without ``v``, held rendered text).
EVENTS = 2


def queued(event: dict[str, Any]) -> dict[str, Any]:
    """The payload of one dumped event."""
    return {"v": EVENTS, "event": event}


def queued_event(payload: dict[str, Any] | None) -> dict[str, Any] | None:
    """The dumped event a payload holds, or None for a row of version 1."""
    if payload and payload.get("v") == EVENTS:
        return payload["event"]
    return None


def _text(text: Part) -> Any:
    return text.dump() if isinstance(text, Text) else text


def say(text: Part, offers: Sequence[tuple[Part, str, int]] = ()) -> dict[str, Any]:
    """The payload of a message (as ``events.dump(Say(text))``), with one button per offer:
    (label, the action's name in ``bot.flows.buttons.NAMED``, its id)."""
    event: dict[str, Any] = {"say": _text(text)}
    if offers:
        event["buttons"] = [
            [{"label": _text(label), "named": [name, ident]}] for label, name, ident in offers
        ]
    return queued(event)


def media(file_id: str, kind: str, caption: Part = "") -> dict[str, Any]:
    """The payload of a photo or document the channel holds (as ``events.dump(Photo(…))``)."""
    return queued({"photo": file_id, "caption": _text(caption), "kind": kind})


def message_payload(
    text: str, buttons: list[list[tuple[str, str]]] | None = None
) -> dict[str, Any]:
    """A payload of version 1: rendered text with rows of (label, data) buttons.

    Nothing queues these any more; rows written before events still hold them, and the
    sender reads them as they are.
    """
    payload: dict[str, Any] = {"text": text}
    if buttons:
        payload["buttons"] = [
            [{"label": label, "data": data} for label, data in row] for row in buttons
        ]
    return payload


class Addressed(Protocol):
    """An address on a channel: a person's identity, a circle's group link, a ``people.Address``."""

    channel: Channel
    address: str


#: Where a message goes: an address, or a person at the identity they wrote from last.
Recipient = Addressed | Person


async def enqueue(
    session: AsyncSession,
    *,
    to: Recipient,
    payload: dict[str, Any],
    key: str,
    now: datetime,
    priority: OutboxPriority = OutboxPriority.bulk,
    not_before: datetime | None = None,
) -> bool:
    """Queue a message for ``to``; False if ``key`` was queued there before.

    A person is reached at their preferred identity (the one they wrote from last); False
    too if they cannot be reached anywhere.
    """
    if isinstance(to, Person):
        found = await preferred_identity(session, person_id=to.id)
        if found is None:
            return False
        to = found
    result = await session.execute(
        insert_or_skip(session, Outbox)
        .values(
            channel=to.channel,
            address=to.address,
            payload=payload,
            priority=priority,
            idempotency_key=key,
            state=OutboxState.pending,
            attempts=0,
            not_before=not_before or now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["channel", "address", "idempotency_key"])
    )
    return result.rowcount == 1


#: Each app's row of the shared bulk schedule (``SendBudget.id``): its limits are its own.
BUDGETS = {Channel.telegram: 1, Channel.whatsapp: 2}
#: An extra channel account's row is this plus its id: each bot or number has its own.
ACCOUNT_BUDGETS = 1000


def budget_of(channel: Channel, account: int | None = None) -> int:
    """The ``SendBudget`` row of ``channel``'s default account, or of ``account``."""
    return BUDGETS[channel] if account is None else ACCOUNT_BUDGETS + account


async def book_bulk_slots(
    session: AsyncSession,
    *,
    count: int,
    gap: timedelta,
    now: datetime,
    channel: Channel = Channel.telegram,
    account: int | None = None,
) -> datetime:
    """Book ``count`` consecutive bulk slots on the schedule all senders of ``channel``
    share (of its extra channel ``account``, if given: each account has its own).

    Returns when the first slot starts. The row is locked for the booking (PostgreSQL),
    so two senders never get overlapping windows and together keep the overall rate.
    """
    budget_id = budget_of(channel, account)
    await session.execute(
        insert_or_skip(session, SendBudget)
        .values(id=budget_id, next_slot=now)
        .on_conflict_do_nothing(index_elements=["id"])
    )
    budget = await session.scalar(
        select(SendBudget).where(SendBudget.id == budget_id).with_for_update()
    )
    assert budget is not None
    start = max(budget.next_slot, now)
    budget.next_slot = start + count * gap
    return start


async def start_sending(session: AsyncSession, *, row_id: int, now: datetime) -> bool:
    """Mark a claimed row as being sent; False if it is no longer pending (a broadcast
    cancelled since it was claimed)."""
    marked = await session.execute(
        update(Outbox)
        .where(Outbox.id == row_id, Outbox.state == OutboxState.pending)
        .values(state=OutboxState.sending, claimed_at=now)
    )
    return marked.rowcount == 1


async def claim_due(
    session: AsyncSession, *, channel: Channel, now: datetime, lease: timedelta, batch: int
) -> list[Outbox]:
    """Take up to ``batch`` due rows of ``channel``, replies first, for a lease.

    Rows claimed longer than ``lease`` ago by a sender that stopped are taken again; a row
    it had started sending is marked failed as *interrupted* (it may have arrived: never
    twice). ``FOR UPDATE SKIP LOCKED`` on PostgreSQL and a guarded update everywhere make
    two senders that read the same rows take each once.
    """
    unclaimed = or_(Outbox.claimed_at.is_(None), Outbox.claimed_at < now - lease)
    await session.execute(
        update(Outbox)
        .where(
            Outbox.channel == channel,
            Outbox.state == OutboxState.sending,
            Outbox.claimed_at < now - lease,
        )
        .values(state=OutboxState.failed, last_error="interrupted while sending")
    )
    query = (
        select(Outbox)
        .where(
            Outbox.channel == channel,
            Outbox.state == OutboxState.pending,
            Outbox.not_before <= now,
            unclaimed,
        )
        .order_by(case((Outbox.priority == OutboxPriority.reply, 0), else_=1), Outbox.id)
        .limit(batch)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = list(await session.scalars(query))
    mine = []
    for row in candidates:
        taken = await session.execute(
            update(Outbox)
            .where(Outbox.id == row.id, Outbox.state == OutboxState.pending, unclaimed)
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:
            mine.append(row)
    return mine


# --- what became of a sent message (the app's status reports) ------------------------------


async def find_sent(session: AsyncSession, *, channel: Channel, message_id: str) -> Outbox | None:
    """The row whose message the app knows as ``message_id``."""
    return await session.scalar(
        select(Outbox).where(Outbox.channel == channel, Outbox.sent_message_id == message_id)
    )


async def mark_seen(session: AsyncSession, *, row_id: int, read: bool, now: datetime) -> None:
    """The row's message reached the phone (and was ``read``): the first report of each
    counts, and reading implies delivery (the app may skip that report or send it late)."""
    values: dict[str, Any] = {"delivered_at": func.coalesce(Outbox.delivered_at, now)}
    if read:
        values["read_at"] = func.coalesce(Outbox.read_at, now)
    await session.execute(update(Outbox).where(Outbox.id == row_id).values(**values))


async def requeue(
    session: AsyncSession,
    *,
    row_id: int,
    not_before: datetime,
    template: str | None,
    error: str,
    attempts: int | None = None,
) -> None:
    """The app reported the row's sent message as not delivered: send it again (as
    ``template``, if given) from ``not_before``; its broadcast delivery is pending again."""
    values: dict[str, Any] = {
        "state": OutboxState.pending,
        "claimed_at": None,
        "not_before": not_before,
        "sent_message_id": None,
        "sent_at": None,
        "template": template,
        "last_error": error[:300],
    }
    if attempts is not None:
        values["attempts"] = attempts
    await session.execute(update(Outbox).where(Outbox.id == row_id).values(**values))
    await session.execute(
        update(Delivery)
        .where(Delivery.outbox_id == row_id)
        .values(state=DeliveryState.pending, sent_at=None, reason=None)
    )


async def message_counts(session: AsyncSession, *rows: Any) -> dict[str, int]:
    """How many of the outbox rows that ``rows`` (conditions) select were sent, and how
    many delivered and read (as far as their app reports it)."""
    found = await session.execute(
        select(
            func.count(case((Outbox.state == OutboxState.sent, 1))),
            func.count(Outbox.delivered_at),
            func.count(Outbox.read_at),
        ).where(*rows)
    )
    sent, delivered, read = found.one()
    return {"sent": sent, "delivered": delivered, "read": read}


async def reached_by_template(
    session: AsyncSession, *, channel: Channel, since: datetime, sent_by: int | None = None
) -> dict[str, datetime]:
    """The addresses that got a template (a conversation the business started) after
    ``since`` from the default number (or the channel account ``sent_by``'s), each with
    the first time in that span (each number's messaging tier)."""
    by = Outbox.sent_by.is_(None) if sent_by is None else Outbox.sent_by == sent_by
    found = await session.execute(
        select(Outbox.address, func.min(Outbox.sent_at))
        .where(
            Outbox.channel == channel,
            Outbox.template.is_not(None),
            Outbox.sent_at > since,
            by,
        )
        .group_by(Outbox.address)
    )
    return {address: first for address, first in found.all()}
