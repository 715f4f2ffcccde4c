"""Weekly check-ins: open, continue, skip and edit them, answer an invitation.

``/checkin`` opens the conversation that fits the teacher's phase (identify, pilot,
codify); ``/skip`` asks for a reason; ``/edit`` and an edited message change an answer
while the check-in is open. A message that is not a command answers the open question,
and a typed answer to an invitation starts the check-in it was about.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import engine
from bot.flows.actions import Pressed, closed, on
from bot.flows.buttons import EditAnswer, FlowAnswer, OpenCheckIn
from bot.flows.engine import Outcome
from bot.flows.events import Button, Say
from bot.flows.inputs import Input
from bot.flows.visit import NOT_MEMBER, Replies, Visit, members_only
from circles.errors import NotFound
from circles.models import (
    Answer,
    CheckIn,
    CheckInStatus,
    Circle,
    Consent,
    FlowRun,
    FlowStatus,
    Inquiry,
    Person,
    Phase,
)
from circles.services import access, journeys, years
from circles.services import holidays as circles_holidays
from circles.services.schedule import next_checkin
from circles.text import Day, headline, lines, t, when

#: Flows whose runs belong to a teacher's check-in (``/edit``, ``/checkin`` resume them).
CHECKIN_FLOWS = frozenset({"identify", "pilot", "codify"})

NOTHING_OPEN = t(
    "There is no open question right now. Send /checkin to open your check-in, "
    "or /help to see what you can do."
)
_NOTHING_TO_SKIP = t("There is no check-in to skip this week.")


async def _open_checkin_run(session: AsyncSession, person: Person, now: datetime) -> FlowRun | None:
    """A started check-in conversation that may still be finished."""
    runs = await session.scalars(
        select(FlowRun)
        .where(
            FlowRun.person_id == person.id,
            FlowRun.flow_id.in_(CHECKIN_FLOWS),
            FlowRun.status.in_([FlowStatus.active, FlowStatus.waiting]),
        )
        .order_by(FlowRun.id.desc())
    )
    for run in runs:
        if run.checkin_id is None:
            return run
        checkin = await session.get(CheckIn, run.checkin_id)
        if checkin is not None and journeys.is_open(checkin, now):
            return run
        run.status = FlowStatus.expired
    return None


@members_only
async def checkin(visit: Visit, person: Person) -> Replies:
    """Open (or continue) the check-in that fits the teacher's phase."""
    session, now = visit.session, visit.now
    place = await journeys.teacher_place(session, person_id=person.id)
    if place is None:
        return [
            Say(t("Check-ins are for the teachers of a circle. Send /help to see what you can do."))
        ]
    if await years.between_years(session, circle_id=place.circle.id, now=now):
        return [
            Say(
                t(
                    "Your circle is between two school years: check-ins begin again when "
                    "the next year starts."
                )
            )
        ]
    started = await _open_checkin_run(session, person, now)
    if started is not None:
        note = Say(t("Let's continue where you stopped."))
        return [note, *await engine.resume(session, run=started, person=person, now=now)]
    inquiry = await journeys.current_inquiry(
        session, person_id=person.id, circle_id=place.circle.id
    )
    if inquiry is None:
        inquiry = await journeys.start_inquiry(session, person=person, circle=place.circle, now=now)
    if inquiry.phase is Phase.codify:
        return await engine.begin(
            session, person=person, flow_id="codify", now=now, state={"inquiry_id": inquiry.id}
        )
    week = await journeys.this_weeks_checkin(
        session, person=person, circle=place.circle, inquiry=inquiry, now=now
    )
    available = (
        week is not None and week.status is CheckInStatus.open and journeys.is_open(week, now)
    )
    if inquiry.phase is Phase.identify:
        # Identifying needs no weekly slot: a new teacher can start the day they join.
        return await engine.begin(
            session,
            person=person,
            flow_id="identify",
            now=now,
            checkin_id=week.id if week is not None and available else None,
            state={"inquiry_id": inquiry.id},
        )
    if week is None or not available:
        holidays = await circles_holidays.of_circle(session, circle=place.circle)
        upcoming = when(next_checkin(place.circle, person.timezone, now, holidays), person.timezone)
        if week is not None and week.status in (CheckInStatus.answered, CheckInStatus.skipped):
            return [
                Say(
                    t(
                        "You have already checked in this week. Your next check-in opens on "
                        "{date}.",
                        date=upcoming,
                    )
                )
            ]
        holiday = await circles_holidays.current_holiday(session, circle=place.circle, now=now)
        if holiday is not None:
            return [
                Say(
                    t(
                        "Your circle is on holiday until {end}. Your next check-in opens on "
                        "{date}.",
                        end=Day(holiday.ends_on),
                        date=upcoming,
                    )
                )
            ]
        return [
            Say(
                t(
                    "This week's check-in has closed. Your next check-in opens on {date}.",
                    date=upcoming,
                )
            )
        ]
    return await engine.begin(
        session,
        person=person,
        flow_id="pilot",
        now=now,
        checkin_id=week.id,
        state={"inquiry_id": inquiry.id},
    )


