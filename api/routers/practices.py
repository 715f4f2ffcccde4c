"""``/v1/practices``: codified practices across the token's circles, and their review."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import ScopeDep
from api.deps import ClockDep, SessionDep
from api.params import BODY, DEFAULT_PAGE, READ, WRITE, Cursor, Limit, PracticeId
from api.schemas import (
    ChangesRequest,
    Page,
    PracticeEdit,
    PracticeOut,
    PracticeVersionOut,
    ReviewOut,
)
from circles.errors import InvalidAnswer
from circles.i18n import N_
from circles.models import PracticeStatus
from circles.services import repository, reviews
from circles.services.access import Permission
from circles.services.pagination import MAX_ID

router = APIRouter(prefix="/v1/practices", tags=["practices"])


@router.get("", response_model=Page[PracticeOut], responses=READ)
async def list_practices(
    scope: ScopeDep,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
    status: PracticeStatus | None = None,
    circle: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Page[PracticeOut]:
    """Practices of the token's circles, oldest first; ``status=in_review`` is the queue."""
    scope.require(Permission.read_details)
    page = await reviews.list_practices(
        session, scope=scope, cursor=cursor, limit=limit, status=status, circle_id=circle
    )
    return Page.of(page, PracticeOut.of)


@router.get("/{practice_id}", response_model=PracticeOut, responses=READ)
async def get_practice(
    practice_id: PracticeId, scope: ScopeDep, session: SessionDep
) -> PracticeOut:
    """One practice."""
    scope.require(Permission.read_details)
    return PracticeOut.of(await reviews.get_practice(session, scope=scope, practice_id=practice_id))


@router.post("/{practice_id}/approve", response_model=ReviewOut, responses=WRITE)
async def approve_practice(
    practice_id: PracticeId, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> ReviewOut:
    """Publish a practice awaiting review; its author is told in the bot."""
    reviewed = await reviews.approve_practice(
        session, scope=scope, practice_id=practice_id, now=clock.now()
    )
    return ReviewOut.of(reviewed)


@router.post("/{practice_id}/request-changes", response_model=ReviewOut, responses=BODY)
async def request_changes(
    practice_id: PracticeId,
    body: ChangesRequest,
    scope: ScopeDep,
    session: SessionDep,
    clock: ClockDep,
) -> ReviewOut:
    """Send a practice back with a comment; the author receives it in the bot."""
    reviewed = await reviews.request_changes(
        session, scope=scope, practice_id=practice_id, comment=body.comment, now=clock.now()
    )
    return ReviewOut.of(reviewed)


@router.patch("/{practice_id}", response_model=PracticeOut, responses=BODY)
async def edit_practice(
    practice_id: PracticeId,
    body: PracticeEdit,
    scope: ScopeDep,
    session: SessionDep,
    clock: ClockDep,
) -> PracticeOut:
    """Change a practice; if it was ever published, its old text stays as a version."""
    scope.require(Permission.write_circle)
    changes = body.changes()
    if not changes:
        raise InvalidAnswer(N_("The request changes nothing; send at least one field."))
    row = await reviews.edit_practice(
        session, scope=scope, practice_id=practice_id, changes=changes, now=clock.now()
    )
    return PracticeOut.of(row)


@router.get("/{practice_id}/versions", response_model=list[PracticeVersionOut], responses=READ)
async def list_versions(
    practice_id: PracticeId, scope: ScopeDep, session: SessionDep
) -> list[PracticeVersionOut]:
    """Every version of the practice, oldest first; the last is the current text."""
    scope.require(Permission.read_details)
    row = await reviews.get_practice(session, scope=scope, practice_id=practice_id)
    snapshots = await repository.versions(session, practice=row.practice)
    return [PracticeVersionOut.model_validate(s) for s in snapshots]


@router.post("/{practice_id}/archive", response_model=PracticeOut, responses=WRITE)
async def archive_practice(
    practice_id: PracticeId, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> PracticeOut:
    """Take a practice out of search, the digest and the booklet."""
    await repository.archive(session, scope=scope, practice_id=practice_id, now=clock.now())
    return PracticeOut.of(await reviews.get_practice(session, scope=scope, practice_id=practice_id))
