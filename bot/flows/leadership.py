"""Distributed leadership in the bot: the answer to an invitation to co-facilitate, and the
facilitators' monthly check-in.

The invitation is queued by :func:`circles.services.leadership.invite` (the API and the
dashboard call it) with *Accept* / *Decline* (:class:`AcceptCoFacilitation`,
:class:`DeclineCoFacilitation`); the service checks the id against the presser, and a
second press, an old button or an expired invitation gets a note saying which.

The monthly check-in (:func:`sweep`, run by the scheduler) is a message with *Open my
check-in* (:class:`OpenFacilitatorCheckIn`, key ``facilitator-checkin-<id>-open``) and
one reminder (``…-nudge``); the button runs the flow ``facilitator_checkin``, whose
completion (:func:`record_facilitator_checkin`) stores the answers on the month's row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import engine, queued
from bot.flows.actions import Pressed, on
from bot.flows.buttons import (
    AcceptCoFacilitation,
    DeclineCoFacilitation,
    InviteCoFacilitator,
    OpenFacilitatorCheckIn,
)
from bot.flows.effects import Completion, Context, effect
from bot.flows.events import Button, Done, Notice, Say
from bot.flows.hooks import answer_text
from bot.flows.visit import FACILITATORS, Replies, Visit, each_place
from circles.errors import Conflict, NotFound
from circles.i18n import N_
from circles.models import Circle, FacilitatorCheckIn, OutboxPriority, Person
from circles.questions import Question
from circles.services import facilitator_checkins, leadership
from circles.services.access import NOT_YOURS, Scope, member_scopes
from circles.services.outbox import enqueue
from circles.services.schedule import sendable_from
from circles.text import shorten, t

_OPEN_LABEL = N_("Open my monthly check-in")
_INVITATION = N_(
    "Time for your monthly check-in as a facilitator of {circle}: what went well, and what "
    "support you need. It takes about three minutes."
)
_REMINDER = N_(
    "Your monthly check-in as a facilitator of {circle} is still open. Your coordinators "
    "would like to hear how the month went."
)
_WELCOME = N_(
    "Welcome as a facilitator of {circle}! Send /circle to see your circle. Your inquiries "
    "and practices stay yours."
)
_DECLINED = N_("Thank you for your answer. You stay a teacher of your circle.")


def invitation_key(checkin_id: int) -> str:
    """The outbox key of a monthly check-in's invitation."""
    return f"facilitator-checkin-{checkin_id}-open"


def reminder_key(checkin_id: int) -> str:
    """The outbox key of its one reminder."""
    return f"facilitator-checkin-{checkin_id}-nudge"


def invitation(checkin_id: int, circle: Circle) -> Say:
    """The message that opens a facilitator's monthly check-in."""
    button = Button(t(_OPEN_LABEL), OpenFacilitatorCheckIn(checkin_id))
    return Say(t(_INVITATION, circle=circle.name), ((button,),))


def reminder(checkin_id: int, circle: Circle) -> Say:
    """The reminder of a monthly check-in still unanswered."""
    button = Button(t(_OPEN_LABEL), OpenFacilitatorCheckIn(checkin_id))
    return Say(t(_REMINDER, circle=circle.name), ((button,),))


@dataclass(frozen=True)
class Sweep:
    """What one sweep of facilitators' check-ins did."""

    opened: int = 0
    nudged: int = 0


async def _queue(
    session: AsyncSession,
    found: facilitator_checkins.Opened,
    message: Say,
    key: str,
    now: datetime,
) -> None:
    circle = found.circle
    await enqueue(
        session,
        to=found.person,
        payload=queued.payload(message),
        key=key,
        now=now,
        priority=OutboxPriority.bulk,
        not_before=sendable_from(now, found.person.timezone, circle.quiet_from, circle.quiet_until),
    )


async def sweep(session: AsyncSession, *, now: datetime) -> Sweep:
    """Open this month's due check-ins and remind the silent (idempotent)."""
    opened = await facilitator_checkins.open_due(session, now=now)
    for found in opened:
        message = invitation(found.checkin.id, found.circle)
        await _queue(session, found, message, invitation_key(found.checkin.id), now)
    nudged = await facilitator_checkins.to_nudge(session, now=now)
    for found in nudged:
        message = reminder(found.checkin.id, found.circle)
        await _queue(session, found, message, reminder_key(found.checkin.id), now)
    return Sweep(opened=len(opened), nudged=len(nudged))


# --- the monthly check-in ----------------------------------------------------------------


@on(OpenFacilitatorCheckIn)
async def open_checkin(pressed: Pressed, action: OpenFacilitatorCheckIn) -> engine.Outcome:
    """*Open my check-in*: the flow, for the facilitator's own open check-in."""
    try:
        checkin = await facilitator_checkins.checkin_for_facilitator(
            pressed.session,
            person_id=pressed.person.id,
            checkin_id=action.checkin_id,
            now=pressed.now,
        )
    except (NotFound, Conflict) as refused:
        return engine.Outcome([Notice(t(refused.message))])
    events = await engine.begin(
        pressed.session,
        person=pressed.person,
        flow_id="facilitator_checkin",
        now=pressed.now,
        state={"facilitator_checkin": checkin.id},
    )
    return engine.Outcome([Done(t(_OPEN_LABEL)), *events])