@members_only
async def skip(visit: Visit, person: Person) -> Replies:
    """Skip this week's check-in, asking for a reason."""
    session, now = visit.session, visit.now
    place = await journeys.teacher_place(session, person_id=person.id)
    inquiry = place and await journeys.current_inquiry(
        session, person_id=person.id, circle_id=place.circle.id
    )
    if place is None or inquiry is None:
        return [Say(_NOTHING_TO_SKIP)]
    week = await journeys.this_weeks_checkin(
        session, person=person, circle=place.circle, inquiry=inquiry, now=now
    )
    if week is None:
        return [Say(_NOTHING_TO_SKIP)]
    if week.status is not CheckInStatus.open:
        return [
            Say(t("This week's check-in is already answered or skipped; there is nothing to skip."))
        ]
    started = await _open_checkin_run(session, person, now)
    if started is not None and started.checkin_id == week.id:
        started.status = FlowStatus.cancelled
    return await engine.begin(session, person=person, flow_id="skip", now=now, checkin_id=week.id)


# --- changing an answer -----------------------------------------------------------------


@members_only
async def edit(visit: Visit, person: Person) -> Replies:
    """Offer the answers of the latest open check-in for changing."""
    session, now = visit.session, visit.now
    run = await _latest_editable_run(session, person, now)
    if run is None:
        return [Say(t("There is no open check-in with answers to change."))]
    flow = engine.flow_of(run)
    answers = await engine.answers_of(session, run)
    rows = tuple(
        # The question's first line, measured in the language it is shown in.
        (Button(headline(t(step.prompt), 60), EditAnswer(run.id, step.key)),)
        for step in flow.steps
        if step.key in answers
    )
    return [Say(t("Which answer do you want to change?"), rows)]


async def _latest_editable_run(
    session: AsyncSession, person: Person, now: datetime
) -> FlowRun | None:
    run = await session.scalar(
        select(FlowRun)
        .where(
            FlowRun.person_id == person.id,
            FlowRun.flow_id.in_(CHECKIN_FLOWS),
            FlowRun.checkin_id.is_not(None),
            FlowRun.status.in_([FlowStatus.active, FlowStatus.waiting, FlowStatus.completed]),
        )
        .order_by(FlowRun.id.desc())
        .limit(1)
    )
    if run is None or run.checkin_id is None:
        return None
    checkin = await session.get(CheckIn, run.checkin_id)
    return run if checkin is not None and journeys.is_open(checkin, now) else None


@on(EditAnswer)
async def reopen_answer(pressed: Pressed, action: EditAnswer) -> Outcome:
    """Ask an answered question again; only the person's own latest open check-in."""
    session, person, now = pressed.session, pressed.person, pressed.now
    run = await _latest_editable_run(session, person, now)
    if run is None or run.id != action.run_id:
        return closed()
    answers = await engine.answers_of(session, run)
    if action.step_key not in answers:
        return closed()
    return Outcome(
        await engine.reopen(session, run=run, step_key=action.step_key, person=person, now=now)
    )


