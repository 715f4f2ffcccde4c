"""``/v1/exports``: answers and weekly summaries as CSV or XLSX files, scoped like the rest.

Answers are teachers' own words: facilitators (their circle), coordinators (their
countries) and admins may pull them; union representatives read summaries only (403,
before any lookup). Answer exports are sent as a stream, a few at a time per server
(:mod:`api.streaming`); summaries are small (circles × weeks) and sent whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from api.auth import ScopeDep
from api.deps import ClockDep, SessionDep, SettingsDep
from api.params import WRITE, WeekParam, YearParam, week_or_none
from api.streaming import stream_file
from circles.services import exports, years
from circles.services.exports import MEDIA_TYPES, Export, ExportFormat
from circles.services.pagination import MAX_ID

router = APIRouter(prefix="/v1/exports", tags=["exports"])

CircleFilter = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="Only this circle (must be in scope)")
]
CountryFilter = Annotated[
    str | None, Query(pattern=r"^[A-Za-z]{2}$", description="Only circles of this country")
]
_FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment",
        "content": {
            MEDIA_TYPES[ExportFormat.csv].split(";")[0]: {"schema": {"type": "string"}},
            MEDIA_TYPES[ExportFormat.xlsx]: {"schema": {"type": "string", "format": "binary"}},
        },
    },
    503: {"description": "Too many exports are being made at once; see Retry-After"},
}


@dataclass(frozen=True)
class Selection:
    """Which file of which rows: the query parameters both exports take."""

    format: ExportFormat = ExportFormat.csv
    circle: CircleFilter = None
    country: CountryFilter = None
    from_week: WeekParam = None
    to_week: WeekParam = None
    year: YearParam = None

    async def arguments(
        self, session: SessionDep, scope: ScopeDep, now: datetime
    ) -> dict[str, Any]:
        """The export service's keywords for this selection (a 422 for weeks that do not
        exist); with ``year``, the weeks of that school year of ``circle``."""
        first, last = week_or_none(self.from_week), week_or_none(self.to_week)
        if self.year is not None:
            first, last = await years.weeks_to_read(
                session,
                scope=scope,
                circle_id=self.circle,
                year_id=self.year,
                now=now,
                first=first,
                last=last,
            )
        return {
            "fmt": self.format,
            "circle_id": self.circle,
            "country": self.country,
            "first": first,
            "last": last,
        }


@dataclass(frozen=True)
class Pseudonyms:
    """Whether an answer export names people or stable random ids, and keeps free text."""

    settings: SettingsDep
    pseudonymise: Annotated[
        bool, Query(description="Stable random ids instead of people; no names, no ids")
    ] = False
    include_text: Annotated[
        bool, Query(description="Keep free text (answers, captions) in a pseudonymised export")
    ] = False

    @property
    def key(self) -> bytes | None:
        """The server's pseudonym key, if it has one."""
        key = self.settings.pseudonym_key
        return key.get_secret_value().encode() if key else None


SelectionDep = Annotated[Selection, Depends()]
PseudonymsDep = Annotated[Pseudonyms, Depends()]


def _attachment(export: Export) -> Response:
    return Response(
        export.content,
        media_type=export.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "X-Row-Count": str(export.rows),
        },
    )


@router.get("/answers", response_class=Response, responses={**_FILES, **WRITE})
async def export_answers(
    request: Request,
    scope: ScopeDep,
    session: SessionDep,
    clock: ClockDep,
    selection: SelectionDep,
    pseudonyms: PseudonymsDep,
) -> Response:
    """Check-in answers, one row per answer (facilitators, coordinators, admins).

    Union representatives read summaries only (403). A pseudonymised export needs
    ``CIRCLES_PSEUDONYM_KEY`` on the server (409 without). Sent as a stream; a few at a
    time per server (503 with ``Retry-After`` beyond).
    """
    plan = await exports.plan_answers(
        session,
        scope=scope,
        now=clock.now(),
        **await selection.arguments(session, scope, clock.now()),
        pseudonymise=pseudonyms.pseudonymise,
        include_text=pseudonyms.include_text,
        pseudonym_key=pseudonyms.key,
    )
    return await stream_file(
        request,
        session,
        lambda reading: exports.answer_chunks(reading, plan),
        media_type=plan.media_type,
        filename=plan.filename,
        headers={"X-Row-Count": str(plan.rows)},
    )


@router.get("/summaries", response_class=Response, responses={**_FILES, **WRITE})
async def export_summaries(
    scope: ScopeDep, session: SessionDep, clock: ClockDep, selection: SelectionDep
) -> Response:
    """One row per circle and week (default: the last eight weeks), without names."""
    export = await exports.export_summaries(
        session,
        scope=scope,
        now=clock.now(),
        **await selection.arguments(session, scope, clock.now()),
    )
    return _attachment(export)
