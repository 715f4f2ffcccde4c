"""When a circle's check-ins fall, in each member's own timezone, and when messages may go.

All arithmetic is done on local wall-clock dates and times and converted to UTC at the
end, so a check-in at 16:00 stays at 16:00 local across daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from circles.models import Cadence, Circle, Holiday

#: A check-in can be answered for this long after it opens, then it is missed.
CHECKIN_WINDOW = timedelta(days=6)


@cache
def _zone(key: str) -> ZoneInfo:
    """The timezone ``key``, kept: ``ZoneInfo`` itself keeps only the last eight strongly,
    and a wave over twenty timezones re-read a file from disk per circle."""
    return ZoneInfo(key)


def local_slot(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``at`` on ``day`` in ``zone``, as aware UTC (a time skipped by DST moves forward)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def latest_occurrence(
    circle: Circle, timezone: str, now: datetime, meetings: Sequence[datetime] = ()
) -> datetime:
    """The most recent check-in opening at or before ``now`` for a member in ``timezone``.

    For ``before_meeting`` circles, ``meetings`` are the circle's meeting start times; with
    none, the weekly rhythm applies.
    """
    zone = _zone(timezone)
    if circle.cadence is Cadence.before_meeting and meetings:
        opened = [o for o in _before_meetings(circle, zone, meetings) if o <= now]
        if opened:
            return max(opened)
    local_now = now.astimezone(zone)
    days_back = (local_now.weekday() - circle.checkin_weekday) % 7
    candidate = local_slot(local_now.date() - timedelta(days=days_back), circle.checkin_time, zone)
    if candidate > now:
        candidate = local_slot(
            local_now.date() - timedelta(days=days_back + 7), circle.checkin_time, zone
        )
    if circle.cadence is Cadence.fortnightly and _week_index(circle, candidate, zone) % 2:
        candidate = local_slot(
            candidate.astimezone(zone).date() - timedelta(days=7), circle.checkin_time, zone
        )
    return candidate


def previous_occurrence(circle: Circle, timezone: str, occurrence: datetime) -> datetime:
    """The regular opening before ``occurrence``."""
    zone = _zone(timezone)
    days = 14 if circle.cadence is Cadence.fortnightly else 7
    local = occurrence.astimezone(zone).date() - timedelta(days=days)
    return local_slot(local, circle.checkin_time, zone)


def next_occurrence(
    circle: Circle, timezone: str, now: datetime, meetings: Sequence[datetime] = ()
) -> datetime:
    """The first check-in opening strictly after ``now``."""
    zone = _zone(timezone)
    if circle.cadence is Cadence.before_meeting and meetings:
        upcoming = [o for o in _before_meetings(circle, zone, meetings) if o > now]
        if upcoming:
            return min(upcoming)
    step = 14 if circle.cadence is Cadence.fortnightly else 7
    latest = latest_occurrence(circle, timezone, now).astimezone(zone)
    return local_slot(latest.date() + timedelta(days=step), circle.checkin_time, zone)


#: How many openings :func:`next_checkin` looks ahead for one outside the holidays.
_LOOK_AHEAD = 60


def next_checkin(
    circle: Circle,
    timezone: str,
    now: datetime,
    holidays: Iterable[Holiday],
    meetings: Sequence[datetime] = (),
) -> datetime:
    """The first check-in opening after ``now`` that does not fall on a holiday."""
    holidays = list(holidays)
    upcoming = next_occurrence(circle, timezone, now, meetings)
    for _ in range(_LOOK_AHEAD):
        if not in_holidays(holidays, upcoming, circle.timezone):
            return upcoming
        upcoming = next_occurrence(circle, timezone, upcoming, meetings)
    return upcoming


def _before_meetings(
    circle: Circle, zone: ZoneInfo, meetings: Iterable[datetime]
) -> list[datetime]:
    return [
        local_slot(
            m.astimezone(zone).date() - timedelta(days=circle.days_before_meeting),
            circle.checkin_time,
            zone,
        )
        for m in meetings
    ]


def _week_index(circle: Circle, when: datetime, zone: ZoneInfo) -> int:
    """Whole weeks between the circle's first week and ``when`` (fortnightly parity)."""
    anchor = circle.created_at.astimezone(zone).date()
    anchor -= timedelta(days=anchor.weekday())
    return (when.astimezone(zone).date() - anchor).days // 7


def in_holidays(holidays: Iterable[Holiday], when: datetime, timezone: str) -> bool:
    """Whether ``when`` falls on a holiday date, in the circle's own timezone."""
    day = when.astimezone(_zone(timezone)).date()
    return any(h.starts_on <= day <= h.ends_on for h in holidays)


def sendable_from(now: datetime, timezone: str, quiet_from: time, quiet_until: time) -> datetime:
    """``now``, or the end of the quiet hours if ``now`` falls inside them (local time)."""
    zone = _zone(timezone)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    wraps = quiet_from > quiet_until  # e.g. 21:00 → 07:00 spans midnight
    quiet = (
        (clock >= quiet_from or clock < quiet_until)
        if wraps
        else (quiet_from <= clock < quiet_until)
    )
    if not quiet:
        return now
    day = local.date()
    if wraps and clock >= quiet_from:
        day += timedelta(days=1)
    return local_slot(day, quiet_until, zone)
