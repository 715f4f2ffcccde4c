"""``/dashboard/circles/{circle_id}/teachers/{person_id}``: one teacher's page, and its photos.

The page shows what :func:`circles.services.teachers.teacher_page` assembles, for the same
readers as its ``/v1`` twin; a teacher outside the viewer's scope answers 404 like one that
does not exist. Photos kept in the media store (``CIRCLES_MEDIA_DIR``) are shown at
:func:`api.web.pages.teacher_photo`'s address and served by :func:`photo`, which checks,
like the page, that the viewer may read this teacher and that the photo is one of this
teacher's; photos Telegram holds are named, never fetched.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from api.deps import SessionDep, SettingsDep
from api.params import CircleId, PersonId
from api.web.dashboard import ViewerDep
from api.web.pages import WebError, page
from circles.i18n import N_
from circles.models import PracticeStatus, Visibility
from circles.services import leadership, media, summaries, teachers
from circles.services.access import Permission

router = APIRouter(prefix="/dashboard/circles/{circle_id}/teachers", include_in_schema=False)

#: A kept photo's name in its URL: the store's key and ending (see :mod:`media`).
PhotoName = Annotated[str, Path(pattern=r"^[0-9a-f]{40}\.(jpg|png|webp)$", max_length=45)]

VISIBILITY_LABELS = {
    Visibility.facilitators: N_("for the facilitators"),
    Visibility.circle: N_("for the whole circle"),
    Visibility.only_me: N_("only for the author"),
}
HISTORY_LABELS = {
    "practice.submit": N_("sent for review"),
    "practice.approve": N_("approved and published"),
    "practice.request_changes": N_("changes requested"),
    "practice.revise": N_("revised and sent again"),
    "practice.archive": N_("archived"),
}
#: The same words as /mypractices uses.
PRACTICE_STATUS_LABELS = {
    PracticeStatus.draft: N_("Draft"),
    PracticeStatus.in_review: N_("Waiting for review"),
    PracticeStatus.changes_requested: N_("Changes requested"),
    PracticeStatus.published: N_("Published"),
    PracticeStatus.archived: N_("Archived"),
}


@router.get("/{person_id}")
async def teacher(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    circle_id: CircleId,
    person_id: PersonId,
) -> Response:
    """Everything the viewer may read about one teacher of the circle."""
    found = await teachers.teacher_page(
        session, scope=viewer.scope, circle_id=circle_id, person_id=person_id
    )
    may_invite = viewer.scope.may(Permission.write_circle) and await leadership.may_be_invited(
        session, person_id=person_id, circle_id=circle_id
    )
    return page(
        request,
        viewer.web,
        "dashboard_teacher.html",
        language=viewer.language,
        teacher=found,
        circle=found.circle,
        joined_on=found.joined_at.astimezone(ZoneInfo(found.circle.timezone)).date(),
        phase_labels=summaries.PHASE_LABELS,
        status_labels=summaries.STATUS_LABELS,
        tried_labels=summaries.TRIED_LABELS,
        strategy_labels=summaries.STRATEGY_LABELS,
        visibility_labels=VISIBILITY_LABELS,
        history_labels=HISTORY_LABELS,
        practice_status_labels=PRACTICE_STATUS_LABELS,
        may_invite=may_invite,
        done=request.query_params.get("done"),
    )


@router.get("/{person_id}/photos/{name}")
async def photo(
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    circle_id: CircleId,
    person_id: PersonId,
    name: PhotoName,
) -> Response:
    """A kept photo of this teacher, for a viewer who may read the teacher's page."""
    file_id = await teachers.photo_of_teacher(
        session,
        scope=viewer.scope,
        circle_id=circle_id,
        person_id=person_id,
        file_id=media.PREFIX + name,
    )
    content = media.read(settings.media_dir, file_id)
    if content is None:
        raise WebError(404, teachers.PHOTO_NOT_FOUND)
    return Response(
        content,
        media_type=media.content_type_of(file_id),
        headers={"Cache-Control": "no-store"},
    )
