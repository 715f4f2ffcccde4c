"""``/v1/circles/{circle_id}/checkins``: check-ins and their answers, filtered."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import ScopeDep
from api.deps import SessionDep
from api.params import (
    DEFAULT_PAGE,
    READ,
    CheckInId,
    CircleId,
    Cursor,
    Limit,
    PersonFilter,
    WeekParam,
    week_or_none,
)
from api.schemas import CheckInOut, Page
from circles.models import CheckInStatus, Phase
from circles.services import answers
from circles.services.access import Permission, circle_for

router = APIRouter(prefix="/v1/circles/{circle_id}/checkins", tags=["check-ins"])


@router.get("", response_model=Page[CheckInOut], responses=READ)
async def list_checkins(
    circle_id: CircleId,
    scope: ScopeDep,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
    week: WeekParam = None,
    phase: Phase | None = None,
    member: PersonFilter = None,
    status: CheckInStatus | None = None,
) -> Page[CheckInOut]:
    """Check-ins newest first with their answers; by week, phase, member, status.

    ``status=answered`` or ``status=missed`` lists who answered or missed.
    """
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_details
    )
    page = await answers.list_checkins(
        session,
        circle=circle,
        cursor=cursor,
        limit=limit,
        week=week_or_none(week),
        phase=phase,
        person_id=member,
        status=status,
    )
    return Page.of(page, CheckInOut.in_timezone(circle.timezone))


@router.get("/{checkin_id}", response_model=CheckInOut, responses=READ)
async def get_checkin(
    circle_id: CircleId, checkin_id: CheckInId, scope: ScopeDep, session: SessionDep
) -> CheckInOut:
    """One check-in with its answers."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_details
    )
    row = await answers.get_checkin(session, circle=circle, checkin_id=checkin_id)
    return CheckInOut.in_timezone(circle.timezone)(row)
