"""``/dashboard/channels``: the bots and numbers that serve each country and circle.

For coordinators and admins (the ``/v1/channel-accounts`` twin's scope): the extra
accounts with their links and the countries and circles in the viewer's scope they
serve, and a form that gives an account a country or a circle. Accounts themselves, with
their tokens, are added on the command line or through the API: no secret passes through
a web form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from api.deps import ClockDep, SessionDep
from api.params import MAX_ID
from api.web.dashboard import ViewerDep
from api.web.pages import WebError, page, redirect
from circles.i18n import N_
from circles.services import channels
from circles.services.circles import list_circles

router = APIRouter(prefix="/dashboard/channels", include_in_schema=False)

_NO_PLACE = N_("Choose a country or a circle.")


@router.get("")
async def overview(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """The accounts, where each serves, and the form to assign one."""
    found = await channels.list_accounts(session, scope=viewer.scope)
    circles = [c for c in await list_circles(session) if viewer.scope.covers(c)]
    names = {c.id: c.name for c in circles}
    return page(
        request,
        viewer.web,
        "dashboard_channels.html",
        language=viewer.language,
        accounts=[
            (
                listed,
                channels.chat_link(
                    listed.account.app,
                    listed.account.username or listed.account.phone_number or "",
                ),
                [names.get(c, str(c)) for c in listed.circle_ids],
            )
            for listed in found
        ],
        circles=circles,
        done=request.query_params.get("done"),
    )


@router.post("/assign")
async def assign(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    csrf: Annotated[str, Form()] = "",
    account: Annotated[str, Form(max_length=40)] = "",
    country: Annotated[str, Form(max_length=2)] = "",
    circle_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Let an account serve a country or a circle (in place of the one that did)."""
    viewer.web.check_csrf(csrf)
    digits = circle_id.strip()
    # An id beyond any circle's is one that does not exist (never an overflow).
    circle = min(int(digits), MAX_ID) if digits.isdigit() else None
    place = country.strip() or None
    if (circle is None) == (place is None):
        raise WebError(422, _NO_PLACE)
    await channels.assign(
        session,
        scope=viewer.scope,
        name=account,
        circle_id=circle,
        country=place,
        now=clock.now(),
    )
    return redirect(request, viewer.web, "/dashboard/channels?done=assigned")
