"""Facilitators' monthly check-in: what went well in the circle, what support they need.

Each facilitator of a real circle gets one check-in a month per circle they facilitate,
opened on the first check-in weekday of the month (the circle's ``checkin_weekday``) at
the circle's check-in time, in the facilitator's own timezone (:func:`opening`). The
sweep (:func:`open_due`) is derived from the database alone: a month that has its row is
left alone (unique per person, circle and month), so it is safe after a restart and when
run twice. A facilitator who paused gets theirs when the pause ends, a holiday of the
circle holds it until the holiday is over — both only while :data:`OPEN_FOR` after the
opening has not passed. One reminder goes :data:`NUDGE_AFTER` after it opened if still
unanswered (held by holidays and pauses too). Answers reach coordinators and admins
(:func:`listed`); a facilitator's token reads only their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import Conflict, Forbidden, NotFound
from circles.i18n import N_
from circles.models import Circle, FacilitatorCheckIn, Membership, Person, Role, TokenRole
from circles.services.access import NOT_YOURS, Scope
from circles.services.pagination import Page, keyset, page_of
from circles.services.schedule import in_holidays, local_slot
from circles.services.scheduling import holidays_by_circle, reachable

#: How long after its opening a month's check-in may still open (and, once open, be answered).
OPEN_FOR = timedelta(days=14)
#: When the one reminder goes, after the check-in opened.
NUDGE_AFTER = timedelta(days=3)

ALREADY_ANSWERED = N_("You already answered this month's check-in. Thank you!")
CLOSED = N_("This month's check-in is closed. The next one comes next month.")
_READERS_ONLY = N_("Facilitators' check-ins are for coordinators and admins.")


@dataclass(frozen=True)
class Opened:
    """A check-in the sweep opened or has to remind, with whom and where."""

    checkin: FacilitatorCheckIn
    person: Person
    circle: Circle


def opening(circle: Circle, timezone: str, now: datetime) -> tuple[date, datetime]:
    """The month (its first day) ``now`` falls in for someone in ``timezone``, and when its
    check-in opens: the first ``checkin_weekday`` of that month at ``checkin_time``."""
    zone = ZoneInfo(timezone)
    first = now.astimezone(zone).date().replace(day=1)
    day = first + timedelta(days=(circle.checkin_weekday - first.weekday()) % 7)
    return first, local_slot(day, circle.checkin_time, zone)


async def _facilitators(session: AsyncSession, *, now: datetime) -> list[tuple[Person, Circle]]:
    rows = await session.execute(
        select(Person, Circle)
        .join(Membership, Membership.person_id == Person.id)
        .join(Circle, Circle.id == Membership.circle_id)
        .where(Membership.role == Role.facilitator, Circle.demo.is_(False), reachable(now))
        .order_by(Membership.id)
    )
    return [(person, circle) for person, circle in rows.all()]


async def open_due(session: AsyncSession, *, now: datetime) -> list[Opened]:
    """Open every facilitator's check-in of this month that is due and not yet opened."""
    found = await _facilitators(session, now=now)
    if not found:
        return []
    holidays = await holidays_by_circle(session)
    existing = set(
        (
            await session.execute(
                select(
                    FacilitatorCheckIn.person_id,
                    FacilitatorCheckIn.circle_id,
                    FacilitatorCheckIn.month,
                ).where(FacilitatorCheckIn.month >= (now - timedelta(days=62)).date())
            )
        ).all()
    )
    opened = []
    for person, circle in found:
        month, due = opening(circle, person.timezone, now)
        if not (due <= now < due + OPEN_FOR) or (person.id, circle.id, month) in existing:
            continue
        if in_holidays(holidays[circle.id], now, circle.timezone):
            continue
        checkin = FacilitatorCheckIn(
            person_id=person.id,
            circle_id=circle.id,
            month=month,
            opened_at=now,
            closes_at=now + OPEN_FOR,
        )
        session.add(checkin)
        opened.append(Opened(checkin, person, circle))
    await session.flush()
    return opened


