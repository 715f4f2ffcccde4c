"""Injected time: services and jobs ask a :class:`Clock`, tests move a :class:`FakeClock`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Return the current time in UTC."""
        return datetime.now(UTC)


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 9, 7, 8, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")

    def now(self) -> datetime:
        """Return the fake current time."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` and return the new time."""
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (aware)."""
        if when.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = when


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
