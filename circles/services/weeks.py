"""Weeks as facilitators count them: ISO weeks (``2026-W37``), Monday to Monday, local time.

A circle's week runs from Monday 00:00 to the next Monday 00:00 in the circle's
timezone. Summaries over many circles group check-ins into weeks in SQL with
:func:`week_bucket`, which shifts each check-in by its circle's UTC offset, so a
Seoul check-in on Monday 08:00 (Sunday 23:00 UTC) still counts for Monday's week.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, case, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement

from circles.errors import InvalidAnswer
from circles.i18n import N_

WEEK_PATTERN = r"^\d{4}-W\d{2}$"
_WEEK = re.compile(WEEK_PATTERN)
_SECONDS_PER_WEEK = 7 * 24 * 3600
#: The widest UTC offsets in use (Kiribati +14, Baker Island −12), rounded up.
_MAX_OFFSET = timedelta(hours=15)


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week: ``Week(2026, 37)`` is ``2026-W37``, Monday 7 to Sunday 13 September."""

    year: int
    number: int

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        """The week's first day."""
        return date.fromisocalendar(self.year, self.number, 1)

    def start(self, timezone: str) -> datetime:
        """Monday 00:00 in ``timezone``, as aware UTC."""
        local = datetime.combine(self.monday, time(0), tzinfo=ZoneInfo(timezone))
        return local.astimezone(UTC)

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        """The week's start and the next week's start in ``timezone``, as aware UTC."""
        return self.start(timezone), self.shift(1).start(timezone)

    def shift(self, weeks: int) -> Week:
        """The week ``weeks`` later (earlier when negative)."""
        return week_of_date(self.monday + timedelta(weeks=weeks))


def week_of_date(day: date) -> Week:
    """The ISO week ``day`` falls in."""
    year, number, _weekday = day.isocalendar()
    return Week(year, number)


def week_of(instant: datetime, timezone: str) -> Week:
    """The week ``instant`` falls in, seen from ``timezone``."""
    return week_of_date(instant.astimezone(ZoneInfo(timezone)).date())


def parse_week(text: str) -> Week:
    """``2026-W37`` → ``Week(2026, 37)``; anything else is an :class:`InvalidAnswer`."""
    if not _WEEK.match(text):
        raise InvalidAnswer(N_("{week} is not a week; write it as 2026-W37."), week=text)
    year, number = int(text[:4]), int(text[6:])
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError:
        raise InvalidAnswer(
            N_("The year {year} has no week {number}."), year=year, number=number
        ) from None
    if year < 2000:
        raise InvalidAnswer(N_("Weeks before 2000 are not kept."))
    return Week(year, number)


def utc_offset(timezone: str, week: Week) -> int:
    """Seconds ``timezone`` is ahead of UTC at the start of ``week``."""
    offset = ZoneInfo(timezone).utcoffset(datetime.combine(week.monday, time(12)))
    return int(offset.total_seconds()) if offset else 0


@dataclass(frozen=True)
class WeekWindow:
    """``size`` consecutive weeks ending with ``last``; bucket 1 is the oldest, ``size`` is last."""

    last: Week
    size: int

    @property
    def first(self) -> Week:
        """The oldest week of the window."""
        return self.last.shift(1 - self.size)

    def week(self, bucket: int) -> Week:
        """The week of bucket ``bucket`` (1 … size)."""
        return self.last.shift(bucket - self.size)

    @property
    def weeks(self) -> list[Week]:
        """The window's weeks, oldest first."""
        return [self.week(b) for b in range(1, self.size + 1)]

    def utc_range(self) -> tuple[datetime, datetime]:
        """A UTC range that holds every local week of the window, wherever the circle is.

        Used as an index-friendly pre-filter; :func:`week_bucket` does the exact cut.
        """
        start = datetime.combine(self.first.monday, time(0), tzinfo=UTC) - _MAX_OFFSET
        end = datetime.combine(self.last.shift(1).monday, time(0), tzinfo=UTC) + _MAX_OFFSET
        return start, end


def offsets_by_timezone(timezones: list[str], week: Week) -> dict[str, int]:
    """Each timezone's UTC offset (seconds) at the start of ``week``."""
    return {tz: utc_offset(tz, week) for tz in timezones}


def _epoch(column: ColumnElement, dialect: str) -> ColumnElement:
    """Seconds since 1970 of a UTC timestamp column, in SQL."""
    if dialect == "postgresql":
        return func.extract("epoch", column)
    # SQLite stores UTC timestamps as naive text; julianday reads them.
    return (func.julianday(column) - 2440587.5) * 86400.0


def week_bucket(
    column: ColumnElement,
    *,
    window: WeekWindow,
    dialect: str,
    offset: int | None = None,
    timezone_column: ColumnElement | None = None,
    offsets: Mapping[str, int] | None = None,
) -> ColumnElement:
    """SQL for the window bucket (1 … size) of a UTC timestamp, in local weeks.

    Give either ``offset`` (one timezone, in seconds) or ``timezone_column`` with
    ``offsets`` (a circle's timezone column and each timezone's offset). Values outside
    the window come out as 0 or less, or above ``size``. The offset of the window's
    last week is used throughout, so across a DST change the earlier weeks' edges move
    by an hour; check-ins, set for the afternoon, never sit that close to midnight.
    """
    if offset is not None:
        shift: ColumnElement = literal(offset)
    else:
        assert timezone_column is not None and offsets is not None
        shift = case(dict(offsets), value=timezone_column, else_=0) if offsets else literal(0)
    before_first = datetime.combine(window.first.monday - timedelta(days=7), time(0), tzinfo=UTC)
    anchor = before_first.timestamp()
    weeks = (_epoch(column, dialect) + shift - anchor) / float(_SECONDS_PER_WEEK)
    if dialect == "postgresql":
        return cast(func.floor(weeks), Integer)
    # CAST truncates towards zero, which is floor for the positive values that count.
    return cast(weeks, Integer)
