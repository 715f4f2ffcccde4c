"""``/v1/circles/{circle_id}/meetings``: circle meetings and RSVPs."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import ScopeDep
from api.deps import ClockDep, SessionDep
from api.params import BODY, DEFAULT_PAGE, READ, CircleId, Cursor, Limit, MeetingId
from api.schemas import NO_NUL, MeetingDetail, MeetingOut, MessageCounts, Page, RsvpOut, examples
from bot.flows import announcements
from circles.models import MeetingStatus
from circles.services import attendance, meetings
from circles.services.access import Permission, circle_for

router = APIRouter(prefix="/v1/circles/{circle_id}/meetings", tags=["meetings"])


@router.get("", response_model=Page[MeetingOut], responses=READ)
async def list_meetings(
    circle_id: CircleId,
    scope: ScopeDep,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
    status: MeetingStatus | None = None,
) -> Page[MeetingOut]:
    """Meetings newest first with how many said yes, no and maybe."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_details
    )
    page = await attendance.list_meetings(
        session, circle=circle, cursor=cursor, limit=limit, status=status
    )
    return Page.of(page, MeetingOut.of)


class MeetingCreate(BaseModel):
    """A meeting to schedule; the time is the circle's local time."""

    model_config = examples(
        {
            "date": "2026-10-15",
            "time": "16:30",
            "place": "https://meet.example.org/accra-1",
            "agenda": "Share one piece of student work each",
            "minutes": 90,
        },
        extra="forbid",
    )

    #: Bounded so that no date can overflow; the service allows only the coming year.
    date: dt.date = Field(ge=dt.date(2000, 1, 1), le=dt.date(2999, 12, 31))
    time: dt.time
    place: str | None = Field(default=None, max_length=300, pattern=NO_NUL)
    agenda: str | None = Field(default=None, max_length=2000, pattern=NO_NUL)
    minutes: int = Field(default=90, ge=15, le=480)


@router.post("", response_model=MeetingOut, status_code=201, responses=BODY)
async def schedule_meeting(
    circle_id: CircleId,
    body: MeetingCreate,
    scope: ScopeDep,
    session: SessionDep,
    clock: ClockDep,
) -> MeetingOut:
    """Schedule a meeting; every member is invited in the bot (and the linked group)."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.write_circle
    )
    meeting = await meetings.schedule_meeting(
        session,
        circle=circle,
        starts_at=meetings.meeting_start(body.date, body.time, circle.timezone),
        place=body.place,
        agenda=body.agenda,
        created_by=None,
        now=clock.now(),
        length=dt.timedelta(minutes=body.minutes),
        actor=scope.actor,
    )
    await announcements.announce(
        session, meeting=meeting, circle=circle, kind="new", now=clock.now()
    )
    row, _rsvps = await attendance.get_meeting(session, circle=circle, meeting_id=meeting.id)
    return MeetingOut.of(row)


@router.get("/{meeting_id}", response_model=MeetingDetail, responses=READ)
async def get_meeting(
    circle_id: CircleId, meeting_id: MeetingId, scope: ScopeDep, session: SessionDep
) -> MeetingDetail:
    """One meeting with every member's RSVP."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_details
    )
    row, rsvps = await attendance.get_meeting(session, circle=circle, meeting_id=meeting_id)
    reminders = await announcements.reminder_counts(session, meeting_id=meeting_id)
    return MeetingDetail(
        **MeetingOut.of(row).model_dump(),
        responses=[RsvpOut.of(r) for r in rsvps],
        reminders=MessageCounts(**reminders),
    )


class MeetingMove(BaseModel):
    """A meeting's new day and time, in the circle's local time; its length stays."""

    model_config = examples({"date": "2026-10-22", "time": "16:30"}, extra="forbid")

    date: dt.date = Field(ge=dt.date(2000, 1, 1), le=dt.date(2999, 12, 31))
    time: dt.time


@router.patch("/{meeting_id}", response_model=MeetingOut, responses=BODY)
async def move_meeting(
    circle_id: CircleId,
    meeting_id: MeetingId,
    body: MeetingMove,
    scope: ScopeDep,
    session: SessionDep,
    clock: ClockDep,
) -> MeetingOut:
    """Move a meeting that has not begun; members are told and asked again if they come."""
    circle, meeting = await attendance.meeting_to_change(
        session, scope=scope, circle_id=circle_id, meeting_id=meeting_id, now=clock.now()
    )
    await meetings.move_meeting(
        session,
        meeting=meeting,
        starts_at=meetings.meeting_start(body.date, body.time, circle.timezone),
        by=None,
        now=clock.now(),
        actor=scope.actor,
    )
    await announcements.announce(
        session, meeting=meeting, circle=circle, kind="moved", now=clock.now()
    )
    row, _rsvps = await attendance.get_meeting(session, circle=circle, meeting_id=meeting.id)
    return MeetingOut.of(row)


@router.post("/{meeting_id}/cancel", response_model=MeetingOut, responses=BODY)
async def cancel_meeting(
    circle_id: CircleId,
    meeting_id: MeetingId,
    scope: ScopeDep,
    session: SessionDep,
    clock: ClockDep,
) -> MeetingOut:
    """Call off a meeting that has not begun; members are told."""
    circle, meeting = await attendance.meeting_to_change(
        session, scope=scope, circle_id=circle_id, meeting_id=meeting_id, now=clock.now()
    )
    await meetings.cancel_meeting(
        session, meeting=meeting, by=None, now=clock.now(), actor=scope.actor
    )
    await announcements.announce(
        session, meeting=meeting, circle=circle, kind="cancelled", now=clock.now()
    )
    row, _rsvps = await attendance.get_meeting(session, circle=circle, meeting_id=meeting.id)
    return MeetingOut.of(row)
