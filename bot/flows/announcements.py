"""Meeting announcements, reminders and reflection invitations, through the outbox.

Every message has an idempotency key (meeting, kind, person), so running a sweep again,
or two schedulers at once, never sends one twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.buttons import Reflect, Rsvp, encode
from circles.i18n import N_, _, format_datetime, use_language
from circles.models import Circle, Meeting, OutboxPriority, Person, RsvpResponse
from circles.services import groups, meetings
from circles.services.outbox import enqueue, enqueue_for_person, message_payload
from circles.services.schedule import sendable_from

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


def describe(meeting: Meeting, language: str, timezone: str) -> str:
    """When and where, for one reader."""
    with use_language(language):
        lines = [format_datetime(meeting.starts_at, timezone, language)]
        if meeting.online_url:
            lines.append(_("Online: {link}").format(link=meeting.online_url))
        elif meeting.place:
            lines.append(_("Place: {place}").format(place=meeting.place))
        if meeting.agenda:
            lines.append(_("Agenda: {agenda}").format(agenda=meeting.agenda))
    return "\n".join(lines)


def _text(message: str, meeting: Meeting, language: str, timezone: str) -> str:
    with use_language(language):
        head = _(message).format(when=format_datetime(meeting.starts_at, timezone, language))
    details = describe(meeting, language, timezone).split("\n", 1)
    return head + ("\n" + details[1] if len(details) > 1 else "")


def _rsvp_buttons(meeting: Meeting, language: str) -> list[list[tuple[str, str]]]:
    with use_language(language):
        return [
            [
                (_("Yes"), encode(Rsvp(meeting.id, RsvpResponse.yes))),
                (_("Maybe"), encode(Rsvp(meeting.id, RsvpResponse.maybe))),
                (_("No"), encode(Rsvp(meeting.id, RsvpResponse.no))),
            ]
        ]


async def announce(
    session: AsyncSession, *, meeting: Meeting, circle: Circle, kind: str, now: datetime
) -> int:
    """Tell every member (and the linked group) about a new, moved or cancelled meeting."""
    message = {"new": _NEW, "moved": _MOVED, "cancelled": _CANCELLED}[kind]
    stamp = int(meeting.starts_at.timestamp())
    people = await meetings.members_to_tell(session, circle_id=circle.id, now=now)
    for person in people:
        text = _text(message, meeting, person.language, person.timezone)
        buttons = None if kind == "cancelled" else _rsvp_buttons(meeting, person.language)
        await enqueue_for_person(
            session,
            person_id=person.id,
            payload=message_payload(text, buttons),
            key=f"meeting-{meeting.id}-{kind}-{stamp}",
            now=now,
            priority=OutboxPriority.reply,
            not_before=sendable_from(now, person.timezone, circle.quiet_from, circle.quiet_until),
        )
    for group in await groups.groups_of(session, circle_id=circle.id):
        await enqueue(
            session,
            channel=group.channel,
            address=group.address,
            payload=message_payload(_text(message, meeting, circle.language, circle.timezone)),
            key=f"meeting-{meeting.id}-{kind}-{stamp}-group",
            now=now,
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
            sent += await enqueue_for_person(
                session,
                person_id=person.id,
                payload=message_payload(_text(message, meeting, person.language, person.timezone)),
                key=f"meeting-{meeting.id}-{label}-{stamp}",
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
            stamp = int(meeting.starts_at.timestamp())
            await enqueue(
                session,
                channel=group.channel,
                address=group.address,
                payload=message_payload(_text(message, meeting, circle.language, circle.timezone)),
                key=f"meeting-{meeting.id}-{label}-{stamp}-group",
                now=now,
            )
    return sent


async def invite_reflections(session: AsyncSession, *, now: datetime) -> int:
    """After a meeting, ask each attendee for a reflection (once)."""
    sent = 0
    for meeting, person in await meetings.due_reflections(session, now=now):
        sent += await enqueue_for_person(
            session,
            person_id=person.id,
            payload=_reflection_invitation(meeting, person),
            key=f"meeting-{meeting.id}-reflect",
            now=now,
        )
    return sent


def _reflection_invitation(meeting: Meeting, person: Person) -> dict:
    with use_language(person.language):
        return message_payload(
            _(_REFLECT), [[(_("Start my reflection"), encode(Reflect(meeting.id)))]]
        )
