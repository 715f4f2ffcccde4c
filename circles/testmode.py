"""Test-only hooks, all in one place: nothing here runs unless a test asks for it.

End-to-end tests run ``circles run`` as a subprocess and must move its time without
waiting for it. They set ``CIRCLES_FAKE_CLOCK_FILE``; then, and only then:

- the process reads the time from that file (:class:`FileClock`), which the test rewrites;
- SIGUSR1 runs every scheduler sweep at once (:func:`sweep_on_signal`), after the test
  moved the clock, instead of waiting for the next real minute.

Production never sets the variable: the system clock is used and SIGUSR1 is not handled.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from circles.clock import Clock, SystemClock
from circles.settings import Settings

log = logging.getLogger(__name__)


class FileClock:
    """Test-only: the time written in a file, so a test can move a subprocess's clock.

    ``circles run`` uses it only when ``CIRCLES_FAKE_CLOCK_FILE`` is set (never in
    production). The file holds one ISO 8601 datetime with an offset; the test rewrites
    it (atomically, by renaming) and the process reads it on every :meth:`now`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        """Return the time the file says."""
        when = datetime.fromisoformat(self.path.read_text(encoding="utf-8").strip())
        if when.tzinfo is None:
            raise ValueError(f"{self.path} must hold an aware datetime")
        return when.astimezone(UTC)

    @staticmethod
    def write(path: Path, when: datetime) -> None:
        """Set the time in ``path`` for every process reading it (the test side)."""
        if when.tzinfo is None:
            raise ValueError("FileClock needs an aware datetime")
        scratch = path.with_suffix(".tmp")
        scratch.write_text(when.isoformat(), encoding="utf-8")
        scratch.replace(path)


def clock_for(settings: Settings) -> Clock:
    """The system clock; a :class:`FileClock` only when a test set ``fake_clock_file``."""
    if settings.fake_clock_file is None:
        return SystemClock()
    log.warning("test mode: time is read from %s", settings.fake_clock_file)
    return FileClock(settings.fake_clock_file)


def sweep_on_signal(
    settings: Settings, loop: asyncio.AbstractEventLoop, scheduler: AsyncIOScheduler
) -> None:
    """In test mode, run every sweep when SIGUSR1 arrives (see the module's docstring)."""
    if settings.fake_clock_file is not None:
        loop.add_signal_handler(signal.SIGUSR1, _sweep_now, scheduler)


def stop_sweeping(loop: asyncio.AbstractEventLoop) -> None:
    """Forget the SIGUSR1 handler (if test mode set one) when the process stops."""
    loop.remove_signal_handler(signal.SIGUSR1)


def _sweep_now(scheduler: AsyncIOScheduler) -> None:
    now = datetime.now(UTC)
    for job in scheduler.get_jobs():
        job.modify(next_run_time=now)
    log.info("sweeping now")
