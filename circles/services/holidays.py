"""School holidays: set by a circle's facilitators, or for a whole country by a coordinator.

A holiday is a range of local dates, ``starts_on`` to ``ends_on`` inclusive, read in each
circle's own timezone. On those dates no check-in opens, no reminder (the scheduler's or
``/nudge``) goes and no digest (the facilitators' weekly one, the practice digest) is
sent; the next check-in a teacher is told about is the first one after the holiday.

A circle's holidays are its own plus those of its country (``Holiday.country``): a
country holiday applies to every circle of that country, present and future.

Rules: ``from`` ≤ ``to``, at most :data:`MAX_DAYS` days (one school year), a name of at
most 120 characters. Two holidays of the same place (one circle, or one country) may not
overlap: adding one that does is refused with the holiday it clashes with, so that
nobody's dates are silently changed — move a holiday by removing and adding it again. A
circle holiday may overlap its country's (a school may add days to a national holiday).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import Conflict, Forbidden, InvalidAnswer, NotFound
from circles.i18n import N_
from circles.models import Circle, Holiday
from circles.services.access import Permission, Scope
from circles.services.audit import record_audit
from circles.services.circles import is_country
from circles.services.schedule import in_holidays
from circles.text import number

#: The longest holiday, in days counted inclusively: a school year.
MAX_DAYS = 366
#: The longest name.
MAX_NAME = 120

HOLIDAY_NOT_FOUND = N_("There is no holiday with this id here.")


@dataclass(frozen=True)
class Dates:
    """A holiday to add: its first and last day and an optional name."""

    starts_on: date
    ends_on: date
    name: str | None = None


def applying_to(circle: Circle) -> ColumnElement[bool]:
    """A WHERE condition on :class:`Holiday`: the circle's own and its country's."""
    return or_(Holiday.circle_id == circle.id, Holiday.country == circle.country.upper())


def _checked(dates: Dates) -> Dates:
    """The dates and a trimmed name, or :class:`InvalidAnswer` saying what is wrong."""
    if dates.ends_on < dates.starts_on:
        raise InvalidAnswer(
            N_("A holiday cannot end ({to}) before it starts ({start})."),
            start=dates.starts_on.isoformat(),
            to=dates.ends_on.isoformat(),
        )
    if (dates.ends_on - dates.starts_on).days + 1 > MAX_DAYS:
        raise InvalidAnswer(
            N_("A holiday lasts at most {days} days (one school year)."), days=number(MAX_DAYS)
        )
    name = (dates.name or "").strip() or None
    if name is not None and (len(name) > MAX_NAME or "\x00" in name):
        raise InvalidAnswer(
            N_("A holiday's name has at most {count} characters."), count=number(MAX_NAME)
        )
    return Dates(dates.starts_on, dates.ends_on, name)


async def _refuse_overlap(session: AsyncSession, place: ColumnElement[bool], dates: Dates) -> None:
    clash = await session.scalar(
        select(Holiday)
        .where(place, Holiday.starts_on <= dates.ends_on, Holiday.ends_on >= dates.starts_on)
        .order_by(Holiday.starts_on)
        .limit(1)
    )
    if clash is not None:
        raise Conflict(
            N_("These dates overlap the holiday from {start} to {to}; remove it first."),
            start=clash.starts_on.isoformat(),
            to=clash.ends_on.isoformat(),
        )


async def add_holiday(
    session: AsyncSession, *, circle: Circle, dates: Dates, actor: str, now: datetime
) -> Holiday:
    """Add a holiday to ``circle`` (the caller checked the scope may change the circle)."""
    dates = _checked(dates)
    await _refuse_overlap(session, Holiday.circle_id == circle.id, dates)
    holiday = Holiday(
        circle_id=circle.id, starts_on=dates.starts_on, ends_on=dates.ends_on, name=dates.name
    )
    return await _added(session, holiday, actor=actor, now=now)


def country_in_scope(scope: Scope, country: str) -> str:
    """The upper-case country code, if ``scope`` may set holidays for all its circles."""
    if not scope.may(Permission.read_across):
        raise Forbidden(N_("Holidays of a whole country are set by coordinators and admins."))
    country = country.upper()
    if not is_country(country):
        raise InvalidAnswer(N_("{country} is not a two-letter country code."), country=country)
    if not scope.covers_country(country):
        raise Forbidden(N_("Your token does not cover circles in {country}."), country=country)
    return country


async def add_country_holiday(
    session: AsyncSession, *, scope: Scope, country: str, dates: Dates, now: datetime
) -> Holiday:
    """Add a holiday to every circle of ``country`` (coordinators of it, admins)."""
    country = country_in_scope(scope, country)
    dates = _checked(dates)
    await _refuse_overlap(session, Holiday.country == country, dates)
    holiday = Holiday(
        country=country, starts_on=dates.starts_on, ends_on=dates.ends_on, name=dates.name
    )
    return await _added(session, holiday, actor=scope.actor, now=now)


async def _added(session: AsyncSession, holiday: Holiday, *, actor: str, now: datetime) -> Holiday:
    session.add(holiday)
    await session.flush()
    await _audit(session, "holiday.add", holiday, actor=actor, now=now)
    return holiday


def _ordered(place: ColumnElement[bool], today: date):
    """Current and upcoming holidays first (soonest first), then past ones (newest first)."""
    past = Holiday.ends_on < today
    return (
        select(Holiday)
        .where(place)
        .order_by(
            case((past, 1), else_=0),
            case((past, None), else_=Holiday.starts_on),
            Holiday.starts_on.desc(),
            Holiday.id,
        )
    )


async def list_holidays(session: AsyncSession, *, circle: Circle, now: datetime) -> list[Holiday]:
    """The circle's holidays and its country's: current and upcoming first, then past ones."""
    today = now.astimezone(ZoneInfo(circle.timezone)).date()
    return list(await session.scalars(_ordered(applying_to(circle), today)))


async def list_country_holidays(
    session: AsyncSession, *, scope: Scope, country: str, now: datetime
) -> list[Holiday]:
    """A country's own holidays (not its circles'), current and upcoming first."""
    country = country_in_scope(scope, country)
    return list(await session.scalars(_ordered(Holiday.country == country, now.date())))


async def remove_holiday(
    session: AsyncSession, *, circle: Circle, holiday_id: int, actor: str, now: datetime
) -> None:
    """Remove one of the circle's own holidays (a country's is removed for the country)."""
    holiday = await session.get(Holiday, holiday_id)
    if holiday is None or holiday.circle_id != circle.id:
        raise NotFound(HOLIDAY_NOT_FOUND)
    await _removed(session, holiday, actor=actor, now=now)


async def remove_country_holiday(
    session: AsyncSession, *, scope: Scope, country: str, holiday_id: int, now: datetime
) -> None:
    """Remove one of a country's holidays (coordinators of it, admins)."""
    country = country_in_scope(scope, country)
    holiday = await session.get(Holiday, holiday_id)
    if holiday is None or holiday.country != country:
        raise NotFound(HOLIDAY_NOT_FOUND)
    await _removed(session, holiday, actor=scope.actor, now=now)


