"""School holidays: ``/v1/circles/{circle_id}/holidays`` and ``/v1/countries/{country}/holidays``.

No check-in opens, and no reminder or digest goes, on a holiday date of the circle (its
own holidays and its country's). Facilitators set their circle's; coordinators set a
whole country's; union representatives read them.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from api.auth import ScopeDep
from api.deps import ClockDep, SessionDep
from api.params import BODY, READ, WRITE, CircleId, Country, HolidayId
from api.schemas import NO_NUL, Out, examples
from circles.models import Holiday
from circles.services import holidays
from circles.services.access import Permission, circle_for

router = APIRouter(prefix="/v1", tags=["holidays"])

#: Bounded so that no date can overflow.
_FIRST, _LAST = dt.date(2000, 1, 1), dt.date(2999, 12, 31)


class HolidayCreate(BaseModel):
    """A school holiday: its first and last day (local dates, both included) and a name."""

    model_config = examples(
        {"starts_on": "2026-12-21", "ends_on": "2027-01-03", "name": "Christmas holidays"},
        extra="forbid",
    )

    starts_on: dt.date = Field(ge=_FIRST, le=_LAST)
    ends_on: dt.date = Field(ge=_FIRST, le=_LAST)
    name: str | None = Field(default=None, max_length=120, pattern=NO_NUL)

    def dates(self) -> holidays.Dates:
        """As the service takes them."""
        return holidays.Dates(self.starts_on, self.ends_on, self.name)


class HolidayOut(Out):
    """A holiday of one circle, or of every circle of a country."""

    id: int
    applies_to: Literal["circle", "country"]
    circle_id: int | None
    country: str | None
    starts_on: dt.date
    ends_on: dt.date
    name: str | None

    @classmethod
    def of(cls, source: Holiday) -> HolidayOut:
        """From a stored holiday."""
        return cls.read(source, applies_to="circle" if source.circle_id is not None else "country")


@router.get("/circles/{circle_id}/holidays", response_model=list[HolidayOut], responses=READ)
async def list_holidays(
    circle_id: CircleId, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> list[HolidayOut]:
    """The circle's holidays and its country's: current and upcoming first, then past ones."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_summaries
    )
    found = await holidays.list_holidays(session, circle=circle, now=clock.now())
    return [HolidayOut.of(h) for h in found]


@router.post(
    "/circles/{circle_id}/holidays", response_model=HolidayOut, status_code=201, responses=BODY
)
async def add_holiday(
    circle_id: CircleId, body: HolidayCreate, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> HolidayOut:
    """Add a holiday to the circle; one that overlaps another of the circle is a 409."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.write_circle
    )
    holiday = await holidays.add_holiday(
        session, circle=circle, dates=body.dates(), actor=scope.actor, now=clock.now()
    )
    return HolidayOut.of(holiday)


@router.delete("/circles/{circle_id}/holidays/{holiday_id}", status_code=204, responses=WRITE)
async def remove_holiday(
    circle_id: CircleId,
    holiday_id: HolidayId,
    scope: ScopeDep,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """Remove one of the circle's own holidays (a country's is removed for the country)."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.write_circle
    )
    await holidays.remove_holiday(
        session, circle=circle, holiday_id=holiday_id, actor=scope.actor, now=clock.now()
    )
    return Response(status_code=204)


@router.get("/countries/{country}/holidays", response_model=list[HolidayOut], responses=READ)
async def list_country_holidays(
    country: Country, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> list[HolidayOut]:
    """A country's holidays (coordinators of the country, admins)."""
    found = await holidays.list_country_holidays(
        session, scope=scope, country=country, now=clock.now()
    )
    return [HolidayOut.of(h) for h in found]


@router.post(
    "/countries/{country}/holidays", response_model=HolidayOut, status_code=201, responses=BODY
)
async def add_country_holiday(
    country: Country, body: HolidayCreate, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> HolidayOut:
    """Add a holiday to every circle of the country (coordinators of the country, admins)."""
    holiday = await holidays.add_country_holiday(
        session, scope=scope, country=country, dates=body.dates(), now=clock.now()
    )
    return HolidayOut.of(holiday)


@router.delete("/countries/{country}/holidays/{holiday_id}", status_code=204, responses=WRITE)
async def remove_country_holiday(
    country: Country, holiday_id: HolidayId, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> Response:
    """Remove one of the country's holidays."""
    await holidays.remove_country_holiday(
        session, scope=scope, country=country, holiday_id=holiday_id, now=clock.now()
    )
    return Response(status_code=204)
