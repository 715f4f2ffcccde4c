"""The holidays service: validation, the no-overlap rule, order, and country holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from circles.db import SessionMaker, transaction
from circles.errors import Conflict, Forbidden, InvalidAnswer
from circles.models import TokenRole
from circles.services import dissemination, holidays, scheduling
from circles.services.access import Scope
from circles.services.circles import create_circle

NOW = datetime(2026, 10, 14, 11, 0, tzinfo=UTC)  # a Wednesday morning
ADMIN = Scope("token:1", TokenRole.admin)


def _dates(first: str, last: str, name: str | None = None) -> holidays.Dates:
    return holidays.Dates(date.fromisoformat(first), date.fromisoformat(last), name)


async def _circle(session, name: str, country: str):
    return await create_circle(
        session, name=name, country=country, language="en", timezone="Africa/Accra", now=NOW
    )


async def test_holidays_are_checked_before_they_are_kept(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        accra = await _circle(session, "Accra 1", "GH")
        add = holidays.add_holiday
        with pytest.raises(InvalidAnswer):
            await add(
                session, circle=accra, dates=_dates("2026-10-20", "2026-10-19"), actor="t", now=NOW
            )
        with pytest.raises(InvalidAnswer):  # 367 days
            await add(
                session, circle=accra, dates=_dates("2026-09-01", "2027-09-02"), actor="t", now=NOW
            )
        with pytest.raises(InvalidAnswer):
            await add(
                session, circle=accra, dates=_dates("2026-10-19", "2026-10-19", "x" * 121),
                actor="t", now=NOW,
            )  # fmt: skip
        year = await add(
            session,
            circle=accra,
            dates=_dates("2026-09-01", "2027-09-01", "  "),
            actor="t",
            now=NOW,
        )
        assert year.name is None  # a blank name is no name; 366 days is a school year
        one_day = await add(
            session, circle=accra, dates=_dates("2027-12-24", "2027-12-24", " Eve "),
            actor="t", now=NOW,
        )  # fmt: skip
        assert one_day.name == "Eve"


async def test_a_place_may_not_have_overlapping_holidays_but_a_circle_may_overlap_its_country(
    sessions: SessionMaker,
) -> None:
    async with transaction(sessions) as session:
        accra = await _circle(session, "Accra 1", "GH")
        await holidays.add_holiday(
            session, circle=accra, dates=_dates("2026-10-19", "2026-10-23"), actor="t", now=NOW
        )
        with pytest.raises(Conflict) as clash:
            await holidays.add_holiday(
                session, circle=accra, dates=_dates("2026-10-23", "2026-10-30"), actor="t", now=NOW
            )
        assert clash.value.params == {"start": "2026-10-19", "to": "2026-10-23"}
        await holidays.add_holiday(  # the day after is fine
            session, circle=accra, dates=_dates("2026-10-24", "2026-10-30"), actor="t", now=NOW
        )
        await holidays.add_country_holiday(
            session, scope=ADMIN, country="gh", dates=_dates("2026-10-21", "2026-10-21"), now=NOW
        )
        with pytest.raises(Conflict):
            await holidays.add_country_holiday(
                session,
                scope=ADMIN,
                country="GH",
                dates=_dates("2026-10-20", "2026-10-22"),
                now=NOW,
            )
        with pytest.raises(Forbidden):
            await holidays.add_country_holiday(
                session,
                scope=Scope("token:2", TokenRole.facilitator, circle_ids=frozenset({accra.id})),
                country="GH",
                dates=_dates("2026-11-02", "2026-11-03"),
                now=NOW,
            )


async def test_current_and_upcoming_first_then_the_past_and_country_holidays_reach_circles(
    sessions: SessionMaker,
) -> None:
    async with transaction(sessions) as session:
        accra = await _circle(session, "Accra 1", "GH")
        recife = await _circle(session, "Recife 1", "BR")
        for first, last in (
            ("2026-12-21", "2027-01-03"),
            ("2026-07-01", "2026-07-31"),
            ("2026-10-12", "2026-10-16"),  # today is the 14th
            ("2026-04-01", "2026-04-10"),
        ):
            await holidays.add_holiday(
                session, circle=accra, dates=_dates(first, last), actor="t", now=NOW
            )
        await holidays.add_country_holiday(
            session, scope=ADMIN, country="GH", dates=_dates("2026-11-02", "2026-11-03"), now=NOW
        )
        listed = await holidays.list_holidays(session, circle=accra, now=NOW)
        assert [h.starts_on.isoformat() for h in listed] == [
            "2026-10-12",
            "2026-11-02",
            "2026-12-21",
            "2026-07-01",
            "2026-04-01",
        ]
        current = await holidays.current_holiday(session, circle=accra, now=NOW)
        assert current is not None and current.ends_on == date(2026, 10, 16)
        assert await holidays.list_holidays(session, circle=recife, now=NOW) == []

        by_circle = await scheduling.holidays_by_circle(session)
        assert len(by_circle[accra.id]) == 5 and by_circle[recife.id] == []


async def test_the_practice_digest_waits_for_a_country_holiday(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        accra = await _circle(session, "Accra 1", "GH")
        recife = await _circle(session, "Recife 1", "BR")
        due = await dissemination.due_circles(session, now=NOW)
        assert {c.id for c in due} == {accra.id, recife.id}
        await holidays.add_country_holiday(
            session, scope=ADMIN, country="GH", dates=_dates("2026-10-12", "2026-10-16"), now=NOW
        )
        due = await dissemination.due_circles(session, now=NOW)
        assert [c.id for c in due] == [recife.id]
