"""``/v1/hubs``: named groups of circles (regional or national) that coordinators manage.

Coordinators and admins only; a coordinator limited to some countries creates national
hubs of their countries and sees the hubs that reach them (:mod:`circles.services.hubs`).
The hub summary is ``GET /v1/hubs/{hub_id}/summary`` (:mod:`api.routers.summaries`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import ScopeDep
from api.deps import ClockDep, SessionDep
from api.params import BODY, READ, HubId
from api.schemas import NO_NUL, CountryCode, examples
from circles.models import HubKind
from circles.services import hubs
from circles.services.pagination import MAX_ID

router = APIRouter(prefix="/v1/hubs", tags=["hubs"])


class HubIn(BaseModel):
    """A hub to create: a unique name, its kind, a national hub's country."""

    model_config = examples(
        {"name": "West Africa hub", "kind": "regional"},
        {"name": "Ghana national hub", "kind": "national", "country": "GH"},
        extra="forbid",
    )

    name: str = Field(min_length=1, max_length=120, pattern=NO_NUL)
    kind: HubKind = HubKind.regional
    country: CountryCode | None = None


class HubCircleIn(BaseModel):
    """A circle to add to a hub."""

    model_config = examples({"circle_id": 3}, extra="forbid")

    circle_id: Annotated[int, Field(ge=1, le=MAX_ID)]


class HubOut(BaseModel):
    """A hub and the ids of its circles the token covers."""

    id: int
    name: str
    kind: HubKind
    country: str | None
    created_at: dt.datetime
    circle_ids: list[int]

    @classmethod
    def of(cls, row: hubs.HubRow) -> HubOut:
        hub = row.hub
        assert hub.id is not None
        return cls(
            id=hub.id,
            name=hub.name,
            kind=hub.kind,
            country=hub.country,
            created_at=hub.created_at,
            circle_ids=row.circle_ids,
        )


class HubListed(BaseModel):
    """A hub with how many of its circles the token covers."""

    id: int
    name: str
    kind: HubKind
    country: str | None
    circles: int


@router.get("", response_model=list[HubListed], responses=READ)
async def list_hubs(scope: ScopeDep, session: SessionDep) -> list[HubListed]:
    """Every hub the token sees, by name."""
    listed = await hubs.list_hubs(session, scope=scope)
    return [
        HubListed(id=h.id or 0, name=h.name, kind=h.kind, country=h.country, circles=n)
        for h, n in listed
    ]


@router.post("", response_model=HubOut, status_code=201, responses=BODY)
async def create_hub(body: HubIn, scope: ScopeDep, session: SessionDep, clock: ClockDep) -> HubOut:
    """Create a hub (a national one names its country)."""
    hub = await hubs.create_hub(
        session, scope=scope, name=body.name, kind=body.kind, country=body.country, now=clock.now()
    )
    return HubOut.of(await hubs.get_hub(session, scope=scope, hub_id=hub.id or 0))


@router.get("/{hub_id}", response_model=HubOut, responses=READ)
async def get_hub(hub_id: HubId, scope: ScopeDep, session: SessionDep) -> HubOut:
    """One hub with its circles."""
    return HubOut.of(await hubs.get_hub(session, scope=scope, hub_id=hub_id))


@router.post("/{hub_id}/circles", response_model=HubOut, responses=BODY)
async def add_circle(
    hub_id: HubId, body: HubCircleIn, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> HubOut:
    """Add a circle to a hub (adding it again changes nothing)."""
    row = await hubs.add_circle(
        session, scope=scope, hub_id=hub_id, circle_id=body.circle_id, now=clock.now()
    )
    return HubOut.of(row)
