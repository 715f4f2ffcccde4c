"""``/v1/circles/{circle_id}/questions``: the teachers' questions to their circle and the
answers, for the circle's facilitators."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import ScopeDep
from api.deps import SessionDep
from api.params import DEFAULT_PAGE, READ, CircleId, Cursor, Limit
from api.schemas import Page, PeerQuestionOut
from circles.services import peers

router = APIRouter(prefix="/v1/circles/{circle_id}/questions", tags=["questions"])


@router.get("", response_model=Page[PeerQuestionOut], responses=READ)
async def list_questions(
    circle_id: CircleId,
    scope: ScopeDep,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> Page[PeerQuestionOut]:
    """Questions newest first, each with its answers (``/ask`` in the bot).

    Only the circle's facilitator tokens read them (403 for coordinators, admins and union
    representatives; 404 for a circle outside the token's scope). A question asked without
    the teacher's name shows neither their name nor their id.
    """
    page = await peers.questions_for(
        session, scope=scope, circle_id=circle_id, cursor=cursor, limit=limit
    )
    return Page.of(page, PeerQuestionOut.of)
