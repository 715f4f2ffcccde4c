"""Circle meetings and who said they would come, as facilitators read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import NotFound
from circles.i18n import N_
from circles.models import Circle, Meeting, MeetingStatus, Person, Rsvp, RsvpResponse
from circles.services.access import Permission, Scope, circle_for
from circles.services.meetings import changeable
from circles.services.pagination import Page, keyset, page_of


@dataclass(frozen=True)
class MeetingRow:
    """A meeting and how many answered yes, no and maybe."""

    meeting: Meeting
    rsvps: dict[RsvpResponse, int]


@dataclass(frozen=True)
class RsvpRow:
    """One member's answer to a meeting invitation."""

    person_id: int
    name: str | None
    response: RsvpResponse
    responded_at: datetime


async def _counts(session: AsyncSession, ids: list[int]) -> dict[int, dict[RsvpResponse, int]]:
    counts = {mid: dict.fromkeys(RsvpResponse, 0) for mid in ids}
    if ids:
        rows = await session.execute(
            select(Rsvp.meeting_id, Rsvp.response, func.count())
            .where(Rsvp.meeting_id.in_(ids))
            .group_by(Rsvp.meeting_id, Rsvp.response)
        )
        for meeting_id, response, count in rows.all():
            counts[meeting_id][response] = count
    return counts


async def list_meetings(
    session: AsyncSession,
    *,
    circle: Circle,
    cursor: str | None,
    limit: int,
    status: MeetingStatus | None = None,
) -> Page[MeetingRow]:
    """The circle's meetings, newest first, with RSVP counts."""
    query = select(Meeting).where(Meeting.circle_id == circle.id)
    if status is not None:
        query = query.where(Meeting.status == status)
    meetings = (
        await session.scalars(
            keyset(query, Meeting.id, cursor=cursor, limit=limit, newest_first=True)
        )
    ).all()
    page = page_of(meetings, limit=limit, last_id=lambda m: m.id)
    counts = await _counts(session, [m.id for m in page.items])
    return Page([MeetingRow(m, counts[m.id]) for m in page.items], page.next_cursor)


async def get_meeting(
    session: AsyncSession, *, circle: Circle, meeting_id: int
) -> tuple[MeetingRow, list[RsvpRow]]:
    """One meeting of the circle with its RSVPs (people who used /forgetme are gone)."""
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None or meeting.circle_id != circle.id:
        raise NotFound(N_("This circle has no meeting with this id."))
    rows = await session.execute(
        select(Rsvp, Person.display_name)
        .join(Person, Person.id == Rsvp.person_id)
        .where(Rsvp.meeting_id == meeting.id)
        .order_by(Rsvp.id)
    )
    rsvps = [RsvpRow(r.person_id, name, r.response, r.responded_at) for r, name in rows.all()]
    counts = dict.fromkeys(RsvpResponse, 0)
    for rsvp in rsvps:
        counts[rsvp.response] += 1
    return MeetingRow(meeting, counts), rsvps


async def meeting_to_change(
    session: AsyncSession, *, scope: Scope, circle_id: int, meeting_id: int, now: datetime
) -> tuple[Circle, Meeting]:
    """A meeting of a circle ``scope`` may change, that has not begun nor been cancelled
    (the API's and the dashboard's move and cancel; other circles' ids answer 404)."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.write_circle
    )
    row, _rsvps = await get_meeting(session, circle=circle, meeting_id=meeting_id)
    return circle, changeable(row.meeting, now)


async def next_meeting(session: AsyncSession, *, circle: Circle, now: datetime) -> Meeting | None:
    """The circle's next scheduled meeting that has not ended."""
    return await session.scalar(
        select(Meeting)
        .where(
            Meeting.circle_id == circle.id,
            Meeting.status == MeetingStatus.scheduled,
            Meeting.ends_at > now,
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(1)
    )
