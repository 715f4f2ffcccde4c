"""Circle meetings: scheduling, RSVPs, moving and cancelling, and who to remind."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import Conflict, InvalidAnswer, NotFound
from circles.i18n import N_
from circles.models import (
    Circle,
    GroupLink,
    Meeting,
    MeetingStatus,
    Membership,
    Person,
    Role,
    Rsvp,
    RsvpResponse,
)
from circles.services.audit import record_audit
from circles.services.scheduling import idle_circles, reachable

#: A meeting lasts this long unless told otherwise.
DEFAULT_LENGTH = timedelta(minutes=90)
#: Reflections are asked for within this long after a meeting ends.
REFLECTION_WINDOW = timedelta(days=2)
#: Meetings are planned at most this far ahead (which also keeps every reminder and end
#: time far from the year 9999, where datetime arithmetic overflows).
FURTHEST_AHEAD = timedelta(days=366)
TOO_FAR_AHEAD = N_("A meeting can be planned at most a year ahead.")


def meeting_start(day: date, at: time, timezone: str) -> datetime:
    """The UTC instant of ``day`` ``at`` in the circle's timezone.

    9999-12-31 23:00 west of Greenwich is in the year 10000, which ``datetime`` cannot
    hold: such a time is as late as can be, and :func:`schedule_meeting` and
    :func:`move_meeting` refuse it as too far ahead, whichever door it came through.
    """
    try:
        return datetime.combine(day, at, tzinfo=ZoneInfo(timezone)).astimezone(ZoneInfo("UTC"))
    except OverflowError:
        return datetime.max.replace(tzinfo=ZoneInfo("UTC"))


def _check_start(starts_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise InvalidAnswer(N_("The meeting must be in the future."))
    if starts_at > now + FURTHEST_AHEAD:
        raise InvalidAnswer(TOO_FAR_AHEAD)


def _check_text(*texts: str | None) -> None:
    # PostgreSQL text cannot hold NUL (SQLite can): refuse it at every door alike.
    if any(text is not None and "\x00" in text for text in texts):
        raise InvalidAnswer(N_("The place and the agenda cannot contain NUL characters."))


async def schedule_meeting(
    session: AsyncSession,
    *,
    circle: Circle,
    starts_at: datetime,
    place: str | None,
    agenda: str | None,
    created_by: Person | None,
    now: datetime,
    length: timedelta = DEFAULT_LENGTH,
    actor: str | None = None,
) -> Meeting:
    """Create a meeting in the coming year; online links and places share one field."""
    _check_start(starts_at, now)
    _check_text(place, agenda)
    url = place if place and place.startswith(("http://", "https://")) else None
    meeting = Meeting(
        circle_id=circle.id,
        starts_at=starts_at,
        ends_at=starts_at + length,
        place=None if url else place,
        online_url=url,
        agenda=agenda,
        created_by_id=created_by.id if created_by else None,
        created_at=now,
    )
    session.add(meeting)
    await session.flush()
    await _audit(
        session, meeting, action="meeting.schedule", actor=actor or _actor(created_by), now=now
    )
    return meeting


async def move_meeting(
    session: AsyncSession,
    *,
    meeting: Meeting,
    starts_at: datetime,
    by: Person | None,
    now: datetime,
    actor: str | None = None,
) -> Meeting:
    """Give a meeting a new time in the coming year; its RSVPs are asked again."""
    _check_start(starts_at, now)
    length = meeting.ends_at - meeting.starts_at
    meeting.starts_at, meeting.ends_at = starts_at, starts_at + length
    for rsvp in await session.scalars(select(Rsvp).where(Rsvp.meeting_id == meeting.id)):
        await session.delete(rsvp)
    await _audit(session, meeting, action="meeting.move", actor=actor or _actor(by), now=now)
    await session.flush()
    return meeting


async def cancel_meeting(
    session: AsyncSession,
    *,
    meeting: Meeting,
    by: Person | None,
    now: datetime,
    actor: str | None = None,
) -> None:
    """Call a meeting off."""
    meeting.status = MeetingStatus.cancelled
    await _audit(session, meeting, action="meeting.cancel", actor=actor or _actor(by), now=now)


def changeable(meeting: Meeting, now: datetime) -> Meeting:
    """``meeting``, if it may still be moved or cancelled: scheduled and not yet begun."""
    if meeting.status is not MeetingStatus.scheduled:
        raise Conflict(N_("This meeting is cancelled: it can no longer be changed."))
    if meeting.starts_at <= now:
        raise Conflict(N_("This meeting has begun: it can no longer be moved or cancelled."))
    return meeting


async def answer_invitation(
    session: AsyncSession, *, meeting_id: int, person: Person, response: RsvpResponse, now: datetime
) -> Meeting:
    """Record (or change) a member's answer to a meeting invitation."""
    meeting = await session.get(Meeting, meeting_id)
    member = meeting and await session.scalar(
        select(Membership.id).where(
            Membership.person_id == person.id, Membership.circle_id == meeting.circle_id
        )
    )
    if meeting is None or member is None:
        raise NotFound(N_("There is no such meeting."))
    if meeting.status is not MeetingStatus.scheduled or meeting.starts_at <= now:
        raise InvalidAnswer(N_("This meeting is no longer open for answers."))
    rsvp = await session.scalar(
        select(Rsvp).where(Rsvp.meeting_id == meeting.id, Rsvp.person_id == person.id)
    )
    if rsvp is None:
        rsvp = Rsvp(meeting_id=meeting.id, person_id=person.id, response=response)
        session.add(rsvp)
    rsvp.response, rsvp.responded_at = response, now
    await session.flush()
    return meeting


