"""``/v1/circles/{circle_id}/requests`` and ``…/teachers/{person_id}/remind``: acting on what
the teachers asked, as the circle page does.

Help requests and "what got in the way" that nobody marked handled, newest first; a reply
goes to the teacher through the outbox in their language (the WhatsApp template outside
its window), framed with the name given; marking one handled takes it off the list. A
reminder is /nudge's, once a day per teacher. All for the circle's facilitators and for
coordinators and admins whose scope covers the circle; ids of another circle answer 404
like missing ones.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import ScopeDep
from api.deps import ClockDep, SessionDep
from api.params import BODY, READ, WRITE, AnswerId, CircleId, PersonId
from api.schemas import NO_NUL, RemindedOut, ReplyOut, RequestOut, examples
from bot.flows import nudge
from circles.services import followups, teachers
from circles.services.access import Permission, circle_for

router = APIRouter(prefix="/v1/circles/{circle_id}", tags=["circles"])


@router.get("/requests", response_model=list[RequestOut], responses=READ)
async def list_requests(circle_id: CircleId, scope: ScopeDep, session: SessionDep) -> list:
    """Open help requests and blockers, newest first (at most 30)."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_details
    )
    return [
        RequestOut.of(request)
        for request in await followups.open_requests(session, scope=scope, circle=circle)
    ]


class ReplyIn(BaseModel):
    """The reply and the name it is signed with ("Your facilitator {name} replied:")."""

    model_config = examples(
        {"text": "Let's plan it together on Thursday.", "name": "Grace"}, extra="forbid"
    )

    text: str = Field(max_length=4000, pattern=NO_NUL)
    name: str = Field(max_length=200, pattern=NO_NUL)


@router.post("/requests/{answer_id}/reply", response_model=ReplyOut, responses=BODY)
async def reply_to_request(
    circle_id: CircleId,
    answer_id: AnswerId,
    body: ReplyIn,
    scope: ScopeDep,
    session: SessionDep,
    clock: ClockDep,
) -> ReplyOut:
    """Send a reply to the teacher who wrote the request; ``queued`` is false when they
    cannot be reached (blocked the bot, or erased). Each call is one more message."""
    queued = await followups.reply(
        session,
        scope=scope,
        circle_id=circle_id,
        answer_id=answer_id,
        text=body.text,
        by=body.name,
        now=clock.now(),
    )
    return ReplyOut(queued=queued)


@router.post("/requests/{answer_id}/handled", response_model=RequestOut, responses=WRITE)
async def mark_request_handled(
    circle_id: CircleId, answer_id: AnswerId, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> RequestOut:
    """Take the request off the open list; marking it again changes nothing."""
    request = await followups.mark_handled(
        session, scope=scope, circle_id=circle_id, answer_id=answer_id, now=clock.now()
    )
    return RequestOut.of(request)


@router.post("/teachers/{person_id}/remind", response_model=RemindedOut, responses=WRITE)
async def remind_teacher(
    circle_id: CircleId, person_id: PersonId, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> RemindedOut:
    """Remind a teacher of this week's check-in with /nudge's message. ``result``: ``sent``;
    ``already`` (reminded today, by anyone); ``not_due`` (answered, skipped, paused or
    unreachable); ``holiday`` (the circle is on holiday)."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.write_circle
    )
    await teachers.teacher_of(session, circle=circle, person_id=person_id)
    reminded = await nudge.remind_teacher(
        session, circle=circle, scope=scope, person_id=person_id, by=None, now=clock.now()
    )
    return RemindedOut(result=reminded.value)
