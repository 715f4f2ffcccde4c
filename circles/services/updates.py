"""Update (message) ids already handled, per channel, so each update runs at most once."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.ext.asyncio import AsyncSession

from circles.db import dialect_insert
from circles.models import Channel, ProcessedUpdate


@cache
def _claim(dialect: str) -> PgInsert | SqliteInsert:
    """The claim, built once per dialect: every update runs it, and building it costs more."""
    return dialect_insert(dialect, ProcessedUpdate.__table__).on_conflict_do_nothing(
        index_elements=["channel", "update_id"]
    )


async def claim_update(
    session: AsyncSession, *, channel: Channel, update_id: str, now: datetime
) -> bool:
    """Record ``update_id`` of ``channel`` as handled; False if it already was.

    Call it in the same transaction as the update's work: if the work fails, the claim
    rolls back with it and a redelivery is handled again.
    """
    claim = _claim(session.get_bind().dialect.name)
    result = await session.execute(
        claim, {"channel": channel, "update_id": update_id, "processed_at": now}
    )
    return result.rowcount == 1


async def prune_processed_updates(session: AsyncSession, *, before: datetime) -> int:
    """Forget update ids handled before ``before`` (Telegram keeps updates for 24 hours).

    Channels that redeliver for longer (WhatsApp: days) must keep their ids that long.
    """
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)
    )
    return result.rowcount or 0
