"""Meeting announcements, reminders and reflection invitations, through the outbox.

Every message has an idempotency key (meeting, kind) per chat, so running a sweep again,
or two schedulers at once, never sends one twice. Each is queued as an event with the
meeting's time in the reader's timezone, and rendered in their language when it is sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import queued
from bot.flows.buttons import Reflect, Rsvp
from bot.flows.events import Button, Rows, Say
from circles.i18n import N_
from circles.models import Circle, GroupLink, Meeting, Outbox, OutboxPriority, RsvpResponse
from circles.services import groups, meetings
from circles.services.outbox import enqueue, message_counts
from circles.services.schedule import sendable_from
from circles.text import Part, Text, lines, t, when

_NEW = N_("New circle meeting: {when}.")
_MOVED = N_("The circle meeting has moved to {when}.")
_CANCELLED = N_("The circle meeting on {when} is cancelled.")
_REMIND_DAY = N_("Reminder: circle meeting tomorrow, {when}.")
_REMIND_HOUR = N_("Reminder: the circle meeting starts in one hour, {when}.")
_REFLECT = N_(
    "Thank you for taking part in the circle meeting. A short reflection: four "
    "questions, about three minutes."
)
#: Each reminder: how long before the start it is due, and until when it still makes sense.
REMINDERS = {
    "24h": (timedelta(hours=24), timedelta(hours=1), _REMIND_DAY),
    "1h": (timedelta(hours=1), timedelta(0), _REMIND_HOUR),
}


def _details(meeting: Meeting) -> list[Part]:
    details: list[Part] = []
    if meeting.online_url:
        details.append(t("Online: {link}", link=meeting.online_url))
    elif meeting.place:
        details.append(t("Place: {place}", place=meeting.place))
    if meeting.agenda:
        details.append(t("Agenda: {agenda}", agenda=meeting.agenda))
    return details


def describe(meeting: Meeting, timezone: str) -> Text:
    """When and where, for a reader in ``timezone``."""
    return lines(when(meeting.starts_at, timezone), *_details(meeting))


def _text(message: str, meeting: Meeting, timezone: str) -> Text:
    return lines(t(message, when=when(meeting.starts_at, timezone)), *_details(meeting))


def _rsvp_buttons(meeting: Meeting) -> Rows:
    return (
        (
            Button(t("Yes"), Rsvp(meeting.id, RsvpResponse.yes)),
            Button(t("Maybe"), Rsvp(meeting.id, RsvpResponse.maybe)),
            Button(t("No"), Rsvp(meeting.id, RsvpResponse.no)),
        ),
    )


async def _post(
    session: AsyncSession,
    group: GroupLink,
    *,
    circle: Circle,
    meeting: Meeting,
    message: str,
    news: str,
    now: datetime,
) -> None:
    """Post the news in a group linked to the circle, in the circle's timezone."""
    stamp = int(meeting.starts_at.timestamp())  # a moved meeting is news again
    await enqueue(
        session,
        to=group,
        payload=queued.payload(Say(_text(message, meeting, circle.timezone))),
        key=f"meeting-{meeting.id}-{news}-{stamp}-group",
        now=now,
    )


async def announce(
    session: AsyncSession, *, meeting: Meeting, circle: Circle, kind: str, now: datetime
) -> int:
    """Tell every member (and the linked group) about a new, moved or cancelled meeting."""
    message = {"new": _NEW, "moved": _MOVED, "cancelled": _CANCELLED}[kind]
    stamp = int(meeting.starts_at.timestamp())
    people = await meetings.members_to_tell(session, circle_id=circle.id, now=now)
    for person in people:
        buttons = () if kind == "cancelled" else _rsvp_buttons(meeting)
        await enqueue(
            session,
            to=person,
            payload=queued.payload(Say(_text(message, meeting, person.timezone), buttons)),
            key=f"meeting-{meeting.id}-{kind}-{stamp}",
            now=now,
            priority=OutboxPriority.reply,
            not_before=sendable_from(now, person.timezone, circle.quiet_from, circle.quiet_until),
        )
    for group in await groups.groups_of(session, circle_id=circle.id):
        await _post(
            session, group, circle=circle, meeting=meeting, message=message, news=kind, now=now
        )
    return len(people)


async def send_reminders(session: AsyncSession, *, now: datetime) -> int:
    """Remind members who did not say no, a day and an hour before each meeting."""
    sent = 0
    for label, (ahead, too_late, message) in REMINDERS.items():
        for meeting, circle, person in await meetings.due_reminders(session, now=now, ahead=ahead):
            if meeting.starts_at - now <= too_late:
                continue  # "tomorrow" makes no sense an hour before; the next one covers it
            stamp = int(meeting.starts_at.timestamp())
            sent += await enqueue(
                session,
                to=person,
                payload=queued.payload(Say(_text(message, meeting, person.timezone))),
                key=_reminder_key(meeting.id, label, stamp),
                now=now,
                not_before=sendable_from(
                    now, person.timezone, circle.quiet_from, circle.quiet_until
                ),
            )
        for meeting, circle, group in await meetings.meetings_starting(
            session, now=now, ahead=ahead
        ):
            if meeting.starts_at - now <= too_late:
                continue
            await _post(
                session, group, circle=circle, meeting=meeting, message=message, news=label, now=now
            )
    return sent


def _reminder_key(meeting_id: int | None, label: str, stamp: int | str) -> str:
    return f"meeting-{meeting_id}-{label}-{stamp}"


async def reminder_counts(session: AsyncSession, *, meeting_id: int) -> dict[str, int]:
    """How many of the meeting's reminders to members (a day and an hour before) were
    sent, delivered and read (WhatsApp reports the last two; Telegram does not)."""
    key = Outbox.idempotency_key
    return await message_counts(
        session,
        or_(*(key.like(_reminder_key(meeting_id, label, "%")) for label in REMINDERS)),
        key.not_like("%-group"),
    )


async def invite_reflections(session: AsyncSession, *, now: datetime) -> int:
    """After a meeting, ask each attendee for a reflection (once)."""
    sent = 0
    for meeting, person in await meetings.due_reflections(session, now=now):
        button = Button(t("Start my reflection"), Reflect(meeting.id))
        sent += await enqueue(
            session,
            to=person,
            payload=queued.payload(Say(t(_REFLECT), ((button,),))),
            key=f"meeting-{meeting.id}-reflect",
            now=now,
        )
    return sent
