"""The loop of a long-running worker (a sender, an inbox): work, rest, and back off on
failure, until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

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
