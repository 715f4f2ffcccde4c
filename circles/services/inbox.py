"""The WhatsApp inbox: messages the webhook received, kept until the door has handled them.

WhatsApp redelivers a message for days when it did not get its 200 in time, and warns of
duplicates; so the webhook stores every message (unique by its id) before it answers, and
the WhatsApp door handles the stored rows, each once, marking them processed in the same
transaction as the work. A row left unprocessed (the process stopped) is taken again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from circles.db import insert_or_skip
from circles.models import WhatsAppInbox

#: A row that failed this many times is given up (marked processed with its error).
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Received:
    """One message as the webhook got it: its id, its sender, and the message object."""

    message_id: str
    wa_id: str
    profile_name: str | None
    message: dict[str, Any]
    #: The number it was written to (``metadata.phone_number_id``).
    phone_number_id: str | None = None


async def store_received(session: AsyncSession, *, received: list[Received], now: datetime) -> int:
    """Store ``received``; a message id stored before is skipped. Returns the rows added."""
    if not received:
        return 0
    added = 0
    for item in received:
        result = await session.execute(
            insert_or_skip(session, WhatsAppInbox.__table__).on_conflict_do_nothing(
                index_elements=["message_id"]
            ),
            {
                "message_id": item.message_id[:128],
                "wa_id": item.wa_id[:64],
                "profile_name": (item.profile_name or "")[:120] or None,
                "phone_number_id": (item.phone_number_id or "")[:32] or None,
                "message": item.message,
                "received_at": now,
                "attempts": 0,
            },
        )
        added += result.rowcount or 0
    return added


async def unprocessed(session: AsyncSession, *, limit: int = 500) -> list[WhatsAppInbox]:
    """Rows not handled yet, oldest first (each person's in the order they arrived)."""
    return list(
        await session.scalars(
            select(WhatsAppInbox)
            .where(WhatsAppInbox.processed_at.is_(None))
            .order_by(WhatsAppInbox.id)
            .limit(limit)
        )
    )


async def mark_processed(
    session: AsyncSession, *, row_id: int, now: datetime, error: str | None = None
) -> bool:
    """The row is handled (or given up with ``error``): its message text is dropped.

    False when it was already marked (another process handled it meanwhile).
    """
    values: dict[str, Any] = {"processed_at": now, "message": None}
    if error is not None:
        values["last_error"] = error[:300]
    result = await session.execute(
        update(WhatsAppInbox)
        .where(WhatsAppInbox.id == row_id, WhatsAppInbox.processed_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def record_failure(session: AsyncSession, *, row_id: int, error: str) -> int:
    """Count a failed attempt at the row; returns the attempts so far."""
    await session.execute(
        update(WhatsAppInbox)
        .where(WhatsAppInbox.id == row_id)
        .values(attempts=WhatsAppInbox.attempts + 1, last_error=error[:300])
        .execution_options(synchronize_session=False)
    )
    attempts = await session.scalar(
        select(WhatsAppInbox.attempts).where(WhatsAppInbox.id == row_id)
    )
    return attempts or 0


async def forget_sender(session: AsyncSession, *, wa_ids: list[str]) -> None:
    """Erase what the inbox holds of these senders (``/forgetme``)."""
    if wa_ids:
        await session.execute(delete(WhatsAppInbox).where(WhatsAppInbox.wa_id.in_(wa_ids)))


async def prune_inbox(session: AsyncSession, *, before: datetime) -> int:
    """Forget rows handled before ``before`` (kept past WhatsApp's redelivery of days)."""
    result = await session.execute(delete(WhatsAppInbox).where(WhatsAppInbox.processed_at < before))
    return result.rowcount or 0
