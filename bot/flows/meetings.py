"""Meetings in the bot: ``/meeting`` to schedule, ``/meetings`` to see RSVPs, move or
cancel, RSVP buttons, ``/linkgroup`` for the circle's Telegram group, and reflections."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import announcements, engine
from bot.flows.actions import Pressed, on
from bot.flows.buttons import CancelMeeting, MeetingAction, MoveMeeting, Reflect, Rsvp
from bot.flows.effects import Completion, Context, effect
from bot.flows.engine import Outcome
from bot.flows.events import Button, Done, Event, Notice, Say
from bot.flows.visit import Visit
from circles.errors import DomainError, InvalidAnswer, NotFound
from circles.i18n import N_
from circles.models import (
    Answer,
    Circle,
    Consent,
    FlowRun,
    Meeting,
    MeetingStatus,
    Membership,
    Person,
    Role,
    RsvpResponse,
)
from circles.questions import Question
from circles.services import access, groups, meetings
from circles.text import Part, lines, number, render, t, tn, when

_ONLY_FACILITATORS = N_("Only the facilitators of a circle can do this.")
_RSVP_LABELS = {
    RsvpResponse.yes: N_("Yes"),
    RsvpResponse.maybe: N_("Maybe"),
    RsvpResponse.no: N_("No"),
}
_RSVP_THANKS = {
    RsvpResponse.yes: N_("Thank you! See you at the meeting."),
    RsvpResponse.maybe: N_("Thank you. I will remind you the day before."),
    RsvpResponse.no: N_("Thank you for letting us know."),
}


async def _facilitated(session: AsyncSession, person: Person) -> Circle | None:
    """The (first) circle ``person`` facilitates."""
    return await session.scalar(
        select(Circle)
        .join(Membership, Membership.circle_id == Circle.id)
        .where(Membership.person_id == person.id, Membership.role == Role.facilitator)
        .order_by(Membership.joined_at)
        .limit(1)
    )


async def _facilitator(visit: Visit) -> tuple[Person | None, Circle | None, list[Event]]:
    person = visit.member
    circle = await _facilitated(visit.session, person) if person else None
    if person is None or circle is None or person.consent is not Consent.given:
        return None, None, [Say(t(_ONLY_FACILITATORS))]
    return person, circle, []


async def schedule(visit: Visit) -> list[Event]:
    """``/meeting``: ask date, time, place and agenda, then invite everyone."""
    session, now = visit.session, visit.now
    person, circle, refusal = await _facilitator(visit)
    if person is None or circle is None:
        return refusal
    return await engine.begin(
        session, person=person, flow_id="meeting", now=now, state={"circle_id": circle.id}
    )


async def overview(visit: Visit) -> list[Event]:
    """``/meetings``: upcoming meetings with who comes, and buttons to move or cancel."""
    session, now = visit.session, visit.now
    person, circle, refusal = await _facilitator(visit)
    if person is None or circle is None:
        return refusal
    upcoming = await meetings.upcoming_meetings(session, circle_id=circle.id, now=now)
    if not upcoming:
        return [Say(t("No meetings are planned. Send /meeting to schedule one."))]
    replies: list[Event] = []
    for meeting in upcoming:
        answers = await meetings.rsvp_counts(session, meeting_id=meeting.id)
        text: list[Part] = [announcements.describe(meeting, person.timezone)]
        for response, label in (
            (RsvpResponse.yes, t("Coming")),
            (RsvpResponse.maybe, t("Maybe")),
            (RsvpResponse.no, t("Not coming")),
        ):
            names = ", ".join(answers[response]) or "—"
            text.append(lines(label, f" ({len(answers[response])}): {names}", separator=""))
        buttons = (
            (
                Button(t("Move"), MoveMeeting(meeting.id)),
                Button(t("Cancel"), CancelMeeting(meeting.id)),
            ),
        )
        replies.append(Say(lines(*text), buttons, separate=True))
    return replies


async def link_group(visit: Visit, group: str) -> list[Event]:
    """``/linkgroup`` in a group: meeting news and reminders are posted there too."""
    session, now = visit.session, visit.now
    person, circle, refusal = await _facilitator(visit)
    if person is None or circle is None:
        return refusal
    await groups.link_group(
        session, circle_id=circle.id, channel=visit.sender.channel, address=group, now=now
    )
    linked = t(
        "This group is now linked to {circle}: meeting announcements and "
        "reminders will also appear here.",
        circle=circle.name,
    )
    # The whole group reads it: in the circle's language, not the facilitator's.
    return [Say(render(linked, circle.language))]


async def action(
    session: AsyncSession, *, person: Person, action: MeetingAction, now: datetime
) -> Outcome:
    """Meeting buttons: RSVP, reflect, move and cancel.

    Reflecting and answering are for the members of the meeting's circle, moving and
    cancelling for its facilitators (:mod:`circles.services.access`); any other meeting
    id is answered like a closed button.
    """
    meeting_id = action.meeting_id
    closed = Outcome([Notice(t(engine.CLOSED))])
    if isinstance(action, Rsvp):
        response = action.answer
        try:
            await access.meeting_for_member(session, person_id=person.id, meeting_id=meeting_id)
            await meetings.answer_invitation(
                session, meeting_id=meeting_id, person=person, response=response, now=now
            )
        except DomainError:
            return closed
        return Outcome([Done(t(_RSVP_LABELS[response])), Say(t(_RSVP_THANKS[response]))])
    if isinstance(action, Reflect):
        try:
            meeting = await access.meeting_for_member(
                session, person_id=person.id, meeting_id=meeting_id
            )
        except NotFound:
            return closed
        if meeting.ends_at > now:
            return closed
        done = await session.scalar(
            select(FlowRun.id).where(
                FlowRun.person_id == person.id,
                FlowRun.meeting_id == meeting.id,
                FlowRun.flow_id == "reflection",
            )
        )
        if done is not None:
            return closed
        replies = await engine.begin(
            session,
            person=person,
            flow_id="reflection",
            now=now,
            meeting_id=meeting.id,
            state={"circle_id": meeting.circle_id},
        )
        return Outcome([Done(t("Start my reflection")), *replies])
    try:
        meeting, circle = await access.meeting_for_facilitator(
            session, person_id=person.id, meeting_id=meeting_id
        )
    except NotFound:
        return closed
    if meeting.status is not MeetingStatus.scheduled or meeting.starts_at <= now:
        return closed
    if isinstance(action, CancelMeeting):
        await meetings.cancel_meeting(session, meeting=meeting, by=person, now=now)
        told = await announcements.announce(
            session, meeting=meeting, circle=circle, kind="cancelled", now=now
        )
        text = tn(
            "The meeting on {when} is cancelled. {count} member is told.",
            "The meeting on {when} is cancelled. {count} members are told.",
            told,
            when=when(meeting.starts_at, person.timezone),
            count=number(told),
        )
        return Outcome([Done(t("Cancel")), Say(text)])
    replies = await engine.begin(
        session,
        person=person,
        flow_id="meeting",
        now=now,
        state={"circle_id": circle.id, "move": meeting.id},
    )
    return Outcome([Done(t("Move")), *replies])


def _typed(answers: dict[str, Answer], key: str) -> str | None:
    answer = answers.get(key)
    return (answer.value_text or answer.value_choice) if answer is not None else None


@effect("schedule_meeting")
async def schedule_meeting(ctx: Context, edited: bool) -> Completion:
    """Schedule (or move) the meeting and tell the members."""
    circle = await ctx.session.get_one(Circle, int(ctx.run.state["circle_id"]))
    day = date.fromisoformat(_typed(ctx.answers, Question.date) or "")
    at = time.fromisoformat(_typed(ctx.answers, Question.time) or "")
    starts = meetings.meeting_start(day, at, circle.timezone)
    moving = ctx.run.state.get("move")
    try:
        if moving:
            meeting = await ctx.session.get_one(Meeting, int(moving))
            await meetings.move_meeting(
                ctx.session, meeting=meeting, starts_at=starts, by=ctx.person, now=ctx.now
            )
            place = _typed(ctx.answers, Question.place)
            if place:
                is_link = place.startswith(("http://", "https://"))
                meeting.online_url = place if is_link else None
                meeting.place = None if is_link else place
            meeting.agenda = _typed(ctx.answers, Question.agenda) or meeting.agenda
        else:
            meeting = await meetings.schedule_meeting(
                ctx.session,
                circle=circle,
                starts_at=starts,
                place=_typed(ctx.answers, Question.place),
                agenda=_typed(ctx.answers, Question.agenda),
                created_by=ctx.person,
                now=ctx.now,
            )
    except InvalidAnswer as invalid:
        again = t("Send /meeting to try again.")
        return Completion([Say(lines(t(invalid.message, **invalid.params), again, separator=" "))])
    told = await announcements.announce(
        ctx.session,
        meeting=meeting,
        circle=circle,
        kind="moved" if moving else "new",
        now=ctx.now,
    )
    text = tn(
        "The meeting is set for {when}. {count} member is told.",
        "The meeting is set for {when}. {count} members are told.",
        told,
        when=when(meeting.starts_at, ctx.person.timezone),
        count=number(told),
    )
    return Completion([Say(text)])


@on(Rsvp, Reflect, MoveMeeting, CancelMeeting)
async def _pressed(pressed: Pressed, pressed_action: MeetingAction) -> Outcome:
    return await action(
        pressed.session, person=pressed.person, action=pressed_action, now=pressed.now
    )
