"""Messages that are not replies: one event per outbox row, rendered when it is sent.

Invitations, nudges, reminders, digests and announcements are queued here as events
(:mod:`bot.flows.events`), not as text: the door that sends a row renders it with
:func:`shown` in the recipient's language at that moment. :func:`shown` also reads the
rows of version 1 (rendered text and button data), queued before events. After sending,
the door releases the row with :func:`finish` (and :func:`retry` after a failure on the
app's side).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict, Unpack

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.buttons import encode
from bot.flows.events import Invitation, Notice, Photo, Say, dump
from bot.flows.invitations import load_queued
from circles import metrics
from circles.clock import Clock
from circles.db import SessionMaker, transaction
from circles.models import Channel, Outbox, OutboxState
from circles.pacing import Pacer
from circles.services.broadcasts import record_delivery
from circles.services.outbox import book_bulk_slots, queued, queued_event
from circles.text import render

#: The events a row can hold.
Queued = Say | Photo | Notice | Invitation


def payload(event: Queued) -> dict[str, Any]:
    """The outbox payload of ``event`` (to queue with :func:`circles.services.outbox.enqueue`)."""
    return queued(dump(event))


@dataclass(frozen=True)
class Shown:
    """A queued row as its reader sees it: text, (label, data) buttons, and any media."""

    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    #: A photo or document the channel already holds, and which of the two.
    file_id: str | None = None
    file_kind: str | None = None
    #: A document to upload: (file name, content) (rows of version 1 only).
    document: tuple[str, str] | None = None


def shown(payload: dict[str, Any] | None, language: str) -> Shown:
    """The row's message rendered in ``language``."""
    data = queued_event(payload)
    if data is None:
        return _version_1(payload or {})
    event = load_queued(data)
    rows: tuple[tuple[tuple[str, str], ...], ...] = ()
    if isinstance(event, Say):
        rows = tuple(
            tuple((render(b.label, language), encode(b.action)) for b in row)
            for row in event.buttons
        )
        return Shown(render(event.text, language), rows)
    if isinstance(event, Photo):
        return Shown(render(event.caption, language), file_id=event.file_id, file_kind=event.kind)
    return Shown(render(event.text, language))


def _version_1(payload: dict[str, Any]) -> Shown:
    rows = tuple(
        tuple((b["label"], b["data"]) for b in line) for line in payload.get("buttons") or ()
    )
    document = payload.get("document")
    return Shown(
        payload.get("text") or "",
        rows,
        file_id=payload.get("file_id"),
        file_kind=payload.get("file_kind"),
        document=(document["name"], document["content"]) if document else None,
    )


#: Tries of a row that failed on the app's side (timeouts, 5xx, throttling) before it is
#: given up.
MAX_ATTEMPTS = 5


class Change(TypedDict, total=False):
    """What sending a row came to, besides its new state (what is not given stays)."""

    not_before: datetime
    sent_at: datetime
    message_id: str | None
    attempts: int
    error: str
    #: The WhatsApp template the message went as.
    template: str
    #: The channel account whose bot or number sent it (None: the default).
    sent_by: int


async def finish(
    session: AsyncSession,
    row: Outbox,
    *,
    state: OutboxState,
    now: datetime,
    **change: Unpack[Change],
) -> None:
    """Release the claimed ``row`` in ``state``, count it, and carry its fate over to its
    broadcast delivery, if it has one."""
    values: dict[str, Any] = {"state": state, "claimed_at": None}
    if "not_before" in change:
        values["not_before"] = change["not_before"]
    if "sent_at" in change:
        values["sent_at"] = change["sent_at"]
    if (message_id := change.get("message_id")) is not None:
        values["sent_message_id"] = message_id[:128]
    if "attempts" in change:
        values["attempts"] = change["attempts"]
    if "template" in change:
        values["template"] = change["template"]
    if "sent_by" in change:
        values["sent_by"] = change["sent_by"]
    error = change.get("error")
    if error is not None:
        values["last_error"] = error[:300]
    if state is OutboxState.sent:
        metrics.SENT.labels(row.priority.value).inc()
    elif state in (OutboxState.failed, OutboxState.unreachable):
        metrics.FAILED.labels(state.value).inc()
    await session.execute(update(Outbox).where(Outbox.id == row.id).values(**values))
    await record_delivery(session, outbox_id=row.id, state=state, reason=error, now=now)


def retry(row: Outbox, now: datetime, error: str) -> tuple[OutboxState, Change]:
    """What one more failed try of ``row`` comes to: pending again after a backoff that
    doubles (at most five minutes), or failed after :data:`MAX_ATTEMPTS` tries."""
    attempts = row.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        return OutboxState.failed, Change(attempts=attempts, error=error)
    backoff = timedelta(seconds=min(300, 2**attempts))
    return OutboxState.pending, Change(attempts=attempts, not_before=now + backoff, error=error)


async def wait_for_bulk_window(
    sessions: SessionMaker,
    clock: Clock,
    pacer: Pacer,
    *,
    channel: Channel,
    bulk: int,
    account: int | None = None,
) -> None:
    """On PostgreSQL, book ``bulk`` slots on the schedule every sender of ``channel``
    (of its channel ``account``, if given) shares, and wait for the first.

    Each process also paces itself; booking disjoint windows keeps several processes
    together within the overall rate. SQLite serves one process, which needs no booking.
    """
    if not bulk:
        return
    async with transaction(sessions) as session:
        if session.get_bind().dialect.name != "postgresql":
            return
        now = clock.now()
        start = await book_bulk_slots(
            session,
            count=bulk,
            gap=timedelta(seconds=pacer.bulk_interval),
            now=now,
            channel=channel,
            account=account,
        )
    await pacer.pause((start - now).total_seconds())
