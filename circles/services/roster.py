"""Circles and their members as facilitators and coordinators see them (admin API, bot).

Lists are scoped (see :mod:`circles.services.access`) and paged by id. A member row
carries what a facilitator looks for: role, the phase of their newest inquiry, whether
they are paused, and when they last answered a check-in. People who used /forgetme have
no name and no membership any more, so they never appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import ScalarSelect

from circles.errors import Forbidden
from circles.i18n import N_
from circles.models import (
    Cadence,
    CheckIn,
    CheckInStatus,
    Circle,
    Inquiry,
    Membership,
    Person,
    Phase,
    Role,
)
from circles.services.access import Permission, Scope
from circles.services.audit import record_audit
from circles.services.circles import create_circle
from circles.services.pagination import Page, keyset, page_of
from circles.services.people import cannot_be_reached


@dataclass(frozen=True)
class CircleRow:
    """A circle with how many members it has in each role."""

    circle: Circle
    members: dict[Role, int]


@dataclass(frozen=True)
class MemberRow:
    """One member of a circle, with their journey at a glance."""

    membership_id: int
    person_id: int
    name: str | None
    role: Role
    language: str
    timezone: str
    joined_at: datetime
    phase: Phase | None
    paused_until: datetime | None
    paused: bool
    unreachable: bool
    last_answer_at: datetime | None


async def _member_counts(
    session: AsyncSession, circle_ids: list[int]
) -> dict[int, dict[Role, int]]:
    counts: dict[int, dict[Role, int]] = {cid: dict.fromkeys(Role, 0) for cid in circle_ids}
    if not circle_ids:
        return counts
    rows = await session.execute(
        select(Membership.circle_id, Membership.role, func.count())
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.circle_id.in_(circle_ids), Person.forgotten_at.is_(None))
        .group_by(Membership.circle_id, Membership.role)
    )
    for circle_id, role, count in rows.all():
        counts[circle_id][role] = count
    return counts


async def list_circles_in_scope(
    session: AsyncSession,
    *,
    scope: Scope,
    cursor: str | None,
    limit: int,
    country: str | None = None,
    name: str | None = None,
) -> Page[CircleRow]:
    """The circles the scope covers, by id, optionally of one country or matching a name."""
    query = select(Circle).where(scope.circle_clause())
    if country is not None:
        query = query.where(Circle.country == country.upper())
    if name:
        query = query.where(func.lower(Circle.name).contains(name.lower(), autoescape=True))
    circles = (await session.scalars(keyset(query, Circle.id, cursor=cursor, limit=limit))).all()
    page = page_of(circles, limit=limit, last_id=lambda c: c.id)
    counts = await _member_counts(session, [c.id for c in page.items])
    return Page([CircleRow(c, counts[c.id]) for c in page.items], page.next_cursor)


async def circle_row(session: AsyncSession, *, circle: Circle) -> CircleRow:
    """One circle with its member counts."""
    counts = await _member_counts(session, [circle.id])
    return CircleRow(circle, counts[circle.id])


async def create_circle_in_scope(
    session: AsyncSession,
    *,
    scope: Scope,
    name: str,
    country: str,
    language: str,
    timezone: str,
    now: datetime,
    cadence: Cadence = Cadence.weekly,
    weekday: int = 0,
    at: time = time(16, 0),
) -> CircleRow:
    """Create a circle (coordinators only in their countries) and audit it."""
    scope.require(Permission.manage_circles)
    if not scope.covers_country(country.upper()):
        raise Forbidden(N_("Your token does not cover circles in {country}."), country=country)
    circle = await create_circle(
        session,
        name=name,
        country=country,
        language=language,
        timezone=timezone,
        now=now,
        cadence=cadence,
        weekday=weekday,
        at=at,
    )
    await record_audit(
        session,
        actor=scope.actor,
        action="circle.create",
        now=now,
        target_type="circle",
        target_id=circle.id,
        detail={"country": circle.country},
    )
    return CircleRow(circle, dict.fromkeys(Role, 0))


def _phase_of(circle_id: int) -> ScalarSelect[Phase]:
    """The phase of the person's newest inquiry in the circle (correlated subquery)."""
    return (
        select(Inquiry.phase)
        .where(Inquiry.person_id == Person.id, Inquiry.circle_id == circle_id)
        .order_by(Inquiry.id.desc())
        .limit(1)
        .correlate(Person)
        .scalar_subquery()
    )


async def list_members(
    session: AsyncSession,
    *,
    circle: Circle,
    now: datetime,
    cursor: str | None,
    limit: int,
    role: Role | None = None,
    phase: Phase | None = None,
    paused: bool | None = None,
) -> Page[MemberRow]:
    """The circle's members in joining order, with phase, pause and last answer."""
    phase_expr = _phase_of(circle.id)
    last_answer = (
        select(func.max(CheckIn.answered_at))
        .where(
            CheckIn.person_id == Person.id,
            CheckIn.circle_id == circle.id,
            CheckIn.status == CheckInStatus.answered,
        )
        .correlate(Person)
        .scalar_subquery()
    )
    query = (
        select(
            Membership,
            Person,
            phase_expr.label("phase"),
            last_answer.label("last_answer"),
            cannot_be_reached().label("unreachable"),
        )
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.circle_id == circle.id, Person.forgotten_at.is_(None))
    )
    if role is not None:
        query = query.where(Membership.role == role)
    if phase is not None:
        query = query.where(phase_expr == phase)
    if paused is True:
        query = query.where(Person.paused_until > now)
    elif paused is False:
        query = query.where((Person.paused_until.is_(None)) | (Person.paused_until <= now))
    rows = (await session.execute(keyset(query, Membership.id, cursor=cursor, limit=limit))).all()
    page = page_of(rows, limit=limit, last_id=lambda row: row[0].id)
    items = [
        MemberRow(
            membership_id=m.id,
            person_id=p.id,
            name=p.display_name,
            role=m.role,
            language=p.language,
            timezone=p.timezone,
            joined_at=m.joined_at,
            phase=found_phase,
            paused_until=p.paused_until,
            paused=p.paused_until is not None and p.paused_until > now,
            unreachable=unreachable,
            last_answer_at=last,
        )
        for m, p, found_phase, last, unreachable in page.items
    ]
    return Page(items, page.next_cursor)
