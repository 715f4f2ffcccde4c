"""``/v1/circles/{circle_id}/teachers/{person_id}``: one teacher's page, as the dashboard's."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import ScopeDep
from api.deps import SessionDep
from api.params import READ, CircleId, PersonId
from api.schemas import TeacherOut
from circles.services import teachers

router = APIRouter(prefix="/v1/circles/{circle_id}/teachers", tags=["circles"])


@router.get("/{person_id}", response_model=TeacherOut, responses=READ)
async def get_teacher(
    circle_id: CircleId, person_id: PersonId, scope: ScopeDep, session: SessionDep
) -> TeacherOut:
    """A teacher of the circle: the challenge, baseline and success evidence, the practice,
    every pilot week, the reflections the teacher lets this token read, and their practices
    with the review history.

    For the circle's facilitators and for coordinators and admins whose scope covers the
    circle; a person who is not a teacher of the circle answers 404.
    """
    page = await teachers.teacher_page(
        session, scope=scope, circle_id=circle_id, person_id=person_id
    )
    return TeacherOut.of(page)
