"""Exactly one scheduler leads: a PostgreSQL advisory lock held on its own connection.

When the leading process dies its connection closes, the lock is released, and the next
process that asks takes over. SQLite serves one machine, so there the process leads.
"""

from __future__ import annotations

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

    @property
    def leading(self) -> bool:
        """Whether this process holds the lock."""
        return self._connection is not None or self.engine.dialect.name != "postgresql"

    async def try_lead(self) -> bool:
        """Take the lock if it is free; True when this process leads."""
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
        if self._connection is None:
            return self.leading
        try:
            await self._connection.scalar(text("SELECT 1"))
            await self._connection.commit()
            return True
        except Exception:
            log.warning("lost the scheduler lock's connection; another process may lead now")
            await self.release()
            return False

    async def release(self) -> None:
        """Give the lock back (closing the connection releases it)."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                await connection.close()
            except Exception:
                log.debug("closing the lock connection failed", exc_info=True)
