"""``/dashboard/circles/{circle_id}/years/{year_id}``: a past school year, read-only.

The circle page lists the circle's years (the switcher); a closed year shows its summary
as it was frozen when it closed (:mod:`circles.services.years`), to the same readers as
``GET /v1/circles/{circle_id}/years/{year_id}``: the members' lines only to those who
read details.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import SessionDep
from api.params import CircleId, YearId
from api.web.dashboard import ViewerDep
from api.web.pages import page
from circles.models import YearStatus
from circles.services import summaries, years
from circles.services.access import Permission, circle_for

router = APIRouter(prefix="/dashboard/circles/{circle_id}/years", include_in_schema=False)


@router.get("/{year_id}")
async def year_page(
    request: Request, session: SessionDep, viewer: ViewerDep, circle_id: CircleId, year_id: YearId
) -> Response:
    """A closed year's frozen summary; the open year is the circle page itself."""
    circle = await circle_for(
        session, scope=viewer.scope, circle_id=circle_id, permission=Permission.read_summaries
    )
    year = await years.get_year(session, circle=circle, year_id=year_id)
    if year.status is YearStatus.open:
        return RedirectResponse(f"/dashboard/circles/{circle.id}", status_code=303)
    frozen = year.snapshot or {}
    details = viewer.scope.may(Permission.read_details)
    return page(
        request,
        viewer.web,
        "dashboard_year.html",
        language=viewer.language,
        circle=circle,
        year=year,
        years=await years.list_years(session, circle=circle),
        weeks=frozen.get("weeks", []),
        members=frozen.get("members", []) if details else [],
        practices=frozen.get("practices", []),
        phase_labels=summaries.PHASE_LABELS,
    )
