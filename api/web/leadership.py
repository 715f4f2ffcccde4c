"""Distributed leadership on the dashboard: invite a teacher who codified a practice to
co-facilitate (a form on the teacher's page), and the facilitators' monthly check-ins for
coordinators (``/dashboard/facilitator-checkins``, by country and circle, newest first).

The same services and scopes as ``/v1``: :func:`circles.services.leadership.invite` and
:func:`circles.services.facilitator_checkins.listed`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from api.deps import ClockDep, SessionDep
from api.params import CircleId, Cursor, PersonId
from api.web.dashboard import ViewerDep
from api.web.pages import page, redirect
from circles.services import facilitator_checkins, leadership
from circles.services.circles import list_circles
from circles.services.pagination import MAX_ID

router = APIRouter(prefix="/dashboard", include_in_schema=False)

#: Check-ins on one page.
SHOWN = 30


@router.post("/circles/{circle_id}/teachers/{person_id}/co-facilitation")
async def invite(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    circle_id: CircleId,
    person_id: PersonId,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Invite the teacher to co-facilitate this circle; they answer in the bot."""
    viewer.web.check_csrf(csrf)
    await leadership.invite(
        session,
        scope=viewer.scope,
        circle_id=circle_id,
        person_id=person_id,
        to_circle_id=None,
        now=clock.now(),
    )
    return redirect(
        request,
        viewer.web,
        f"/dashboard/circles/{circle_id}/teachers/{person_id}?done=invited#leadership",
    )


@router.get("/facilitator-checkins")
async def checkins(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    circle: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    cursor: Cursor = None,
) -> Response:
    """Facilitators' answered monthly check-ins, newest first, for coordinators and admins
    (a facilitator sees their own)."""
    found = await facilitator_checkins.listed(
        session,
        scope=viewer.scope,
        country=country,
        circle_id=circle,
        cursor=cursor,
        limit=SHOWN,
    )
    circles = [c for c in await list_circles(session) if viewer.scope.covers(c) and not c.demo]
    return page(
        request,
        viewer.web,
        "dashboard_facilitator_checkins.html",
        language=viewer.language,
        rows=found.items,
        next_cursor=found.next_cursor,
        countries=sorted({c.country for c in circles}),
        circles=circles,
        country=(country or "").upper(),
        circle_id=circle,
    )