async def upcoming_meetings(
    session: AsyncSession, *, circle_id: int, now: datetime
) -> list[Meeting]:
    """Scheduled meetings that have not started, soonest first."""
    return list(
        await session.scalars(
            select(Meeting)
            .where(
                Meeting.circle_id == circle_id,
                Meeting.status == MeetingStatus.scheduled,
                Meeting.starts_at > now,
            )
            .order_by(Meeting.starts_at)
        )
    )


async def rsvp_counts(session: AsyncSession, *, meeting_id: int) -> dict[RsvpResponse, list[str]]:
    """Who answered what (names), for the facilitators."""
    people = await rsvp_people(session, meeting_id=meeting_id)
    return {response: [name for _id, name in found] for response, found in people.items()}


async def rsvp_people(
    session: AsyncSession, *, meeting_id: int
) -> dict[RsvpResponse, list[tuple[int, str]]]:
    """Who answered what (person ids and names), for the facilitators."""
    rows = await session.execute(
        select(Rsvp.response, Person.id, Person.display_name)
        .join(Person, Person.id == Rsvp.person_id)
        .where(Rsvp.meeting_id == meeting_id)
        .order_by(Person.display_name, Person.id)
    )
    found: dict[RsvpResponse, list[tuple[int, str]]] = {r: [] for r in RsvpResponse}
    for response, person_id, name in rows.all():
        found[response].append((person_id, name or "?"))
    return found


async def members_to_tell(session: AsyncSession, *, circle_id: int, now: datetime) -> list[Person]:
    """Everyone in the circle who can receive a message now."""
    return list(
        await session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.circle_id == circle_id, reachable(now))
            .order_by(Person.id)
        )
    )


def _starting(now: datetime, ahead: timedelta) -> tuple[ColumnElement[bool], ...]:
    """Scheduled meetings that start after ``now`` and within ``ahead``, of circles the
    scheduler works on (not between a closed school year and the next one's start: a
    meeting left over from a closed year is not announced)."""
    return (
        Meeting.status == MeetingStatus.scheduled,
        Meeting.starts_at > now,
        Meeting.starts_at <= now + ahead,
        not_(idle_circles(now.date())),
    )


async def due_reminders(
    session: AsyncSession, *, now: datetime, ahead: timedelta
) -> list[tuple[Meeting, Circle, Person]]:
    """Meetings starting within ``ahead``, with each member who did not say no."""
    said_no = select(Rsvp.person_id).where(
        Rsvp.meeting_id == Meeting.id, Rsvp.response == RsvpResponse.no
    )
    rows = await session.execute(
        select(Meeting, Circle, Person)
        .join(Circle, Circle.id == Meeting.circle_id)
        .join(Membership, Membership.circle_id == Circle.id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            *_starting(now, ahead),
            reachable(now),
            Person.id.not_in(said_no),
        )
    )
    return [(m, c, p) for m, c, p in rows.all()]


async def due_packs(
    session: AsyncSession, *, now: datetime, ahead: timedelta
) -> list[tuple[Meeting, Circle, Person]]:
    """Meetings starting within ``ahead``, with each facilitator of their circle."""
    rows = await session.execute(
        select(Meeting, Circle, Person)
        .join(Circle, Circle.id == Meeting.circle_id)
        .join(Membership, Membership.circle_id == Circle.id)
        .join(Person, Person.id == Membership.person_id)
        .where(*_starting(now, ahead), Membership.role == Role.facilitator, reachable(now))
        .order_by(Meeting.id, Person.id)
    )
    return [(m, c, p) for m, c, p in rows.all()]


async def meetings_starting(
    session: AsyncSession, *, now: datetime, ahead: timedelta
) -> list[tuple[Meeting, Circle, GroupLink]]:
    """Meetings starting within ``ahead``, with each group linked to the circle."""
    rows = await session.execute(
        select(Meeting, Circle, GroupLink)
        .join(Circle, Circle.id == Meeting.circle_id)
        .join(GroupLink, GroupLink.circle_id == Circle.id)
        .where(*_starting(now, ahead))
    )
    return [(m, c, g) for m, c, g in rows.all()]


async def due_reflections(session: AsyncSession, *, now: datetime) -> list[tuple[Meeting, Person]]:
    """Attendees (yes or maybe) of meetings that ended recently."""
    rows = await session.execute(
        select(Meeting, Person)
        .join(Rsvp, Rsvp.meeting_id == Meeting.id)
        .join(Person, Person.id == Rsvp.person_id)
        .where(
            Meeting.status == MeetingStatus.scheduled,
            Meeting.ends_at <= now,
            Meeting.ends_at > now - REFLECTION_WINDOW,
            Rsvp.response.in_([RsvpResponse.yes, RsvpResponse.maybe]),
            reachable(now),
        )
    )
    return [(m, p) for m, p in rows.all()]


def _actor(person: Person | None) -> str:
    return f"person:{person.id}" if person is not None else "system"


async def _audit(
    session: AsyncSession, meeting: Meeting, *, action: str, actor: str, now: datetime
) -> None:
    await record_audit(
        session, now=now, actor=actor, action=action, target_type="meeting", target_id=meeting.id
    )
