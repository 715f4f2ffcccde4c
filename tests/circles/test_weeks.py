"""Weeks are ISO weeks in the circle's own timezone, in Python and in SQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from support.places import add_circle

from circles.db import SessionMaker, transaction
from circles.errors import InvalidAnswer
from circles.models import CheckIn, CheckInStatus, Membership, Person, Phase, Role, TokenRole
from circles.services import summaries
from circles.services.access import Scope
from circles.services.pagination import decode_cursor, encode_cursor
from circles.services.weeks import Week, parse_week, week_of


def test_weeks_parse_print_and_shift() -> None:
    week = parse_week("2026-W37")
    assert week == Week(2026, 37) and str(week) == "2026-W37"
    assert str(week.shift(17)) == "2027-W01"
    assert str(parse_week("2026-W53").shift(0)) == "2026-W53"
    for bad in ("2026-W54", "2026-W00", "2026-37", "1999-W01"):
        with pytest.raises(InvalidAnswer):
            parse_week(bad)


def test_a_week_starts_on_monday_midnight_where_the_circle_is() -> None:
    start, end = Week(2026, 37).bounds("Asia/Seoul")
    assert start == datetime(2026, 9, 6, 15, 0, tzinfo=UTC)  # Monday 00:00 in Seoul
    assert (end - start).days == 7
    sunday_night_utc = datetime(2026, 9, 6, 23, 0, tzinfo=UTC)
    assert week_of(sunday_night_utc, "Asia/Seoul") == Week(2026, 37)
    assert week_of(sunday_night_utc, "UTC") == Week(2026, 36)


def test_cursors_round_trip_and_hide_the_id() -> None:
    cursor = encode_cursor(1234)
    assert "1234" not in cursor and decode_cursor(cursor) == 1234
    for bad in ("", "!!!", encode_cursor(1234) + "x", "djI6MTIzNA"):  # v2:1234
        with pytest.raises(InvalidAnswer):
            decode_cursor(bad)


async def test_a_seoul_monday_morning_check_in_counts_in_mondays_week(
    sessions: SessionMaker,
) -> None:
    """08:00 on Monday in Seoul is 23:00 on Sunday in UTC: the SQL buckets must agree."""
    now = datetime(2026, 9, 9, 3, 0, tzinfo=UTC)
    async with transaction(sessions) as session:
        circle = await add_circle(
            session, "Seoul 1", now=datetime(2026, 6, 1, tzinfo=UTC), country="KR", at=time(8, 0)
        )
        teacher = Person(display_name="Ji-woo")
        session.add(teacher)
        await session.flush()
        session.add(
            Membership(
                person_id=teacher.id,
                circle_id=circle.id,
                role=Role.teacher,
                joined_at=datetime(2026, 6, 1, tzinfo=UTC),
            )
        )
        session.add(
            CheckIn(
                person_id=teacher.id,
                circle_id=circle.id,
                phase=Phase.pilot,
                scheduled_for=datetime(2026, 9, 6, 23, 0, tzinfo=UTC),
                status=CheckInStatus.answered,
            )
        )
    admin = Scope("token:1", TokenRole.admin)
    async with sessions() as session:
        country = await summaries.country_summary(
            session, scope=admin, country="KR", now=now, week=Week(2026, 37)
        )
        previous = await summaries.country_summary(
            session, scope=admin, country="KR", now=now, week=Week(2026, 36)
        )
        circle_view = await summaries.circle_summary(
            session, scope=admin, circle_id=circle.id, now=now, week=Week(2026, 37)
        )
    assert country.checkins.answered == 1 and country.checkins.response_rate == 1.0
    assert previous.checkins.answered == 0
    assert circle_view.checkins.answered == 1
