"""Acting where one reads, on the circle page: reply to a help request or a blocker, mark
it handled, remind a teacher who has not answered.

Each is a POST form with the page's CSRF value, checked first, for viewers who may change
the circle (``write_circle``); ids of another circle answer 404 like missing ones. A reply
goes to the teacher through the outbox (:mod:`circles.services.followups`); a reminder is
/nudge's, with its once-a-day rule (:func:`bot.flows.nudge.remind_teacher`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from api.deps import ClockDep, SessionDep
from api.params import AnswerId, CircleId, PersonId
from api.web.dashboard import ViewerDep
from api.web.pages import redirect
from bot.flows import nudge
from circles.services import followups, teachers
from circles.services.access import Permission, circle_for

router = APIRouter(prefix="/dashboard/circles/{circle_id}", include_in_schema=False)


@router.post("/requests/{answer_id}/reply")
async def reply(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    circle_id: CircleId,
    answer_id: AnswerId,
    csrf: Annotated[str, Form()] = "",
    text: Annotated[str, Form(max_length=4000)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Send the facilitator's words to the teacher who wrote the request."""
    viewer.web.check_csrf(csrf)
    sent = await followups.reply(
        session,
        scope=viewer.scope,
        circle_id=circle_id,
        answer_id=answer_id,
        text=text,
        by=name,
        now=clock.now(),
    )
    done = "replied" if sent else "unreachable"
    return redirect(request, viewer.web, f"/dashboard/circles/{circle_id}?done={done}#requests")


@router.post("/requests/{answer_id}/handled")
async def mark_handled(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    circle_id: CircleId,
    answer_id: AnswerId,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Take the request off the circle's open list."""
    viewer.web.check_csrf(csrf)
    await followups.mark_handled(
        session, scope=viewer.scope, circle_id=circle_id, answer_id=answer_id, now=clock.now()
    )
    return redirect(request, viewer.web, f"/dashboard/circles/{circle_id}?done=handled#requests")


@router.post("/teachers/{person_id}/remind")
async def remind(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    circle_id: CircleId,
    person_id: PersonId,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Remind one teacher of this week's check-in, at most once a day (as /nudge)."""
    viewer.web.check_csrf(csrf)
    circle = await circle_for(
        session, scope=viewer.scope, circle_id=circle_id, permission=Permission.write_circle
    )
    await teachers.teacher_of(session, circle=circle, person_id=person_id)
    reminded = await nudge.remind_teacher(
        session,
        circle=circle,
        scope=viewer.scope,
        person_id=person_id,
        by=viewer.name,
        now=clock.now(),
    )
    return redirect(
        request, viewer.web, f"/dashboard/circles/{circle_id}?done=remind-{reminded}#pending"
    )
