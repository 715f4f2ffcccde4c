"""``/v1/circles/{circle_id}/reflections``: reflections, as far as their authors allowed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import ScopeDep
from api.deps import SessionDep
from api.params import DEFAULT_PAGE, READ, CircleId, Cursor, Limit, PersonFilter
from api.schemas import Page, ReflectionOut
from circles.services import reflections
from circles.services.access import Permission, circle_for
from circles.services.pagination import MAX_ID

router = APIRouter(prefix="/v1/circles/{circle_id}/reflections", tags=["reflections"])


@router.get("", response_model=Page[ReflectionOut], responses=READ)
async def list_reflections(
    circle_id: CircleId,
    scope: ScopeDep,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
    meeting: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    session_id: Annotated[
        int | None,
        Query(alias="session", ge=1, le=MAX_ID, description="An exchange session's id"),
    ] = None,
    member: PersonFilter = None,
) -> Page[ReflectionOut]:
    """Reflections newest first that the token may read.

    "The facilitators" reflections go to facilitator tokens, "my whole circle" ones to
    the circle's facilitator and union representative tokens, "only me" to nobody.
    Coordinators and admins are not in the circle, so they read none. ``session``
    keeps the circle's reflections on one exchange session across circles.
    """
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_details
    )
    page = await reflections.list_reflections(
        session,
        scope=scope,
        circle=circle,
        cursor=cursor,
        limit=limit,
        meeting_id=meeting,
        session_id=session_id,
        person_id=member,
    )
    return Page.of(page, ReflectionOut.of)
