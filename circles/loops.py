"""The loop of a long-running worker (a sender, an inbox): work, rest, and back off on
failure, until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

_log = logging.getLogger(__name__)

#: The longest rest after failures in a row.
MAX_REST = 30.0


async def wait_for(event: asyncio.Event, seconds: float) -> None:
    """Wait until ``event`` is set, at most ``seconds``."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=seconds)


async def run_until(
    stop: asyncio.Event,
    step: Callable[[], Awaitable[bool]],
    *,
    idle: float,
    log: logging.Logger,
    what: str,
    rest: Callable[[float], Awaitable[None]] | None = None,
) -> None:
    """Run ``step`` until ``stop``; rest ``idle`` seconds after a step that found nothing
    more to do (it returned False). Resting waits for ``stop``, or calls ``rest``.

    A failing step (the database is away) is logged, then rested after longer each time
    (doubling, up to :data:`MAX_REST`), so the log gets one line per attempt, not one a
    second.
    """
    failures = 0
    while not stop.is_set():
        pause = idle
        try:
            busy = await step()
            failures = 0
        except Exception:
            failures += 1
            pause = min(MAX_REST, idle * 2**failures)
            log.exception("%s failed; trying again in %.0fs", what, pause)
            busy = False
        if not busy:
            await (rest(pause) if rest else wait_for(stop, pause))


class Drainer:
    """A worker over stored work (an inbox): passes until one handles nothing, then a rest
    until :meth:`wake` (new work was stored here) or ``poll`` seconds (work another process
    stored, or a crash left). Subclasses say what one pass does."""

    #: Seconds between two looks when nobody wakes the worker.
    poll = 1.0
    #: What the log calls this worker.
    what = "a worker"

    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """New work was stored: look now."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Drain until ``stop``; a failing database is retried, more slowly."""

        async def step() -> bool:
            await self.drain()
            return False  # drained: rest until woken, or for ``poll`` seconds

        async def rest(seconds: float) -> None:
            await wait_for(self._wake, seconds)
            self._wake.clear()

        await run_until(stop, step, idle=self.poll, log=self._log, what=self.what, rest=rest)

    async def drain(self) -> int:
        """Passes until a pass handles nothing; returns what was handled.

        Work that failed waits for the next look (:meth:`run` makes one every ``poll``
        seconds), so a failure is not retried at once.
        """
        total = 0
        while handled := await self.process_pending():
            total += handled
        return total

    async def process_pending(self) -> int:
        """One pass; how much it handled."""
        raise NotImplementedError


#: Seconds between two looks at the channel accounts for bots or numbers added, changed
#: or removed while ``circles run`` runs (SIGHUP: at once).
ACCOUNTS_REFRESH = 60.0


async def watch_accounts(
    refresh: Callable[[], Awaitable[None]],
    stop: asyncio.Event,
    reload: asyncio.Event | None,
    every: float = ACCOUNTS_REFRESH,
) -> None:
    """Call ``refresh`` every ``every`` seconds and whenever ``reload`` is set, until
    ``stop``; a failing refresh is logged and tried again next time (the accounts already
    running keep running)."""
    reload = reload or asyncio.Event()
    while not stop.is_set():
        waits = [asyncio.create_task(stop.wait()), asyncio.create_task(reload.wait())]
        await asyncio.wait(waits, timeout=every, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()
        if stop.is_set():
            return
        reload.clear()
        await refresh_accounts(refresh)


async def refresh_accounts(refresh: Callable[[], Awaitable[None]]) -> None:
    """Call ``refresh`` once; a failure (the database away) is logged, not raised: the
    accounts already running keep running, and :func:`watch_accounts` tries again."""
    try:
        await refresh()
    except Exception as exc:  # only its kind: a message might carry an address with a token
        _log.error(
            "could not look at the channel accounts (%s); trying again later", type(exc).__name__
        )
