"""Distributed leadership: invite a teacher who codified a practice to co-facilitate
(``POST /v1/circles/{circle_id}/teachers/{person_id}/co-facilitation``), and read the
facilitators' monthly check-ins (``GET /v1/facilitator-checkins``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.auth import ScopeDep
from api.deps import ClockDep, SessionDep
from api.params import BODY, DEFAULT_PAGE, READ, CircleId, Cursor, Limit, PersonId
from api.schemas import Out, Page, examples
from circles.models import CoFacilitation, CoFacilitationStatus
from circles.services import facilitator_checkins, leadership
from circles.services.pagination import MAX_ID

router = APIRouter(prefix="/v1", tags=["leadership"])


class CoFacilitationCreate(BaseModel):
    """Which circle to co-facilitate: the teacher's own (default) or another one."""

    model_config = examples({"circle_id": 4}, {}, extra="forbid")

    circle_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The circle to co-facilitate; default: theirs."
    )


class CoFacilitationOut(Out):
    """An invitation to co-facilitate a circle."""

    model_config = examples(
        {
            "id": 3,
            "person_id": 12,
            "circle_id": 1,
            "from_circle_id": 1,
            "invited_by": "token:2",
            "status": "pending",
            "created_at": "2026-12-07T10:00:00Z",
            "expires_at": "2027-01-06T10:00:00Z",
            "answered_at": None,
        }
    )

    id: int
    person_id: int
    circle_id: int
    from_circle_id: int
    invited_by: str
    status: CoFacilitationStatus
    created_at: datetime
    expires_at: datetime
    answered_at: datetime | None

    @classmethod
    def of(cls, invitation: CoFacilitation) -> CoFacilitationOut:
        """From the stored invitation."""
        return cls.read(invitation)


class FacilitatorCheckInOut(Out):
    """A facilitator's answered monthly check-in."""

    model_config = examples(
        {
            "id": 9,
            "person_id": 7,
            "name": "Ama Mensah",
            "circle_id": 1,
            "circle": "Accra North",
            "country": "GH",
            "month": "2026-12-01",
            "answered_at": "2026-12-08T17:10:00Z",
            "went_well": "Every teacher brought student work to the meeting.",
            "support": "Ideas for teachers who fall behind with their check-ins.",
            "rating": 4,
        }
    )

    id: int
    person_id: int
    name: str | None
    circle_id: int
    circle: str
    country: str
    month: date
    answered_at: datetime
    went_well: str | None
    support: str | None
    rating: int | None

    @classmethod
    def of(cls, row: facilitator_checkins.Row) -> FacilitatorCheckInOut:
        """From the service's row."""
        return cls.read(
            row.checkin, name=row.name, circle=row.circle.name, country=row.circle.country
        )


@router.post(
    "/circles/{circle_id}/teachers/{person_id}/co-facilitation",
    response_model=CoFacilitationOut,
    status_code=201,
    responses=BODY,
)
async def invite_to_cofacilitate(
    circle_id: CircleId,
    person_id: PersonId,
    scope: ScopeDep,
    session: SessionDep,
    clock: ClockDep,
    body: CoFacilitationCreate | None = None,
) -> CoFacilitationOut:
    """Invite a teacher of the circle whose inquiry reached codify to co-facilitate it (or
    another circle the token may change); they answer with Accept / Decline in the bot.

    For the circle's facilitators, coordinators and admins in scope (404 outside it, 403
    for union representatives); 409 for a teacher without a codified practice, one already
    invited, or one who already facilitates that circle. Accepted, the role changes at once.
    """
    invitation = await leadership.invite(
        session,
        scope=scope,
        circle_id=circle_id,
        person_id=person_id,
        to_circle_id=body.circle_id if body is not None else None,
        now=clock.now(),
    )
    return CoFacilitationOut.of(invitation)


@router.get("/facilitator-checkins", response_model=Page[FacilitatorCheckInOut], responses=READ)
async def list_facilitator_checkins(
    scope: ScopeDep,
    session: SessionDep,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    circle_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> Page[FacilitatorCheckInOut]:
    """Facilitators' answered monthly check-ins, newest first: what went well, what support
    they need, a 1–5 rating.

    Coordinators read those of the circles in their scope, admins all; a facilitator's
    token reads only its holder's own; union representatives get 403.
    """
    page = await facilitator_checkins.listed(
        session, scope=scope, country=country, circle_id=circle_id, cursor=cursor, limit=limit
    )
    return Page.of(page, FacilitatorCheckInOut.of)
