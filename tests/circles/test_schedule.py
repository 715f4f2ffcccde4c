"""Check-ins open at the member's local time, across daylight saving, holidays and quiet hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from circles.models import Cadence, Circle, Holiday
from circles.services.schedule import (
    in_holidays,
    latest_occurrence,
    next_occurrence,
    sendable_from,
)


def _circle(timezone: str, cadence: Cadence = Cadence.weekly, **extra) -> Circle:
    return Circle(
        name="C",
        country="CH",
        language="de",
        timezone=timezone,
        cadence=cadence,
        checkin_weekday=0,
        checkin_time=time(16, 0),
        created_at=datetime(2026, 8, 31, tzinfo=UTC),
        **extra,
    )


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("timezone", "now", "expected"),
    [
        # Zurich: summer time until Sunday 25 October 2026, then UTC+1.
        ("Europe/Zurich", utc(2026, 10, 20, 9), utc(2026, 10, 19, 14)),
        ("Europe/Zurich", utc(2026, 10, 27, 9), utc(2026, 10, 26, 15)),
        # …and back to summer time on Sunday 28 March 2027.
        ("Europe/Zurich", utc(2027, 3, 30, 9), utc(2027, 3, 29, 14)),
        # São Paulo has had no daylight saving since 2019: always UTC−3.
        ("America/Sao_Paulo", utc(2026, 11, 3, 12), utc(2026, 11, 2, 19)),
        ("America/Sao_Paulo", utc(2027, 1, 5, 12), utc(2027, 1, 4, 19)),
        # Seoul: UTC+9, no daylight saving; Monday 16:00 is 07:00 UTC.
        ("Asia/Seoul", utc(2026, 9, 8, 0), utc(2026, 9, 7, 7)),
    ],
)
def test_checkins_open_at_16_local_whatever_the_season(timezone, now, expected) -> None:
    assert latest_occurrence(_circle(timezone), timezone, now) == expected


def test_a_teacher_in_another_timezone_gets_16_in_their_own() -> None:
    circle = _circle("Europe/Zurich")
    now = utc(2026, 9, 8, 12)
    assert latest_occurrence(circle, "Europe/Zurich", now) == utc(2026, 9, 7, 14)
    assert latest_occurrence(circle, "America/Montevideo", now) == utc(2026, 9, 7, 19)


def test_just_before_opening_the_previous_week_counts() -> None:
    circle = _circle("Asia/Seoul")
    assert latest_occurrence(circle, "Asia/Seoul", utc(2026, 9, 14, 6, 59)) == utc(2026, 9, 7, 7)
    assert latest_occurrence(circle, "Asia/Seoul", utc(2026, 9, 14, 7, 0)) == utc(2026, 9, 14, 7)
    assert next_occurrence(circle, "Asia/Seoul", utc(2026, 9, 14, 7, 0)) == utc(2026, 9, 21, 7)


def test_fortnightly_circles_skip_every_other_week() -> None:
    circle = _circle("UTC", Cadence.fortnightly)
    # The circle's first week is that of Monday 31 August: weeks 0, 2, 4 … open.
    assert latest_occurrence(circle, "UTC", utc(2026, 9, 10)) == utc(2026, 8, 31, 16)
    assert latest_occurrence(circle, "UTC", utc(2026, 9, 15)) == utc(2026, 9, 14, 16)
    assert next_occurrence(circle, "UTC", utc(2026, 9, 15)) == utc(2026, 9, 28, 16)


def test_before_meeting_circles_open_n_days_before_each_meeting() -> None:
    circle = _circle("UTC", Cadence.before_meeting, days_before_meeting=3)
    meetings = [utc(2026, 10, 15, 14), utc(2026, 11, 26, 14)]
    assert latest_occurrence(circle, "UTC", utc(2026, 10, 13), meetings) == utc(2026, 10, 12, 16)
    assert next_occurrence(circle, "UTC", utc(2026, 10, 13), meetings) == utc(2026, 11, 23, 16)


def test_holidays_are_local_dates_of_the_circle() -> None:
    autumn = [Holiday(circle_id=1, starts_on=date(2026, 10, 5), ends_on=date(2026, 10, 16))]
    assert in_holidays(autumn, utc(2026, 10, 12, 14), "Europe/Zurich")
    assert not in_holidays(autumn, utc(2026, 10, 19, 14), "Europe/Zurich")
    # 23:30 UTC on 4 October is already 5 October in Seoul.
    assert in_holidays(autumn, utc(2026, 10, 4, 23, 30), "Asia/Seoul")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 9, 7, 20, 30), utc(2026, 9, 8, 5)),  # 22:30 Zurich → 07:00 next morning
        (utc(2026, 9, 8, 4, 59), utc(2026, 9, 8, 5)),  # 06:59 → 07:00
        (utc(2026, 9, 8, 10), utc(2026, 9, 8, 10)),  # noon: right away
        (utc(2026, 9, 8, 18, 59), utc(2026, 9, 8, 18, 59)),  # 20:59: still fine
    ],
)
def test_quiet_hours_hold_messages_until_morning(now, expected) -> None:
    assert sendable_from(now, "Europe/Zurich", time(21), time(7)) == expected
