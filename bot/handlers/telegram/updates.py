"""Updates from different people are handled side by side; one person's, in order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

#: Updates in progress at once. While one waits for the database or for Telegram to take
#: its reply, others run. (On SQLite, one writer, the transactions themselves take turns:
#: see ``BotData.write_lock``; colliding deferred transactions would fail as "locked".)
CONCURRENT_UPDATES = 16


class PerPersonOrder(BaseUpdateProcessor):
    """Run updates concurrently, but each person's (or chat's) strictly one after another.

    A teacher who types two answers quickly must have them saved in the order typed.
    Tasks start in arrival order and each waits on its person's FIFO lock, so arrival
    order is kept per person. Locks live only while someone holds or waits for them.
    """

    def __init__(self, max_concurrent_updates: int = CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Await ``coroutine`` once the same person's earlier updates are done."""
        key = _person(update)
        if key is None:
            await coroutine
            return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _person(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None
