"""WhatsApp's status webhooks: how far each message we sent got.

A status names the message by its ``wamid`` (``Outbox.sent_message_id``) and says
``sent``, ``delivered``, ``read`` or ``failed``. They come out of order, twice, and
``delivered`` is sometimes skipped, so each row keeps the furthest: the first
``delivered`` or ``read`` sets ``delivered_at`` (and ``read_at``), a later or repeated
one changes nothing, and a ``failed`` after the message was delivered is ignored. A
``failed`` one is handled as a refusal at send time (:mod:`.codes`): 131047 sends the
message again as its template, 131026 marks the identity unreachable, throttling and
Meta's faults send it again after a backoff, anything else marks it failed. Statuses of
messages the outbox does not know (replies) are ignored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.queued import finish, retry
from bot.handlers.whatsapp.codes import Fate, fate
from bot.handlers.whatsapp.template_purposes import purposes_of
from circles.models import Channel, Outbox, OutboxState
from circles.services.outbox import find_sent, mark_seen, requeue
from circles.services.people import mark_unreachable

log = logging.getLogger(__name__)

SEEN = ("delivered", "read")
#: A reported failure counts while the row stands as sent (a pending row holds the
#: template that went in its place).
_STANDING = (OutboxState.sent, OutboxState.pending)


@dataclass(frozen=True)
class Status:
    """One status of a message we sent."""

    wamid: str
    state: str
    error: int | None = None


def read_statuses(raw: list[dict[str, Any]]) -> list[Status]:
    """The statuses of a webhook call; anything of another shape is skipped."""
    found = []
    for item in raw:
        wamid, state = item.get("id"), item.get("status")
        if not isinstance(wamid, str) or not isinstance(state, str):
            continue
        errors = item.get("errors")
        first = errors[0] if isinstance(errors, list) and errors else {}
        code = first.get("code") if isinstance(first, dict) else None
        found.append(Status(wamid, state, code if isinstance(code, int) else None))
    return found


async def apply_statuses(session: AsyncSession, statuses: list[Status], *, now: datetime) -> int:
    """Record each status on its outbox row; returns how many rows they concerned."""
    applied = 0
    for status in statuses:
        row = await find_sent(session, channel=Channel.whatsapp, message_id=status.wamid)
        if row is None:
            continue
        applied += 1
        if status.state in SEEN:
            await mark_seen(session, row_id=row.id, read=status.state == "read", now=now)
        elif status.state == "failed" and row.delivered_at is None and row.state in _STANDING:
            await _failed(session, row, status.error, now)
    return applied


async def _failed(session: AsyncSession, row: Outbox, code: int | None, now: datetime) -> None:
    reason = f"graph {code}"
    happened = fate(code)
    log.info("WhatsApp could not deliver outbox row %s (Graph error %s)", row.id, code)
    if happened is Fate.window and row.template is None:
        purposes = purposes_of(row.idempotency_key)
        template = purposes[0].name if purposes else None
        await requeue(session, row_id=row.id, not_before=now, template=template, error=reason)
    elif happened is Fate.unreachable:
        await finish(session, row, state=OutboxState.unreachable, now=now, error=reason)
        await mark_unreachable(session, channel=Channel.whatsapp, address=row.address, now=now)
    elif happened in (Fate.retry, Fate.number_throttled, Fate.person_throttled):
        state, change = retry(row, now, reason)
        if state is OutboxState.failed:
            await finish(session, row, state=state, now=now, error=reason)
        else:
            await requeue(
                session,
                row_id=row.id,
                not_before=change["not_before"],
                template=row.template,
                error=reason,
                attempts=change["attempts"],
            )
    else:
        await finish(session, row, state=OutboxState.failed, now=now, error=reason)
