"""Exchange sessions across circles in the bot: news, reminders, answers, reflections.

A coordinator schedules a session through the API or the dashboard
(:mod:`circles.services.exchange_sessions`); this module tells the invitees (new, moved,
cancelled: with yes / maybe / no buttons but for a cancellation), reminds those who did
not say no a day and an hour before (the meetings' :data:`announcements.REMINDERS`),
and after it asks those who came for the circle meeting's reflection, whose rows carry
the session's id. Every message is queued as an event with the session's time in the
reader's timezone and rendered in their language when it is sent; keys name the session,
its news and its start (``session-<id>-<news>-<start>``), never a person. ``/sessions``
lists the upcoming sessions that invite the reader, with the same buttons.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import announcements, engine, queued
from bot.flows.actions import Pressed, on
from bot.flows.buttons import AnswerSession, ReflectOnSession
from bot.flows.engine import Outcome
from bot.flows.events import Button, Done, Event, Notice, Rows, Say
from bot.flows.visit import Visit, members_only
from circles.errors import Conflict, NotFound
from circles.i18n import N_
from circles.models import ExchangeSession, MeetingStatus, OutboxPriority, Person, RsvpResponse
from circles.services import exchange_sessions
from circles.services.outbox import enqueue
from circles.services.schedule import sendable_from
from circles.text import Part, Text, lines, t, when

_NEW = N_("New exchange session across circles: {title}, {when}.")
_MOVED = N_("The exchange session {title} has moved to {when}.")
_CANCELLED = N_("The exchange session {title} on {when} is cancelled.")
#: Not "tomorrow": held until the end of the reader's quiet hours, it may come on the day.
_REMIND_DAY = N_("Reminder: exchange session {title} on {when}.")
_REMIND_HOUR = N_("Reminder: the exchange session {title} starts in one hour, {when}.")
_REFLECT = N_(
    "Thank you for taking part in the exchange session {title}. A short reflection: four "
    "questions, about three minutes."
)
_NEWS = {"new": _NEW, "moved": _MOVED, "cancelled": _CANCELLED}
_REMINDERS = {"24h": _REMIND_DAY, "1h": _REMIND_HOUR}
_THANKS = {
    RsvpResponse.yes: N_("Thank you! See you at the session."),
    RsvpResponse.maybe: N_("Thank you. I will remind you the day before."),
    RsvpResponse.no: N_("Thank you for letting us know."),
}
_LABELS = {RsvpResponse.yes: N_("Yes"), RsvpResponse.maybe: N_("Maybe"), RsvpResponse.no: N_("No")}
_WAS_CANCELLED = N_("This session was cancelled.")
_CLOSED = N_("This session is no longer open for answers.")


def _details(found: ExchangeSession) -> list[Part]:
    if found.online_url:
        return [t("Online: {link}", link=found.online_url)]
    return [t("Place: {place}", place=found.place)] if found.place else []


def _text(message: str, found: ExchangeSession, timezone: str) -> Text:
    headline = t(message, title=found.title, when=when(found.starts_at, timezone))
    return lines(headline, *_details(found))


def _buttons(found: ExchangeSession) -> Rows:
    assert found.id is not None
    return (
        tuple(
            Button(t(_LABELS[answer]), AnswerSession(found.id, answer))
            for answer in (RsvpResponse.yes, RsvpResponse.maybe, RsvpResponse.no)
        ),
    )


async def announce(
    session: AsyncSession, *, found: ExchangeSession, kind: str, now: datetime
) -> int:
    """Tell every invitee about a new, moved or cancelled session; how many were told."""
    stamp = int(found.starts_at.timestamp())  # a moved session is news again
    invited = await exchange_sessions.invitees(session, found=found, now=now)
    for invitee in invited:
        person, circle = invitee.person, invitee.circle
        buttons = () if kind == "cancelled" else _buttons(found)
        await enqueue(
            session,
            to=person,
            payload=queued.payload(Say(_text(_NEWS[kind], found, person.timezone), buttons)),
            key=f"session-{found.id}-{kind}-{stamp}",
            now=now,
            priority=OutboxPriority.bulk,
            not_before=sendable_from(now, person.timezone, circle.quiet_from, circle.quiet_until),
        )
    return len(invited)


async def send_reminders(session: AsyncSession, *, now: datetime) -> int:
    """Remind invitees who did not say no, a day and an hour before each session.

    The day-before reminder waits for the end of the reader's circle's quiet hours; the
    hour-before one does not (held, it would come after the start).
    """
    sent = 0
    for label, (ahead, too_late, _message) in announcements.REMINDERS.items():
        due = await exchange_sessions.due_reminders(session, now=now, ahead=ahead)
        for found, invitee in due:
            if found.starts_at - now <= too_late:
                continue  # "tomorrow" makes no sense an hour before; the next one covers it
            person, circle = invitee.person, invitee.circle
            held = sendable_from(now, person.timezone, circle.quiet_from, circle.quiet_until)
            sent += await enqueue(
                session,
                to=person,
                payload=queued.payload(Say(_text(_REMINDERS[label], found, person.timezone))),
                key=f"session-{found.id}-{label}-{int(found.starts_at.timestamp())}",
                now=now,
                not_before=held if label == "24h" else now,
            )
    return sent


async def invite_reflections(session: AsyncSession, *, now: datetime) -> int:
    """After a session, ask each who said yes or maybe for a reflection (once)."""
    sent = 0
    for found, person in await exchange_sessions.due_reflections(session, now=now):
        assert found.id is not None
        button = Button(t("Start my reflection"), ReflectOnSession(found.id))
        sent += await enqueue(
            session,
            to=person,
            payload=queued.payload(Say(t(_REFLECT, title=found.title), ((button,),))),
            key=f"session-{found.id}-reflect",
            now=now,
        )
    return sent


@members_only
async def upcoming(visit: Visit, person: Person) -> list[Event]:
    """``/sessions``: the exchange sessions that invite the reader, with their answer."""
    found = await exchange_sessions.upcoming_for(visit.session, person=person, now=visit.now)
    if not found:
        return [Say(t("No exchange sessions across circles are planned for you."))]
    replies: list[Event] = []
    for upcoming_session, answer in found:
        text: list[Part] = [_text(N_("{title}: {when}."), upcoming_session, person.timezone)]
        if answer is not None:
            text.append(t("Your answer: {answer}", answer=t(_LABELS[answer])))
        replies.append(Say(lines(*text), _buttons(upcoming_session), separate=True))
    return replies


async def answer(
    session: AsyncSession, *, person: Person, action: AnswerSession, now: datetime
) -> Outcome:
    """An invitee's yes / maybe / no; a cancelled or past session says so."""
    try:
        await exchange_sessions.answer_session(
            session, person=person, session_id=action.session_id, response=action.answer, now=now
        )
    except NotFound:
        return Outcome([Notice(t(engine.CLOSED))])
    except Conflict:
        found = await session.get(ExchangeSession, action.session_id)
        cancelled = found is not None and found.status is MeetingStatus.cancelled
        return Outcome([Notice(t(_WAS_CANCELLED if cancelled else _CLOSED))])
    return Outcome([Done(t(_LABELS[action.answer])), Say(t(_THANKS[action.answer]))])


async def reflect(
    session: AsyncSession, *, person: Person, action: ReflectOnSession, now: datetime
) -> Outcome:
    """Start the reflection flow on a session the person came to (once)."""
    try:
        rsvp = await exchange_sessions.reflection_to_start(
            session, person=person, session_id=action.session_id, now=now
        )
    except NotFound:
        return Outcome([Notice(t(engine.CLOSED))])
    replies = await engine.begin(
        session,
        person=person,
        flow_id="reflection",
        now=now,
        state={"circle_id": rsvp.circle_id, "session_id": action.session_id},
    )
    run = await engine.active_run(session, person_id=person.id)
    rsvp.reflection_run_id = run.id if run is not None else None
    return Outcome([Done(t("Start my reflection")), *replies])


@on(AnswerSession)
async def _answered(pressed: Pressed, action: AnswerSession) -> Outcome:
    return await answer(pressed.session, person=pressed.person, action=action, now=pressed.now)


@on(ReflectOnSession)
async def _reflect(pressed: Pressed, action: ReflectOnSession) -> Outcome:
    return await reflect(pressed.session, person=pressed.person, action=action, now=pressed.now)
