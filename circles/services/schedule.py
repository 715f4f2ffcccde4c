"""When a circle's check-ins fall, in each member's own timezone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from circles.models import Cadence, Circle

#: A check-in can be answered for this long after it opens, then it is missed.
CHECKIN_WINDOW = timedelta(days=6)


def _slot(day: datetime, at: time, zone: ZoneInfo) -> datetime:
    """``at`` on ``day``'s date in ``zone`` (a DST gap moves it forward), as aware UTC."""
    local = datetime.combine(day.date(), at, tzinfo=zone)
    # Round-trip through UTC so that a wall time skipped by DST lands on a real instant.
    return local.astimezone(ZoneInfo("UTC"))


def latest_occurrence(circle: Circle, timezone: str, now: datetime) -> datetime:
    """The most recent check-in opening at or before ``now`` for a member in ``timezone``."""
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    days_back = (local_now.weekday() - circle.checkin_weekday) % 7
    candidate = _slot(local_now - timedelta(days=days_back), circle.checkin_time, zone)
    if candidate > now:
        candidate = _slot(local_now - timedelta(days=days_back + 7), circle.checkin_time, zone)
    if circle.cadence is Cadence.fortnightly and _week_index(circle, candidate, zone) % 2:
        candidate = _slot(candidate.astimezone(zone) - timedelta(days=7), circle.checkin_time, zone)
    return candidate


def next_occurrence(circle: Circle, timezone: str, now: datetime) -> datetime:
    """The first check-in opening strictly after ``now``."""
    zone = ZoneInfo(timezone)
    step = 14 if circle.cadence is Cadence.fortnightly else 7
    latest = latest_occurrence(circle, timezone, now).astimezone(zone)
    return _slot(latest + timedelta(days=step), circle.checkin_time, zone)


def _week_index(circle: Circle, when: datetime, zone: ZoneInfo) -> int:
    """Whole weeks between the circle's first week and ``when`` (fortnightly parity)."""
    anchor = circle.created_at.astimezone(zone).date()
    anchor -= timedelta(days=anchor.weekday())
    return (when.astimezone(zone).date() - anchor).days // 7