@effect("record_facilitator_checkin")
async def record_facilitator_checkin(ctx: Context, edited: bool) -> Completion:
    """Store what went well, the support needed and the rating on the month's row."""
    checkin_id = int(ctx.run.state.get("facilitator_checkin") or 0)
    checkin = await ctx.session.get(FacilitatorCheckIn, checkin_id)
    if checkin is None or checkin.person_id != ctx.person.id:
        return Completion([Say(t(engine.CLOSED))])
    rating = answer_text(ctx.answers, Question.circle_rating)
    facilitator_checkins.record(
        checkin,
        went_well=answer_text(ctx.answers, Question.went_well),
        support=answer_text(ctx.answers, Question.support_needed),
        rating=int(float(rating)) if rating else None,
        now=ctx.now,
    )
    return Completion()


# --- the answer to an invitation -----------------------------------------------------------


async def _answer(pressed: Pressed, invitation_id: int, *, accept: bool) -> engine.Outcome:
    label = leadership.ACCEPT_LABEL if accept else leadership.DECLINE_LABEL
    try:
        _invitation, circle = await leadership.answer(
            pressed.session,
            person=pressed.person,
            invitation_id=invitation_id,
            accept=accept,
            now=pressed.now,
        )
    except (NotFound, Conflict) as refused:
        return engine.Outcome([Notice(t(refused.message))])
    told = t(_WELCOME, circle=circle.name) if accept else t(_DECLINED)
    return engine.Outcome([Done(t(label)), Say(told)])


@on(AcceptCoFacilitation)
async def accept(pressed: Pressed, action: AcceptCoFacilitation) -> engine.Outcome:
    """*Accept*: the presser becomes a facilitator of the circle at once."""
    return await _answer(pressed, action.invitation_id, accept=True)


@on(DeclineCoFacilitation)
async def decline(pressed: Pressed, action: DeclineCoFacilitation) -> engine.Outcome:
    """*Decline*: nothing changes; the inviter is told."""
    return await _answer(pressed, action.invitation_id, accept=False)


# --- /cofacilitate: a facilitator invites from the bot ------------------------------------------

#: How much of a teacher's name a button shows.
NAME_ON_BUTTON = 40


async def cofacilitate(visit: Visit) -> Replies:
    """``/cofacilitate``: the teachers of each circle one facilitates who codified a
    practice, one button each to invite them to co-facilitate."""
    session, now = visit.session, visit.now

    async def answer(_facilitator: Person, circle: Circle, _scope: Scope) -> Replies:
        found = await leadership.candidates(session, circle_id=circle.id, now=now)
        if not found:
            none = t(
                "No teacher of {circle} who codified a practice is waiting for an invitation "
                "to co-facilitate.",
                circle=circle.name,
            )
            return [Say(none)]
        head = t(
            "Teachers of {circle} who codified a practice. Tap one to invite them to "
            "co-facilitate the circle; they answer in the chat.",
            circle=circle.name,
        )
        rows = tuple(
            (
                Button(
                    shorten(person.display_name or "?", NAME_ON_BUTTON),
                    InviteCoFacilitator(circle.id, person.id),
                ),
            )
            for person in found
        )
        return [Say(head, rows)]

    return await each_place(visit, FACILITATORS, answer)


@on(InviteCoFacilitator)
async def invite(pressed: Pressed, action: InviteCoFacilitator) -> engine.Outcome:
    """A teacher's button under ``/cofacilitate``: invite them (the presser must still
    facilitate that circle; the service checks the teacher)."""
    places = await member_scopes(pressed.session, person_id=pressed.person.id, roles=FACILITATORS)
    scope = next((s for circle, s in places if circle.id == action.circle_id), None)
    if scope is None:
        return engine.Outcome([Notice(t(NOT_YOURS))])
    try:
        invitation = await leadership.invite(
            pressed.session,
            scope=scope,
            circle_id=action.circle_id,
            person_id=action.person_id,
            to_circle_id=None,
            now=pressed.now,
        )
    except (NotFound, Conflict) as refused:
        return engine.Outcome([Notice(t(refused.message))])
    teacher = await pressed.session.get(Person, invitation.person_id)
    name = (teacher.display_name if teacher else None) or "?"
    sent = t("{name} is invited to co-facilitate. You will be told their answer.", name=name)
    return engine.Outcome([Done(shorten(name, NAME_ON_BUTTON)), Say(sent)])


__all__ = ["Sweep", "accept", "cofacilitate", "decline", "invitation", "reminder", "sweep"]