async def edited_message(visit: Visit, message: Input) -> Replies:
    """A message the person edited: update its answer while the check-in is open."""
    session, now, person = visit.session, visit.now, visit.member
    if person is None or message.ref is None:
        return []
    answer = await session.scalar(
        select(Answer).where(Answer.person_id == person.id, Answer.message_ref == message.ref)
    )
    if answer is None:
        return []
    run = await session.get_one(FlowRun, answer.flow_run_id)
    checkin = await session.get(CheckIn, run.checkin_id) if run.checkin_id else None
    still_open = (
        journeys.is_open(checkin, now) if checkin is not None else run.status is FlowStatus.active
    )
    if not still_open:
        return [Say(t("This check-in is closed, so your edit was not saved."))]
    step = engine.flow_of(run).step(answer.question_key)
    try:
        value = await engine.validate(
            session, run=run, step=step, message=message, person=person, now=now
        )
    except engine.InvalidAnswer as invalid:
        return [Say(lines(t(invalid.message, **invalid.params), t("Your earlier answer is kept.")))]
    answer.value_text, answer.file_id = value.text, value.file_id
    answer.value_number, answer.value_choice = value.number, value.choice
    answer.kind, answer.updated_at = value.kind, now
    return [Say(t("Your answer is updated."))]


# --- messages and invitations -------------------------------------------------------------


async def message(visit: Visit, message: Input) -> Replies:
    """A message that is not a command: the answer to the open question, if there is one."""
    session, now, person = visit.session, visit.now, visit.member
    if person is None:
        return [Say(NOT_MEMBER)]
    outcome = await engine.answer(session, person=person, message=message, now=now)
    if outcome is None and person.consent is Consent.given:
        # A typed answer to a check-in invitation starts that check-in's conversation.
        invited = await _unstarted_checkin(session, person, now)
        if invited is not None:
            await open_invited(session, person=person, checkin_id=invited.id, value="", now=now)
            outcome = await engine.answer(session, person=person, message=message, now=now)
    if outcome is None:
        return [Say(NOTHING_OPEN)]
    return outcome.events


async def _unstarted_checkin(
    session: AsyncSession, person: Person, now: datetime
) -> CheckIn | None:
    """The newest open check-in of the person that no conversation has started yet."""
    started = select(FlowRun.checkin_id).where(
        FlowRun.person_id == person.id, FlowRun.checkin_id.is_not(None)
    )
    checkin = await session.scalar(
        select(CheckIn)
        .where(
            CheckIn.person_id == person.id,
            CheckIn.status == CheckInStatus.open,
            CheckIn.id.not_in(started),
        )
        .order_by(CheckIn.scheduled_for.desc())
        .limit(1)
    )
    return checkin if checkin is not None and journeys.is_open(checkin, now) else None


@on(OpenCheckIn)
async def open_invitation(pressed: Pressed, action: OpenCheckIn) -> Outcome:
    """A button of an invitation or a nudge: the check-in it was about."""
    return await open_invited(
        pressed.session,
        person=pressed.person,
        checkin_id=action.checkin_id,
        value=action.value,
        now=pressed.now,
    )


async def open_invited(
    session: AsyncSession, *, person: Person, checkin_id: int, value: str, now: datetime
) -> Outcome:
    """Start (or continue) the check-in an invitation or nudge was about.

    ``value`` is the first question's answer when the teacher tapped one of its buttons.
    """
    try:
        checkin = await access.checkin_for_member(
            session, person_id=person.id, checkin_id=checkin_id
        )
    except NotFound:
        return closed()
    if checkin.status is not CheckInStatus.open or not journeys.is_open(checkin, now):
        return closed()
    run = await session.scalar(
        select(FlowRun).where(
            FlowRun.checkin_id == checkin.id,
            FlowRun.status.in_([FlowStatus.active, FlowStatus.waiting]),
        )
    )
    if run is not None:
        return Outcome(await engine.resume(session, run=run, person=person, now=now))
    inquiry = await session.get(Inquiry, checkin.inquiry_id) if checkin.inquiry_id else None
    if inquiry is None or inquiry.phase is Phase.done:
        circle = await session.get_one(Circle, checkin.circle_id)
        inquiry = await journeys.current_inquiry(
            session, person_id=person.id, circle_id=circle.id
        ) or await journeys.start_inquiry(session, person=person, circle=circle, now=now)
    checkin.inquiry_id, checkin.phase = inquiry.id, inquiry.phase
    flow_id = {Phase.identify: "identify", Phase.codify: "codify"}.get(inquiry.phase, "pilot")
    replies = await engine.begin(
        session,
        person=person,
        flow_id=flow_id,
        now=now,
        checkin_id=checkin.id,
        state={"inquiry_id": inquiry.id},
    )
    run = await engine.active_run(session, person_id=person.id)
    if not value or run is None:
        return Outcome(replies)
    return await engine.press(
        session, person=person, now=now, action=FlowAnswer(run.id, int(run.state["seq"]), value)
    )