async def to_nudge(session: AsyncSession, *, now: datetime) -> list[Opened]:
    """Open check-ins unanswered :data:`NUDGE_AFTER` after they opened, not yet reminded
    (marked reminded here); none during a holiday of the circle or the person's pause."""
    rows = await session.execute(
        select(FacilitatorCheckIn, Person, Circle)
        .join(Person, Person.id == FacilitatorCheckIn.person_id)
        .join(Circle, Circle.id == FacilitatorCheckIn.circle_id)
        .where(
            FacilitatorCheckIn.answered_at.is_(None),
            FacilitatorCheckIn.nudged_at.is_(None),
            FacilitatorCheckIn.opened_at <= now - NUDGE_AFTER,
            FacilitatorCheckIn.closes_at > now,
            reachable(now),
        )
        .order_by(FacilitatorCheckIn.id)
    )
    found = [Opened(*row) for row in rows.all()]
    if not found:
        return []
    holidays = await holidays_by_circle(session)
    due = [o for o in found if not in_holidays(holidays[o.circle.id], now, o.circle.timezone)]
    for one in due:
        one.checkin.nudged_at = now
    return due


async def checkin_for_facilitator(
    session: AsyncSession, *, person_id: int, checkin_id: int, now: datetime
) -> FacilitatorCheckIn:
    """The person's own open check-in (:class:`NotFound` for another's or an unknown id;
    :class:`Conflict` once answered or closed)."""
    checkin = await session.get(FacilitatorCheckIn, checkin_id)
    if checkin is None or checkin.person_id != person_id:
        raise NotFound(NOT_YOURS)
    if checkin.answered_at is not None:
        raise Conflict(ALREADY_ANSWERED)
    if now >= checkin.closes_at:
        raise Conflict(CLOSED)
    return checkin


def record(
    checkin: FacilitatorCheckIn,
    *,
    went_well: str | None,
    support: str | None,
    rating: int | None,
    now: datetime,
) -> None:
    """Store the answers (an edit after answering replaces them)."""
    checkin.went_well, checkin.support = went_well, support
    checkin.rating = rating if rating is not None and 1 <= rating <= 5 else None
    checkin.answered_at = checkin.answered_at or now


@dataclass(frozen=True)
class Row:
    """One answered check-in as coordinators read it."""

    checkin: FacilitatorCheckIn
    name: str | None
    circle: Circle


async def listed(
    session: AsyncSession,
    *,
    scope: Scope,
    country: str | None,
    circle_id: int | None,
    cursor: str | None,
    limit: int,
) -> Page[Row]:
    """Answered check-ins, newest first, of the circles in scope (coordinators, admins), or
    the reader's own (a facilitator's token that belongs to a person); 403 for others."""
    query = (
        select(FacilitatorCheckIn, Person.display_name, Circle)
        .join(Person, Person.id == FacilitatorCheckIn.person_id)
        .join(Circle, Circle.id == FacilitatorCheckIn.circle_id)
        .where(FacilitatorCheckIn.answered_at.is_not(None), Circle.demo.is_(False))
    )
    if scope.role in (TokenRole.admin, TokenRole.coordinator):
        query = query.where(scope.circle_clause())
    elif scope.role is TokenRole.facilitator:
        query = query.where(FacilitatorCheckIn.person_id == (scope.person_id or 0))
    else:
        raise Forbidden(_READERS_ONLY)
    if country:
        query = query.where(Circle.country == country.upper())
    if circle_id is not None:
        query = query.where(Circle.id == circle_id)
    rows = (
        await session.execute(
            keyset(query, FacilitatorCheckIn.id, cursor=cursor, limit=limit, newest_first=True)
        )
    ).all()
    page = page_of(rows, limit=limit, last_id=lambda row: row[0].id)
    return Page([Row(*row) for row in page.items], page.next_cursor)
