"""The queries behind the scheduler's sweeps: who is due, what to nudge, what has closed.

Each function reads or writes in bulk, with a fixed number of queries whatever the
number of members, so that a weekly wave of 100,000 teachers plans in seconds. The
wave's reads take an optional :class:`CircleBatch`, so that a wave of a million is
planned a batch of circles at a time, in memory of one batch's size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select, true, update
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
    Identity,
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
from circles.services import waves
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


@dataclass(frozen=True, slots=True)
class CircleBatch:
    """The circles with these ids (ascending, at least one): one batch of a wave."""

    ids: tuple[int, ...]


def _within(column, batch: CircleBatch | None) -> ColumnElement[bool]:
    """``column`` (a circle id) is in ``batch``; always true without one.

    A batch of consecutive ids (a wave, when every circle is due) is a ``BETWEEN``:
    rendering a thousand bound ids for each of the batch's reads cost a wave of a million
    about ten seconds (``bench.million``)."""
    if batch is None:
        return true()
    first, last = batch.ids[0], batch.ids[-1]
    if last - first + 1 == len(batch.ids):
        return column.between(first, last)
    return column.in_(batch.ids)


def _batch_people(batch: CircleBatch):
    """The ids of the people with a membership in ``batch``'s circles (a subquery)."""
    return select(Membership.person_id).where(_within(Membership.circle_id, batch))


async def circle_batches(
    session: AsyncSession, *, size: int, now: datetime | None = None
) -> list[CircleBatch]:
    """Every circle, or with ``now`` the circles due for planning then
    (:func:`circles.services.waves.due_circles`), in batches of ``size`` by id (one
    query)."""
    if now is None:
        ids = list(await session.scalars(select(Circle.id).order_by(Circle.id)))
    else:
        ids = await waves.due_circles(session, now=now)
    return [CircleBatch(tuple(ids[start : start + size])) for start in range(0, len(ids), size)]


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


async def year_starts(
    session: AsyncSession, *, batch: CircleBatch | None = None
) -> dict[int, datetime]:
    """When each circle's (of ``batch``) open school year began (its first day, midnight
    there, in UTC)."""
    rows = await session.execute(
        select(SchoolYear.circle_id, SchoolYear.starts_on, Circle.timezone)
        .join(Circle, Circle.id == SchoolYear.circle_id)
        .where(SchoolYear.status == YearStatus.open, _within(SchoolYear.circle_id, batch))
    )
    return {
        circle_id: datetime.combine(starts, time(0), ZoneInfo(timezone))
        for circle_id, starts, timezone in rows.all()
    }


async def all_circles(
    session: AsyncSession, *, batch: CircleBatch | None = None
) -> dict[int, Circle]:
    """Every circle (of ``batch``) by id."""
    circles = await session.scalars(select(Circle).where(_within(Circle.id, batch)))
    return {circle.id: circle for circle in circles}


async def due_teachers(
    session: AsyncSession, *, now: datetime, batch: CircleBatch | None = None
) -> list[Member]:
    """Every teacher (of ``batch``) who can receive a check-in now (plain columns: this is
    the big query)."""
    preferred = (
        preferred_identities()
        if batch is None
        else preferred_identities(Identity.person_id.in_(_batch_people(batch)))
    )
    # Core rows, not ORM ones: this and the two reads below return a row per member, and
    # the ORM's result processing was a third of a wave's time in them (bench.million).
    connection = await session.connection()
    rows = await connection.execute(
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
        .where(
            Membership.role == Role.teacher,
            _willing(now),
            _within(Membership.circle_id, batch),
            not_(idle_circles(now.date())),
        )
    )
    return [Member(*row) for row in rows.all()]


async def pauses_ending(
    session: AsyncSession, *, now: datetime, batch: CircleBatch | None = None
) -> dict[int, datetime]:
    """For each circle (of ``batch``) with a teacher paused at ``now``, when the first
    of those pauses ends (one query)."""
    rows = await session.execute(
        select(Membership.circle_id, func.min(Person.paused_until))
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.role == Role.teacher,
            Person.paused_until > now,
            _within(Membership.circle_id, batch),
        )
        .group_by(Membership.circle_id)
    )
    return {circle_id: until for circle_id, until in rows.all()}


async def holidays_by_circle(
    session: AsyncSession, *, batch: CircleBatch | None = None
) -> dict[int, list[Holiday]]:
    """Every circle's (of ``batch``) holidays, its own and its country's, by circle id
    (one query)."""
    found: dict[int, list[Holiday]] = defaultdict(list)
    rows = await session.execute(
        select(Circle.id, Holiday)
        .join(Holiday, or_(Holiday.circle_id == Circle.id, Holiday.country == Circle.country))
        .where(_within(Circle.id, batch))
    )
    for circle_id, holiday in rows.all():
        found[circle_id].append(holiday)
    return found


async def meetings_by_circle(
    session: AsyncSession, *, now: datetime, batch: CircleBatch | None = None
) -> dict[int, list[datetime]]:
    """Start times of scheduled meetings around now, by circle (of ``batch``; for
    before-meeting cadence)."""
    found: dict[int, list[datetime]] = defaultdict(list)
    rows = await session.execute(
        select(Meeting.circle_id, Meeting.starts_at).where(
            Meeting.status == MeetingStatus.scheduled,
            Meeting.starts_at >= now - timedelta(days=30),
            Meeting.starts_at <= now + timedelta(days=60),
            _within(Meeting.circle_id, batch),
        )
    )
    for circle_id, starts in rows.all():
        found[circle_id].append(starts)
    return found


async def existing_checkins(
    session: AsyncSession, *, at: Collection[datetime], batch: CircleBatch | None = None
) -> set[tuple[int, int, datetime]]:
    """(person, circle, occurrence) of every check-in (in ``batch``'s circles) scheduled
    at one of the occurrences ``at`` (a few: a sweep's due occurrences)."""
    if not at:
        return set()
    connection = await session.connection()
    rows = await connection.execute(
        select(CheckIn.person_id, CheckIn.circle_id, CheckIn.scheduled_for).where(
            CheckIn.scheduled_for.in_(sorted(at)), _within(CheckIn.circle_id, batch)
        )
    )
    return {(p, c, s) for p, c, s in rows.all()}


async def current_phases(
    session: AsyncSession, *, batch: CircleBatch | None = None
) -> dict[int, tuple[int, Phase]]:
    """Each person's (with a membership in ``batch``'s circles) newest unfinished inquiry:
    id and phase."""
    wanted = true() if batch is None else Inquiry.person_id.in_(_batch_people(batch))
    connection = await session.connection()
    rows = await connection.execute(
        select(Inquiry.person_id, Inquiry.id, Inquiry.phase)
        .where(Inquiry.phase != Phase.done, wanted)
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
    "CircleBatch",
    "Member",
    "checkins_to_nudge",
    "circle_batches",
    "close_overdue_checkins",
    "current_phases",
    "due_teachers",
    "existing_checkins",
    "holidays_by_circle",
    "idle_circles",
    "meetings_by_circle",
    "pauses_ending",
    "reachable",
    "year_starts",
]
