"""``/dashboard/sessions``: coordinators' exchange sessions across circles, in HTML.

The list of sessions with the form that schedules one (for a hub or for countries, at a
day and time in a chosen timezone), and each session's page: its attendance per circle
and per country, and Cancel. The same services and scope as ``/v1/sessions``:
facilitators and union representatives are refused (403), a session outside a
coordinator's countries answers 404.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from api.deps import ClockDep, SessionDep
from api.params import SessionId
from api.web.dashboard import ViewerDep
from api.web.pages import WebError, page, redirect
from bot.flows import exchange_sessions as news
from circles.i18n import N_
from circles.models import RsvpResponse
from circles.services import exchange_sessions, hubs
from circles.services.broadcasts import Audience
from circles.settings import is_timezone

router = APIRouter(prefix="/dashboard/sessions", include_in_schema=False)

BAD_TIME = N_("Please give the session's day (YYYY-MM-DD), time (HH:MM) and a known timezone.")


def _start(day: str, at: str, timezone: str) -> datetime:
    if not is_timezone(timezone.strip()):
        raise WebError(422, BAD_TIME)
    try:
        local = datetime.combine(
            date.fromisoformat(day.strip()),
            time.fromisoformat(at.strip()),
            tzinfo=ZoneInfo(timezone.strip()),
        )
    except (ValueError, OverflowError):
        raise WebError(422, BAD_TIME) from None
    return local


@router.get("")
async def sessions_page(request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep):
    """Sessions soonest first, and the form that schedules one."""
    listed = await exchange_sessions.list_sessions(session, scope=viewer.scope)
    found_hubs = await hubs.list_hubs(session, scope=viewer.scope)
    return page(
        request,
        viewer.web,
        "dashboard_sessions.html",
        language=viewer.language,
        sessions=listed,
        hubs=found_hubs,
        now=clock.now(),
        done=request.query_params.get("done"),
    )


@router.post("")
async def create_session(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    csrf: Annotated[str, Form()] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    day: Annotated[str, Form(max_length=10)] = "",
    at: Annotated[str, Form(max_length=8)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "UTC",
    minutes: Annotated[int, Form(ge=15, le=720)] = 90,
    place: Annotated[str, Form(max_length=300)] = "",
    hub: Annotated[str, Form(max_length=12)] = "",
    countries: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Schedule a session; every invitee is told in the bot."""
    viewer.web.check_csrf(csrf)
    starts = _start(day, at, timezone)
    audience = Audience(
        countries=tuple(c.strip().upper() for c in countries.split(",") if c.strip()),
        hub_ids=(int(hub),) if hub.strip().isdigit() else (),
    )
    found = await exchange_sessions.create_session(
        session,
        scope=viewer.scope,
        title=title,
        audience=audience,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes),
        place=place.strip() or None,
        now=clock.now(),
    )
    await news.announce(session, found=found, kind="new", now=clock.now())
    return redirect(request, viewer.web, f"/dashboard/sessions/{found.id}?done=session-scheduled")


@router.get("/{session_id}")
async def session_page(
    request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep, session_id: SessionId
):
    """A session's attendance per circle and per country."""
    seen = await exchange_sessions.attendance(session, scope=viewer.scope, session_id=session_id)
    return page(
        request,
        viewer.web,
        "dashboard_session.html",
        language=viewer.language,
        seen=seen,
        answers=(RsvpResponse.yes, RsvpResponse.maybe, RsvpResponse.no),
        now=clock.now(),
        done=request.query_params.get("done"),
    )


@router.post("/{session_id}/cancel")
async def cancel_session(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    session_id: SessionId,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Call off a session that has not begun; invitees are told."""
    viewer.web.check_csrf(csrf)
    found = await exchange_sessions.cancel_session(
        session, scope=viewer.scope, session_id=session_id, now=clock.now()
    )
    await news.announce(session, found=found, kind="cancelled", now=clock.now())
    return redirect(request, viewer.web, f"/dashboard/sessions/{found.id}?done=session-cancelled")
