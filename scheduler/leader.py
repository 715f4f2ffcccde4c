"""Exactly one scheduler leads: a PostgreSQL advisory lock held on its own connection.

When the leading process dies its connection closes, the lock is released, and the next
process that asks takes over. SQLite serves one machine, so there the process leads.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

#: The advisory lock key ("circ" as an integer); any fixed number shared by all replicas.
LOCK_KEY = 0x63697263


class Leadership:
    """Try to become the leader; keep the lock for as long as the connection lives."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._connection: AsyncConnection | None = None
        # The sweeps fire together every minute; one asyncpg connection takes one
        # statement at a time, so they ask one after another.
        self._turn = asyncio.Lock()

    @property
    def leading(self) -> bool:
        """Whether this process holds the lock."""
        return self._connection is not None or self.engine.dialect.name != "postgresql"

    async def try_lead(self) -> bool:
        """Take the lock if it is free; True when this process leads."""
        async with self._turn:
            return await self._try_lead()

    async def _try_lead(self) -> bool:
        if self.leading:
            return True
        connection = await self.engine.connect()
        try:
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
            )
            await connection.commit()
        except Exception:
            await connection.close()
            raise
        if got:
            self._connection = connection
            log.info("this process now leads the scheduler")
            return True
        await connection.close()
        return False

    async def still_leading(self) -> bool:
        """Check the lock's connection is alive; give up leadership if it is not."""
        async with self._turn:
            return await self._still_leading()

    async def _still_leading(self) -> bool:
        if self._connection is None:
            return self.leading
        try:
            # The lock must be held by *this* backend: a reconnected session would not have it.
            held = await self._connection.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND pid = pg_backend_pid() AND objid = :key"
                ),
                {"key": LOCK_KEY},
            )
            await self._connection.commit()
            if held:
                return True
            log.warning("the scheduler lock was lost; another process may lead now")
            await self._release()
            return False
        except Exception:
            log.warning("lost the scheduler lock's connection; another process may lead now")
            await self._release()
            return False

    async def release(self) -> None:
        """Give the lock back and drop its connection (the pool must not keep the lock)."""
        async with self._turn:
            await self._release()

    async def _release(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                await connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                await connection.commit()
            except Exception:
                log.debug("unlocking failed; dropping the connection releases it", exc_info=True)
            finally:
                await connection.invalidate()
                await connection.close()
