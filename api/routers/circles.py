"""``/v1/circles``: the circles a token covers, and their members.

URL layout of the admin API: everything that belongs to one circle lives under
``/v1/circles/{circle_id}/…`` (members, invites, checkins, reflections, meetings,
summary); practices under review are listed across circles at ``/v1/practices``;
``/v1/countries/{country}/summary`` and ``/v1/summary`` are for coordinators;
``/v1/exports/…`` give files; ``/v1/tokens`` and ``/v1/audit`` are for admins.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import ScopeDep
from api.deps import ClockDep, SessionDep
from api.params import BODY, DEFAULT_PAGE, READ, CircleId, Cursor, Limit
from api.schemas import CircleCreate, CircleOut, MemberOut, Page
from circles.models import Phase, Role
from circles.services import roster
from circles.services.access import Permission, circle_for

router = APIRouter(prefix="/v1", tags=["circles"])


@router.get("/circles", response_model=Page[CircleOut], responses=READ)
async def list_circles(
    scope: ScopeDep,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    name: Annotated[str | None, Query(max_length=120, pattern=r"^[^\x00]*$")] = None,
) -> Page[CircleOut]:
    """The circles the token covers, by id; filter by country or part of the name."""
    page = await roster.list_circles_in_scope(
        session, scope=scope, cursor=cursor, limit=limit, country=country, name=name
    )
    return Page.of(page, CircleOut.of)


@router.post("/circles", response_model=CircleOut, status_code=201, responses=BODY)
async def create_circle(
    body: CircleCreate, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> CircleOut:
    """Create a circle (coordinators in their countries, admins anywhere)."""
    row = await roster.create_circle_in_scope(
        session,
        scope=scope,
        name=body.name,
        country=body.country,
        language=body.language,
        timezone=body.timezone,
        now=clock.now(),
        cadence=body.cadence,
        weekday=body.checkin_weekday,
        at=body.at,
    )
    return CircleOut.of(row)


@router.get("/circles/{circle_id}", response_model=CircleOut, responses=READ)
async def get_circle(circle_id: CircleId, scope: ScopeDep, session: SessionDep) -> CircleOut:
    """One circle with its member counts (union representatives too)."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_summaries
    )
    return CircleOut.of(await roster.circle_row(session, circle=circle))


@router.get("/circles/{circle_id}/members", response_model=Page[MemberOut], responses=READ)
async def list_members(
    circle_id: CircleId,
    scope: ScopeDep,
    session: SessionDep,
    clock: ClockDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
    role: Role | None = None,
    phase: Phase | None = None,
    paused: bool | None = None,
) -> Page[MemberOut]:
    """Members in joining order with role, phase, pause and last answer."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_details
    )
    page = await roster.list_members(
        session,
        circle=circle,
        now=clock.now(),
        cursor=cursor,
        limit=limit,
        role=role,
        phase=phase,
        paused=paused,
    )
    return Page.of(page, MemberOut.of)
