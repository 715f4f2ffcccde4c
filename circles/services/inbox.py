"""The inbox: updates the apps' webhooks received, kept until a door has handled them.

Both webhooks store what they receive here before they answer 200: WhatsApp redelivers a
message for days when it did not get its 200 in time, Telegram for a day, and a replica
killed after answering must not take an update with it. Any process's worker then handles
the stored rows, each once, marking them processed; a row left unprocessed (the process
stopped) is taken again by whichever process looks next.

Order across processes: a worker takes one sender's rows oldest first, one at a time, and
handles a row only in that sender's **turn** (:func:`turn`, a PostgreSQL advisory lock
held while the row is handled and answered) and only when no earlier row of theirs is still waiting
(:func:`earlier_waiting`). So however many replicas look at the inbox, one person's
updates are handled one at a time and in the order they were stored, and people's
different updates side by side. "Arrival" is the order the webhooks committed the rows;
an app that delivers one person's updates one after another (each after the previous
200) gets exactly its own order.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from circles.db import SessionMaker, insert_or_skip
from circles.models import Channel, Inbox

#: A row that failed this many times is given up (marked processed with its error).
MAX_ATTEMPTS = 3
#: The first key of the turns' advisory locks ("turn"); the second is the sender's hash.
#: Two-key advisory locks never collide with the scheduler's one-key leader lock.
TURN_SPACE = 0x7475726E


@dataclass(frozen=True)
class Received:
    """One update as a webhook got it: its id, its sender, and the update object."""

    message_id: str
    address: str
    profile_name: str | None
    message: dict[str, Any]
    #: The account that received it when not the default one: a WhatsApp number's phone
    #: number id, an extra Telegram bot's account name (``circles channel``).
    receiver: str | None = None


async def store_received(
    session: AsyncSession, *, channel: Channel, received: list[Received], now: datetime
) -> int:
    """Store ``received``; an id stored before is skipped. Returns the rows added."""
    added = 0
    for item in received:
        result = await session.execute(
            insert_or_skip(session, Inbox.__table__).on_conflict_do_nothing(
                index_elements=["channel", "message_id"]
            ),
            {
                "channel": channel.value,
                "message_id": item.message_id[:128],
                "address": item.address[:64],
                "profile_name": (item.profile_name or "")[:120] or None,
                "receiver": (item.receiver or "")[:32] or None,
                "message": item.message,
                "received_at": now,
                "attempts": 0,
            },
        )
        added += result.rowcount or 0
    return added


#: :func:`unprocessed`'s ``receiver`` when every row of the channel is wanted.
ANY_RECEIVER = "*"


async def unprocessed(
    session: AsyncSession,
    *,
    channel: Channel,
    limit: int = 500,
    receiver: str | None = ANY_RECEIVER,
) -> list[Inbox]:
    """Rows of ``channel`` not handled yet, oldest first (each sender's in arrival order);
    only those ``receiver`` got (None: the default account), unless it is
    :data:`ANY_RECEIVER`."""
    query = select(Inbox).where(Inbox.channel == channel, Inbox.processed_at.is_(None))
    if receiver != ANY_RECEIVER:
        query = query.where(
            Inbox.receiver.is_(None) if receiver is None else Inbox.receiver == receiver
        )
    return list(await session.scalars(query.order_by(Inbox.id).limit(limit)))


def turn_key(channel: Channel, address: str) -> int:
    """The sender's lock key: a stable signed 32-bit hash of their channel and address."""
    digest = hashlib.sha256(f"{channel.value}:{address}".encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


@asynccontextmanager
async def turn(sessions: SessionMaker, *, channel: Channel, address: str) -> AsyncIterator[None]:
    """Hold the sender's turn: no other process works for them until the block ends.

    Held for the whole handling of one update — its transaction *and* the replies sent
    after the commit — so a second replica never answers the person's next message before
    this one's answer is out. On PostgreSQL a session-level advisory lock on a connection
    of its own, released at the end or by a dropped connection (a killed process holds
    nobody's turn). SQLite serves one process, whose workers take a sender's rows one at a
    time already: nothing to do.
    """
    engine: AsyncEngine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        yield
        return
    params = {"space": TURN_SPACE, "key": turn_key(channel, address)}
    async with engine.connect() as pooled:
        # Autocommit: the lock and the unlock are one round trip each, no BEGIN or COMMIT
        # (a session-level lock outlives transactions anyway; bench.checkins measures it).
        connection = await pooled.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("SELECT pg_advisory_lock(:space, :key)"), params)
        try:
            yield
        finally:
            try:
                await connection.execute(text("SELECT pg_advisory_unlock(:space, :key)"), params)
            except Exception:  # never hand a connection that may hold the lock back to the pool
                await connection.invalidate()
                raise


async def is_processed(session: AsyncSession, *, row_id: int) -> bool:
    """Whether the row was handled meanwhile (by another process, while this one waited)."""
    return (
        await session.scalar(select(Inbox.processed_at.is_not(None)).where(Inbox.id == row_id))
    ) is not False


async def earlier_waiting(session: AsyncSession, *, row_id: int) -> bool:
    """Whether a row of the same sender stored before ``row_id`` is still unhandled."""
    row = await session.get(Inbox, row_id)
    if row is None:
        return False
    earlier = select(Inbox.id).where(
        Inbox.channel == row.channel,
        Inbox.address == row.address,
        Inbox.id < row_id,
        Inbox.processed_at.is_(None),
    )
    return bool(await session.scalar(select(exists(earlier))))


async def mark_processed(
    session: AsyncSession, *, row_id: int, now: datetime, error: str | None = None
) -> bool:
    """The row is handled (or given up with ``error``): its message is dropped.

    False when it was already marked (another process handled it meanwhile).
    """
    values: dict[str, Any] = {"processed_at": now, "message": None}
    if error is not None:
        values["last_error"] = error[:300]
    result = await session.execute(
        update(Inbox)
        .where(Inbox.id == row_id, Inbox.processed_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def record_failure(session: AsyncSession, *, row_id: int, error: str) -> int:
    """Count a failed attempt at the row; returns the attempts so far."""
    await session.execute(
        update(Inbox)
        .where(Inbox.id == row_id)
        .values(attempts=Inbox.attempts + 1, last_error=error[:300])
        .execution_options(synchronize_session=False)
    )
    attempts = await session.scalar(select(Inbox.attempts).where(Inbox.id == row_id))
    return attempts or 0


async def forget_sender(session: AsyncSession, *, channel: Channel, addresses: list[str]) -> None:
    """Erase what the inbox holds of these senders (``/forgetme``)."""
    if addresses:
        await session.execute(
            delete(Inbox).where(Inbox.channel == channel, Inbox.address.in_(addresses))
        )


async def prune_inbox(session: AsyncSession, *, before: datetime) -> int:
    """Forget rows handled before ``before`` (kept past the apps' redeliveries)."""
    result = await session.execute(delete(Inbox).where(Inbox.processed_at < before))
    return result.rowcount or 0
