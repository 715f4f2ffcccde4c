"""``/v1/repository``: search and read published practices, and the printable booklet.

Every token reads what reaches its circles: its own circles' practices whatever their
share scope, practices shared with its countries, and practices shared with everyone
(admins and coordinators without a country list read all). The booklet is for every
role too, union representatives included: it holds published practices only, as the
authors chose to share them, and nothing a search would not show. It is sent as a
stream, a few at a time per server (:mod:`api.streaming`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.auth import ScopeDep
from api.deps import ClockDep, LanguageDep, SessionDep
from api.params import READ, PracticeId
from api.schemas import RepositoryPracticeOut, SearchOut
from api.streaming import stream_file
from circles.models import GradeBand, Strategy
from circles.services import booklet, repository
from circles.services.access import Permission
from circles.services.pagination import MAX_ID, MAX_LIMIT

router = APIRouter(prefix="/v1/repository", tags=["repository"])
_MEDIA = {
    booklet.BookletFormat.html: ("text/html; charset=utf-8", "html"),
    booklet.BookletFormat.markdown: ("text/markdown; charset=utf-8", "md"),
}


@router.get("", response_model=SearchOut, responses=READ)
async def search(
    scope: ScopeDep,
    session: SessionDep,
    q: Annotated[
        str,
        Query(
            max_length=repository.QUERY_LIMIT,
            pattern=r"^[^\x00]*$",
            description="Words; all must match",
        ),
    ] = "",
    strategy: Strategy | None = None,
    subject: Annotated[str | None, Query(max_length=120, pattern=r"^[^\x00]*$")] = None,
    grade_band: GradeBand | None = None,
    country: Annotated[str | None, Query(pattern="^[A-Za-z]{2}$")] = None,
    language: Annotated[str | None, Query(pattern="^[A-Za-z_]{2,8}$")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> SearchOut:
    """Published practices matching the words and filters, most relevant first."""
    scope.require(Permission.read_summaries)
    reader = await repository.reader_of_scope(session, scope)
    filters = repository.Filters(
        words=q,
        strategy=strategy,
        subject=subject,
        grade_band=grade_band,
        country=country,
        language=language,
    )
    results = await repository.search(
        session, reader=reader, filters=filters, offset=offset, limit=limit
    )
    return SearchOut(
        items=[RepositoryPracticeOut.of(f) for f in results.items],
        total=results.total,
        next_offset=results.next_offset,
    )


@router.get(
    "/booklet",
    responses={
        **READ,
        200: {"content": {"text/html": {}, "text/markdown": {}}, "description": "The booklet"},
        503: {"description": "Too many exports are being made at once; see Retry-After"},
    },
    response_class=Response,
)
async def get_booklet(
    request: Request,
    scope: ScopeDep,
    session: SessionDep,
    clock: ClockDep,
    language: LanguageDep,
    format: booklet.BookletFormat = booklet.BookletFormat.html,
    group: booklet.Grouping = booklet.Grouping.strategy,
) -> Response:
    """Every published practice the token may read, as a printable booklet with an index.

    Headings, labels and dates are in the ``Accept-Language`` language; each practice keeps
    the language it was written in. Sent as a stream; a few at a time per server (503 with
    ``Retry-After`` beyond).
    """
    scope.require(Permission.read_summaries)
    reader = await repository.reader_of_scope(session, scope)
    now = clock.now()
    media, extension = _MEDIA[format]
    return await stream_file(
        request,
        session,
        lambda reading: booklet.booklet_chunks(
            reading, reader=reader, grouping=group, fmt=format, now=now, language=language
        ),
        media_type=media,
        filename=f"practices.{extension}",
    )


@router.get("/{practice_id}", response_model=RepositoryPracticeOut, responses=READ)
async def get_published(
    practice_id: PracticeId, scope: ScopeDep, session: SessionDep
) -> RepositoryPracticeOut:
    """One published practice the token may read."""
    scope.require(Permission.read_summaries)
    reader = await repository.reader_of_scope(session, scope)
    return RepositoryPracticeOut.of(
        await repository.readable(session, reader=reader, practice_id=practice_id)
    )
