"""School years: ``/v1/circles/{circle_id}/years``.

Everyone who reads the circle's summaries lists its years and reads a closed year's frozen
summary (its members' lines only with the right to read details: not union
representatives). Coordinators and admins close the open year and open the next one.
Closing a year that is not open, opening one while another is open, or a new year that
does not start after the last one are 409 problems; dates in the wrong order, 422.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import ScopeDep
from api.deps import ClockDep, SessionDep
from api.params import BODY, READ, WRITE, CircleId, YearId
from api.routers.holidays import HolidayCreate
from api.schemas import NO_NUL, Out, examples
from bot.flows import years as year_flows
from circles.models import Role, SchoolYear, YearStatus
from circles.services import years
from circles.services.access import Permission, circle_for
from circles.services.pagination import MAX_ID

router = APIRouter(prefix="/v1/circles/{circle_id}/years", tags=["years"])

_FIRST, _LAST = dt.date(2000, 1, 1), dt.date(2999, 12, 31)


class YearOut(Out):
    """One school year of a circle."""

    id: int
    circle_id: int
    label: str
    starts_on: dt.date
    ends_on: dt.date
    status: YearStatus
    opened_at: dt.datetime
    closed_at: dt.datetime | None


class YearDetail(YearOut):
    """A school year with its summary frozen when it closed (None while it is open)."""

    summary: dict[str, Any] | None

    @classmethod
    def shown(cls, year: SchoolYear, *, details: bool) -> YearDetail:
        """The year; without the members' lines for a reader of summaries only."""
        summary = year.snapshot
        if summary is not None and not details:
            summary = {k: v for k, v in summary.items() if k != "members"}
        return cls.read(year, summary=summary)


class InviteWanted(BaseModel):
    """A new invite for the year: the role it admits and how many people may use it."""

    model_config = {"extra": "forbid"}

    role: Role
    max_uses: int = Field(default=10, ge=1, le=1000)


class MeetingWanted(BaseModel):
    """A meeting of the new year, in the circle's local time."""

    model_config = {"extra": "forbid"}

    date: dt.date = Field(ge=_FIRST, le=_LAST)
    time: dt.time
    place: str | None = Field(default=None, max_length=300, pattern=NO_NUL)


class YearOpen(BaseModel):
    """The next school year: its label and dates, who continues, its calendar."""

    model_config = examples(
        {
            "label": "2027–28",
            "starts_on": "2027-09-01",
            "ends_on": "2028-07-15",
            "keep": "all",
            "checkin_weekday": 2,
            "checkin_time": "15:30",
            "holidays": [{"starts_on": "2027-12-20", "ends_on": "2028-01-07", "name": "Winter"}],
            "meetings": [{"date": "2027-09-15", "time": "16:00", "place": "Staff room"}],
            "invites": [{"role": "teacher", "max_uses": 5}],
        },
        extra="forbid",
    )

    label: str = Field(min_length=1, max_length=20, pattern=NO_NUL)
    starts_on: dt.date = Field(ge=_FIRST, le=_LAST)
    ends_on: dt.date = Field(ge=_FIRST, le=_LAST)
    #: "all", "none", or the person ids of the members who continue.
    keep: Literal["all", "none"] | list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default="all", max_length=1000
    )
    checkin_weekday: int | None = Field(default=None, ge=0, le=6)
    checkin_time: dt.time | None = None
    holidays: list[HolidayCreate] = Field(default_factory=list, max_length=50)
    meetings: list[MeetingWanted] = Field(default_factory=list, max_length=50)
    invites: list[InviteWanted] = Field(default_factory=list, max_length=10)

    def kept(self) -> list[int] | None:
        """The continuing members' ids (None: everyone)."""
        if self.keep == "all":
            return None
        return [] if self.keep == "none" else list(self.keep)


class YearOpened(YearOut):
    """The new year, how many members continue and whose membership ended, its invites."""

    continuing_teachers: int
    ended: list[int]
    invite_codes: list[str]


@router.get("", response_model=list[YearOut], responses=READ)
async def list_years(circle_id: CircleId, scope: ScopeDep, session: SessionDep) -> list[YearOut]:
    """The circle's school years, newest first."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_summaries
    )
    return [YearOut.of(y) for y in await years.list_years(session, circle=circle)]


@router.get("/{year_id}", response_model=YearDetail, responses=READ)
async def get_year(
    circle_id: CircleId, year_id: YearId, scope: ScopeDep, session: SessionDep
) -> YearDetail:
    """One year; a closed one with its summary as it was when it closed."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_summaries
    )
    year = await years.get_year(session, circle=circle, year_id=year_id)
    return YearDetail.shown(year, details=scope.may(Permission.read_details))


@router.post("/close", response_model=YearDetail, responses=WRITE)
async def close_year(
    circle_id: CircleId, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> YearDetail:
    """Close the open year: check-ins end (answers kept), invites are revoked, the summary
    is frozen, the scheduler leaves the circle alone until the next year opens."""
    years.require_changes(scope)
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_summaries
    )
    done = await year_flows.close(session, circle=circle, actor=scope.actor, now=clock.now())
    return YearDetail.shown(done.year, details=True)


@router.post("", response_model=YearOpened, status_code=201, responses=BODY)
async def open_year(
    circle_id: CircleId, body: YearOpen, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> YearOpened:
    """Open the next year: continuing members, calendar, holidays, meetings, new invites."""
    years.require_changes(scope)
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_summaries
    )
    opened = await year_flows.open_next(
        session,
        circle=circle,
        label=body.label,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        actor=scope.actor,
        now=clock.now(),
        keep=body.kept(),
        calendar=years.Calendar(body.checkin_weekday, body.checkin_time),
        days_off=[h.dates() for h in body.holidays],
        invites=[(i.role, i.max_uses) for i in body.invites],
        gatherings=[year_flows.Gathering(m.date, m.time, m.place) for m in body.meetings],
    )
    return YearOpened.read(
        opened.year,
        continuing_teachers=len(opened.continuing),
        ended=opened.ended,
        invite_codes=[i.code for i in opened.invites],
    )
