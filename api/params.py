"""Path and query parameters shared by the ``/v1`` routes, and their documented errors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query

from api.schemas import Problem
from circles.services.pagination import DEFAULT_LIMIT, MAX_ID, MAX_LIMIT
from circles.services.weeks import WEEK_PATTERN, Week, parse_week

CircleId = Annotated[int, Path(ge=1, le=MAX_ID, description="A circle's id", examples=[1])]
AnswerId = Annotated[int, Path(ge=1, le=MAX_ID, description="An answer's id")]
BroadcastId = Annotated[int, Path(ge=1, le=MAX_ID, description="A broadcast's id")]
CheckInId = Annotated[int, Path(ge=1, le=MAX_ID, description="A check-in's id")]
HolidayId = Annotated[int, Path(ge=1, le=MAX_ID, description="A holiday's id")]
HubId = Annotated[int, Path(ge=1, le=MAX_ID, description="A hub's id")]
InviteId = Annotated[int, Path(ge=1, le=MAX_ID, description="An invite's id")]
MeetingId = Annotated[int, Path(ge=1, le=MAX_ID, description="A meeting's id")]
PersonId = Annotated[int, Path(ge=1, le=MAX_ID, description="A person's id")]
PracticeId = Annotated[int, Path(ge=1, le=MAX_ID, description="A practice's id")]
SessionId = Annotated[int, Path(ge=1, le=MAX_ID, description="An exchange session's id")]
YearId = Annotated[int, Path(ge=1, le=MAX_ID, description="A school year's id")]
TokenId = Annotated[int, Path(ge=1, le=MAX_ID, description="A token's id")]
Country = Annotated[
    str, Path(pattern=r"^[A-Za-z]{2}$", description="ISO 3166 country code", examples=["GH"])
]
Cursor = Annotated[
    str | None,
    Query(
        max_length=200,
        description="The next_cursor of the previous page; leave out for the first page",
    ),
]
Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}", examples=[20])
]
DEFAULT_PAGE = DEFAULT_LIMIT
WeekParam = Annotated[
    str | None,
    Query(
        pattern=WEEK_PATTERN,
        description="An ISO week such as 2026-W37 (Monday to Sunday in the circle's timezone)",
        examples=["2026-W37"],
    ),
]
YearParam = Annotated[
    int | None,
    Query(ge=1, le=MAX_ID, description="A school year's id: read that year of the circle"),
]
PersonFilter = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="Only this member (their person id)")
]


def week_or_none(text: str | None) -> Week | None:
    """Parse an optional week parameter (a 422 problem for weeks that do not exist)."""
    return parse_week(text) if text is not None else None


_DESCRIPTIONS = {
    400: "The request is malformed",
    401: "No API token, or an unknown, revoked or expired one",
    403: "The token's role may not do this",
    404: "Not found, or not within the token's circles (the two look the same)",
    409: "The request clashes with the current state",
    422: "A parameter or the body is not valid",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Document problem responses (``application/problem+json``) for ``codes``."""
    return {code: {"model": Problem, "description": _DESCRIPTIONS[code]} for code in codes}


READ = problems(401, 403, 404, 422)
WRITE = problems(401, 403, 404, 409, 422)
#: For routes with a JSON body: a body that is not even JSON text is a 400.
BODY = problems(400, 401, 403, 404, 409, 422)
