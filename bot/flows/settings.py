"""A member's settings: language, timezone, a pause, and stopping a conversation."""

from __future__ import annotations

from datetime import timedelta

from bot.flows import engine
from bot.flows.actions import Pressed, closed, on
from bot.flows.buttons import Pause
from bot.flows.checkins import CHECKIN_FLOWS
from bot.flows.engine import Outcome
from bot.flows.events import Button, Done, Say
from bot.flows.visit import Replies, Visit, members_only
from circles.models import FlowStatus, Person
from circles.text import number, t, tn, when

PAUSE_CHOICES = (7, 14, 28)
#: "Until I resume" pauses for this long at most, so nobody is forgotten for ever.
PAUSE_UNTIL_RESUME = timedelta(days=365)


@members_only
async def settings_flow(visit: Visit, person: Person, flow_id: str) -> Replies:
    """``/language`` and ``/timezone``: a one-question flow; a check-in waits meanwhile."""
    return await engine.begin(visit.session, person=person, flow_id=flow_id, now=visit.now)


@members_only
async def pause(visit: Visit, person: Person) -> Replies:
    """Offer how long to pause reminders."""
    rows = [
        (Button(tn("{count} day", "{count} days", days, count=number(days)), Pause(days)),)
        for days in PAUSE_CHOICES
    ]
    rows.append((Button(t("Until I send /resume"), Pause(0)),))
    return [Say(t("For how long should I pause your check-ins and reminders?"), tuple(rows))]


@on(Pause)
async def pause_for(pressed: Pressed, action: Pause) -> Outcome:
    """Pause check-ins and reminders for the days chosen (0: until /resume)."""
    days, person, now = action.days, pressed.person, pressed.now
    if days not in PAUSE_CHOICES and days != 0:
        return closed()
    until = now + (timedelta(days=days) if days else PAUSE_UNTIL_RESUME)
    person.paused_until = until
    text = (
        t(
            "Paused until {date}. Send /resume to come back earlier.",
            date=when(until, person.timezone),
        )
        if days
        else t("Paused. Send /resume when you want your check-ins back.")
    )
    return Outcome([Done(t("Paused")), Say(text)])


@members_only
async def stop(visit: Visit, person: Person) -> Replies:
    """WhatsApp's STOP: pause everything sent unasked, at once, until START."""
    person.paused_until = visit.now + PAUSE_UNTIL_RESUME
    text = t(
        "Stopped: I will send you no check-ins, reminders or announcements until you send "
        "START. Your answers stay saved; /forgetme erases them."
    )
    return [Say(text)]


@members_only
async def resume_reminders(visit: Visit, person: Person) -> Replies:
    """End a pause."""
    now = visit.now
    if person.paused_until is None or person.paused_until <= now:
        person.paused_until = None
        return [Say(t("Your check-ins are not paused."))]
    person.paused_until = None
    return [
        Say(
            t("Welcome back! Your check-ins and reminders are on again. Send /checkin to continue.")
        )
    ]


async def cancel(visit: Visit) -> Replies:
    """Stop the current conversation; a check-in can be finished later with /checkin."""
    person, now = visit.member, visit.now
    run = await engine.active_run(visit.session, person_id=person.id) if person else None
    if person is None or run is None:
        return [Say(t("There is nothing to cancel."))]
    run.updated_at = now
    if run.flow_id in CHECKIN_FLOWS:
        run.status = FlowStatus.waiting
        return [Say(t("Stopped. Your answers so far are saved; send /checkin to finish later."))]
    run.status = FlowStatus.cancelled
    return [Say(t("Cancelled."))]
