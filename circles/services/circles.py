"""Creating and finding circles."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from babel import Locale
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import Conflict, InvalidAnswer, NotFound
from circles.i18n import N_
from circles.models import Cadence, Circle, Membership, Person, Role, SchoolYear
from circles.settings import SUPPORTED_LANGUAGES, is_timezone, normalize_language

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


#: Region codes CLDR knows that are not countries (unknown region, EU, UN, pseudo-locales).
_NOT_COUNTRIES = frozenset({"ZZ", "QO", "EU", "EZ", "UN", "XA", "XB"})


def is_country(code: str) -> bool:
    """Whether ``code`` is an ISO 3166 alpha-2 country code that Babel knows."""
    code = code.upper()
    return (
        len(code) == 2
        and code.isalpha()
        and code not in _NOT_COUNTRIES
        and code in Locale("en").territories
    )


async def create_circle(
    session: AsyncSession,
    *,
    name: str,
    country: str,
    language: str,
    timezone: str,
    now: datetime,
    cadence: Cadence = Cadence.weekly,
    weekday: int = 0,
    at: time = time(16, 0),
) -> Circle:
    """Create a circle after checking every field; names are unique."""
    name = name.strip()
    if not name or len(name) > 120:
        raise InvalidAnswer(N_("A circle needs a name of 1 to 120 characters."))
    if not is_country(country):
        raise InvalidAnswer(N_("{country} is not a two-letter country code."), country=country)
    chosen = normalize_language(language)
    if chosen is None:
        raise InvalidAnswer(
            N_("{language} is not supported; choose one of {supported}."),
            language=language,
            supported=", ".join(SUPPORTED_LANGUAGES),
        )
    if not is_timezone(timezone):
        raise InvalidAnswer(N_("{timezone} is not a known timezone."), timezone=timezone)
    if not 0 <= weekday <= 6:
        raise InvalidAnswer(N_("The weekday must be between 0 (Monday) and 6 (Sunday)."))
    if await session.scalar(select(Circle.id).where(Circle.name == name)) is not None:
        raise Conflict(N_("A circle named {name} already exists."), name=name)
    circle = Circle(
        name=name,
        country=country.upper(),
        language=chosen,
        timezone=timezone,
        cadence=cadence,
        checkin_weekday=weekday,
        checkin_time=at,
        created_at=now,
    )
    session.add(circle)
    await session.flush()
    await add_first_year(session, circle=circle, now=now)
    return circle


def first_year(day: date) -> tuple[str, date, date]:
    """A circle's first year: label, first and last day, from the day it was created."""
    return year_label(day), day, day + timedelta(days=364)


def year_label(day: date) -> str:
    """``2026–27`` for a year that begins in 2026."""
    return f"{day.year}\u2013{(day.year + 1) % 100:02d}"


async def add_first_year(session: AsyncSession, *, circle: Circle, now: datetime) -> SchoolYear:
    """Open a new circle's first school year (:mod:`circles.services.years`)."""
    label, starts, ends = first_year(now.date())
    year = SchoolYear(
        circle_id=circle.id, label=label, starts_on=starts, ends_on=ends, opened_at=now
    )
    session.add(year)
    await session.flush()
    return year


async def get_circle_by_name(session: AsyncSession, *, name: str) -> Circle:
    """Return the circle called ``name``."""
    circle = await session.scalar(select(Circle).where(Circle.name == name.strip()))
    if circle is None:
        raise NotFound(N_("There is no circle named {name}."), name=name)
    return circle


async def list_circles(session: AsyncSession) -> list[Circle]:
    """All circles by name."""
    return list(await session.scalars(select(Circle).order_by(Circle.name)))


async def circle_members(
    session: AsyncSession, *, circle_id: int, role: Role | None = None
) -> list[tuple[Person, Membership]]:
    """The circle's members (optionally of one role), in joining order."""
    query = (
        select(Person, Membership)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.circle_id == circle_id)
        .order_by(Membership.joined_at, Membership.id)
    )
    if role is not None:
        query = query.where(Membership.role == role)
    return [(person, membership) for person, membership in (await session.execute(query)).all()]