async def remove_any_holiday(
    session: AsyncSession, *, holiday_id: int, actor: str, now: datetime
) -> Holiday:
    """Remove a holiday of any circle or country (the command line, an admin's); return it."""
    holiday = await session.get(Holiday, holiday_id)
    if holiday is None:
        raise NotFound(HOLIDAY_NOT_FOUND)
    await _removed(session, holiday, actor=actor, now=now)
    return holiday


async def _removed(session: AsyncSession, holiday: Holiday, *, actor: str, now: datetime) -> None:
    await _audit(session, "holiday.remove", holiday, actor=actor, now=now)
    await session.delete(holiday)
    await session.flush()


async def _audit(
    session: AsyncSession, action: str, holiday: Holiday, *, actor: str, now: datetime
) -> None:
    """Which place and dates; not the name (free text)."""
    place = (
        {"circle_id": holiday.circle_id}
        if holiday.circle_id is not None
        else {"country": holiday.country}
    )
    await record_audit(
        session,
        actor=actor,
        action=action,
        now=now,
        target_type="holiday",
        target_id=holiday.id,
        detail={
            **place,
            "starts_on": holiday.starts_on.isoformat(),
            "ends_on": holiday.ends_on.isoformat(),
        },
    )


async def of_circle(session: AsyncSession, *, circle: Circle) -> list[Holiday]:
    """Every holiday that applies to ``circle`` (its own and its country's)."""
    return list(await session.scalars(select(Holiday).where(applying_to(circle))))


async def current_holiday(
    session: AsyncSession, *, circle: Circle, now: datetime
) -> Holiday | None:
    """The holiday ``circle`` is on at ``now`` (its local date), if any."""
    found = [
        h
        for h in await of_circle(session, circle=circle)
        if in_holidays((h,), now, circle.timezone)
    ]
    return max(found, key=lambda h: h.ends_on, default=None)


__all__ = [
    "MAX_DAYS",
    "Dates",
    "add_country_holiday",
    "add_holiday",
    "applying_to",
    "country_in_scope",
    "current_holiday",
    "list_country_holidays",
    "list_holidays",
    "of_circle",
    "remove_any_holiday",
    "remove_country_holiday",
    "remove_holiday",
]
