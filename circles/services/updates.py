"""Telegram update ids already handled, so each update runs at most once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from circles.db import insert_or_skip
from circles.models import ProcessedUpdate


async def claim_update(session: AsyncSession, *, update_id: int, now: datetime) -> bool:
    """Record ``update_id`` as handled; False if it already was.

    Call it in the same transaction as the update's work: if the work fails, the claim
    rolls back with it and a redelivery is handled again.
    """
    result = await session.execute(
        insert_or_skip(session, ProcessedUpdate)
        .values(update_id=update_id, processed_at=now)
        .on_conflict_do_nothing(index_elements=["update_id"])
    )
    return result.rowcount == 1


async def prune_processed_updates(session: AsyncSession, *, before: datetime) -> int:
    """Forget update ids handled before ``before`` (Telegram keeps updates for 24 hours)."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)
    )
    return result.rowcount or 0
