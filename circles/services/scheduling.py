"""The queries behind the scheduler's sweeps: who is due, what to nudge, what has closed.

Each function reads or writes in bulk, with a fixed number of queries whatever the
number of members, so that a weekly wave of 100,000 teachers plans in seconds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from circles.models import (
    Channel,
    CheckIn,
    CheckInStatus,
    Circle,
    Consent,
    FlowRun,
    FlowStatus,
    Holiday,
    Inquiry,
    Meeting,
    MeetingStatus,
    Membership,
    Person,
    Phase,
    Role,
    SchoolYear,
    YearStatus,
)
from circles.services.people import has_reachable_identity, preferred_identities
from circles.services.schedule import CHECKIN_WINDOW


@dataclass(frozen=True, slots=True)
class Member:
    """A teacher who may receive check-ins, with what the sweep needs to know."""

    person_id: int
    channel: Channel  # where their invitation goes: their preferred identity
    address: str
    language: str
    timezone: str
    joined_at: datetime
    circle_id: int


def _willing(now: datetime):
    """People who agreed, are not forgotten and not paused."""
    return and_(
        Person.consent == Consent.given,
        Person.forgotten_at.is_(None),
        or_(Person.paused_until.is_(None), Person.paused_until <= now),
    )


def reachable(now: datetime):
    """People who agreed, are not forgotten, not paused, and have an identity that works."""
    return and_(_willing(now), has_reachable_identity())


def idle_circles(today: date):
    """True for a circle the scheduler leaves alone: it has school years, but none open
    that has begun by ``today`` (:mod:`circles.services.years`)."""
    any_year = select(SchoolYear.id).where(SchoolYear.circle_id == Circle.id)
    working = select(SchoolYear.id).where(
        SchoolYear.circle_id == Circle.id,
        SchoolYear.status == YearStatus.open,
        SchoolYear.starts_on <= today,
    )
    return and_(exists(any_year), not_(exists(working)))


async def year_starts(session: AsyncSession) -> dict[int, datetime]:
    """When each circle's open school year began (its first day, midnight there, in UTC)."""
    rows = await session.execute(
        select(SchoolYear.circle_id, SchoolYear.starts_on, Circle.timezone)
        .join(Circle, Circle.id == SchoolYear.circle_id)
        .where(SchoolYear.status == YearStatus.open)
    )
    return {
        circle_id: datetime.combine(starts, time(0), ZoneInfo(timezone))
        for circle_id, starts, timezone in rows.all()
    }


async def all_circles(session: AsyncSession) -> dict[int, Circle]:
    """Every circle by id."""
    return {circle.id: circle for circle in await session.scalars(select(Circle))}


async def due_teachers(session: AsyncSession, *, now: datetime) -> list[Member]:
    """Every teacher who can receive a check-in now (plain columns: this is the big query)."""
    preferred = preferred_identities()
    rows = await session.execute(
        select(
            Person.id,
            preferred.c.channel,
            preferred.c.address,
            Person.language,
            Person.timezone,
            Membership.joined_at,
            Membership.circle_id,
        )
        .join(Person, Person.id == Membership.person_id)
        .join(preferred, preferred.c.person_id == Person.id)
        .join(Circle, Circle.id == Membership.circle_id)
        .where(Membership.role == Role.teacher, _willing(now), not_(idle_circles(now.date())))
    )
    return [Member(*row) for row in rows.all()]


async def holidays_by_circle(session: AsyncSession) -> dict[int, list[Holiday]]:
    """Every circle's holidays, its own and its country's, by circle id (one query)."""
    found: dict[int, list[Holiday]] = defaultdict(list)
    rows = await session.execute(
        select(Circle.id, Holiday).join(
            Holiday, or_(Holiday.circle_id == Circle.id, Holiday.country == Circle.country)
        )
    )
    for circle_id, holiday in rows.all():
        found[circle_id].append(holiday)
    return found


async def meetings_by_circle(session: AsyncSession, *, now: datetime) -> dict[int, list[datetime]]:
    """Start times of scheduled meetings around now, by circle (for before-meeting cadence)."""
    found: dict[int, list[datetime]] = defaultdict(list)
    rows = await session.execute(
        select(Meeting.circle_id, Meeting.starts_at).where(
            Meeting.status == MeetingStatus.scheduled,
            Meeting.starts_at >= now - timedelta(days=30),
            Meeting.starts_at <= now + timedelta(days=60),
        )
    )
    for circle_id, starts in rows.all():
        found[circle_id].append(starts)
    return found


async def existing_checkins(
    session: AsyncSession, *, since: datetime
) -> set[tuple[int, int, datetime]]:
    """(person, circle, occurrence) of every check-in scheduled since ``since``."""
    rows = await session.execute(
        select(CheckIn.person_id, CheckIn.circle_id, CheckIn.scheduled_for).where(
            CheckIn.scheduled_for >= since
        )
    )
    return {(p, c, s) for p, c, s in rows.all()}


async def current_phases(session: AsyncSession) -> dict[int, tuple[int, Phase]]:
    """Each person's newest unfinished inquiry: id and phase."""
    rows = await session.execute(
        select(Inquiry.person_id, Inquiry.id, Inquiry.phase)
        .where(Inquiry.phase != Phase.done)
        .order_by(Inquiry.id)
    )
    return {person: (inquiry, phase) for person, inquiry, phase in rows.all()}


async def checkins_to_nudge(
    session: AsyncSession, *, now: datetime
) -> list[tuple[CheckIn, Person, Circle]]:
    """Open check-ins whose next nudge is due, with the person and circle."""
    rows = await session.execute(
        select(CheckIn, Person, Circle)
        .join(Person, Person.id == CheckIn.person_id)
        .join(Circle, Circle.id == CheckIn.circle_id)
        .where(
            CheckIn.status == CheckInStatus.open,
            CheckIn.next_nudge_at <= now,
            CheckIn.closes_at > now,
            reachable(now),
        )
    )
    return [(checkin, person, circle) for checkin, person, circle in rows.all()]


async def close_overdue_checkins(session: AsyncSession, *, now: datetime) -> int:
    """Mark open check-ins past their window as missed; expire their conversations."""
    overdue = select(CheckIn.id).where(
        CheckIn.status == CheckInStatus.open, CheckIn.closes_at <= now
    )
    await session.execute(
        update(FlowRun)
        .where(
            FlowRun.checkin_id.in_(overdue),
            FlowRun.status.in_([FlowStatus.active, FlowStatus.waiting]),
        )
        .values(status=FlowStatus.expired, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        update(CheckIn)
        .where(CheckIn.status == CheckInStatus.open, CheckIn.closes_at <= now)
        .values(status=CheckInStatus.missed)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


__all__ = [
    "CHECKIN_WINDOW",
    "Member",
    "checkins_to_nudge",
    "close_overdue_checkins",
    "current_phases",
    "due_teachers",
    "existing_checkins",
    "holidays_by_circle",
    "idle_circles",
    "meetings_by_circle",
    "reachable",
    "year_starts",
]
