"""Summaries: a circle's week, a country's or a hub's week, everything's week, in the asked
language.

``Accept-Language`` picks the language of labels and the headline (``pt-BR`` → Brazilian
Portuguese where the catalog has the words, English otherwise); the response says
which in ``language`` and ``Content-Language``. The numbers and their definitions are
those of :mod:`circles.services.summaries`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Response

from api.auth import ScopeDep
from api.deps import ClockDep, LanguageDep, SessionDep
from api.params import READ, CircleId, Country, HubId, WeekParam, YearParam, week_or_none
from api.schemas import AreaSummaryOut, CircleSummaryOut
from circles.i18n import use_language
from circles.services import summaries, years

router = APIRouter(prefix="/v1", tags=["summaries"])
S = TypeVar("S")
T = TypeVar("T")


@dataclass(frozen=True)
class Reader:
    """Who reads a summary: the token's scope, this request's session and clock, a language."""

    scope: ScopeDep
    session: SessionDep
    clock: ClockDep
    language: LanguageDep
    response: Response

    @property
    def now(self) -> datetime:
        """The time of the request, by the app's clock."""
        return self.clock.now()

    def labelled(self, convert: Callable[[S], T], summary: S) -> T:
        """The summary labelled in the reader's language, which ``Content-Language`` names."""
        self.response.headers["Content-Language"] = self.language.replace("_", "-")
        with use_language(self.language):
            return convert(summary)


ReaderDep = Annotated[Reader, Depends()]


@router.get("/circles/{circle_id}/summary", response_model=CircleSummaryOut, responses=READ)
async def circle_summary(
    circle_id: CircleId, reader: ReaderDep, week: WeekParam = None, year: YearParam = None
) -> CircleSummaryOut:
    """A circle's week: response rate, who has not answered, phases, ratings, blockers.

    The default week is that of the circle's latest check-in; with ``year``, the last
    week of that school year (a week outside it is a 422).
    """
    chosen = week_or_none(week)
    if year is not None:
        _first, chosen = await years.weeks_to_read(
            reader.session,
            scope=reader.scope,
            circle_id=circle_id,
            year_id=year,
            now=reader.now,
            first=chosen,
            last=chosen,
        )
    summary = await summaries.circle_summary(
        reader.session, scope=reader.scope, circle_id=circle_id, now=reader.now, week=chosen
    )
    return reader.labelled(CircleSummaryOut.of, summary)


@router.get("/countries/{country}/summary", response_model=AreaSummaryOut, responses=READ)
async def country_summary(
    country: Country, reader: ReaderDep, week: WeekParam = None
) -> AreaSummaryOut:
    """A country's week, circle by circle (coordinators of the country, admins).

    The default week is the current one (by the UTC date).
    """
    summary = await summaries.country_summary(
        reader.session, scope=reader.scope, country=country, now=reader.now, week=week_or_none(week)
    )
    return reader.labelled(AreaSummaryOut.of, summary)


@router.get("/hubs/{hub_id}/summary", response_model=AreaSummaryOut, responses=READ)
async def hub_summary(hub_id: HubId, reader: ReaderDep, week: WeekParam = None) -> AreaSummaryOut:
    """A hub's week, circle by circle (its circles the token covers; coordinators, admins).

    The default week is the current one (by the UTC date).
    """
    summary = await summaries.hub_summary(
        reader.session, scope=reader.scope, hub_id=hub_id, now=reader.now, week=week_or_none(week)
    )
    return reader.labelled(AreaSummaryOut.of, summary)


@router.get("/summary", response_model=AreaSummaryOut, responses=READ)
async def overall_summary(reader: ReaderDep, week: WeekParam = None) -> AreaSummaryOut:
    """Every circle the token covers in one week, country by country (coordinators, admins)."""
    summary = await summaries.overall_summary(
        reader.session, scope=reader.scope, now=reader.now, week=week_or_none(week)
    )
    return reader.labelled(AreaSummaryOut.of, summary)
