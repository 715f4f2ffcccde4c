"""What a member can ask for: check-ins, their journey, settings, their data.

Each function takes the sender and returns replies (or an engine ``Outcome`` for
buttons); the Telegram door only parses and renders.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import engine, facilitator, meetings, practices
from bot.flows.buttons import (
    FACILITATOR_TAGS,
    Action,
    AdoptPractice,
    Browse,
    CancelMeeting,
    Codify,
    EditAnswer,
    FacilitatorCommand,
    FlowAnswer,
    FlowDone,
    FlowSkip,
    FlowSuggestion,
    FlowToggle,
    ForgetConfirm,
    KeepData,
    KeepPiloting,
    MoveMeeting,
    NewInquiry,
    OpenCheckIn,
    Pause,
    ReadPractice,
    Reflect,
    RestartDigest,
    Review,
    RevisePractice,
    Rsvp,
    SearchPage,
    StopDigest,
    decode,
    encode,
    family,
)
from bot.flows.engine import Outcome
from bot.flows.hooks import CHECKIN_FLOWS, trend_line
from bot.flows.inputs import Input
from bot.flows.messages import Attachment, Button, Reply, Sender
from circles.errors import NotFound
from circles.i18n import N_, _, format_datetime, format_number, ngettext, use_language
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
from circles.services import access, inquiries, journeys, privacy
from circles.services.people import find_person
from circles.services.schedule import next_occurrence
from circles.settings import Settings

PHASE_NAMES = {
    Phase.identify: N_("identify"),
    Phase.pilot: N_("pilot"),
    Phase.codify: N_("codify"),
    Phase.done: N_("done"),
}
#: How long a "yes, erase everything" button stays valid.
FORGET_CONFIRM_WINDOW = timedelta(minutes=30)
PAUSE_CHOICES = (7, 14, 28)
#: "Until I resume" pauses for this long at most, so nobody is forgotten for ever.
PAUSE_UNTIL_RESUME = timedelta(days=365)

_NOTHING_OPEN = N_(
    "There is no open question right now. Send /checkin to open your check-in, "
    "or /help to see what you can do."
)
_NOT_MEMBER = N_(
    "You are not in a circle yet. Open the invite link from your facilitator, or send "
    "/start followed by the invite code."
)
_NO_CONSENT = N_(
    "You have not agreed to let me store your answers, so there is nothing I can do here yet. "
    "Send /start to see the question again."
)


async def _member(session: AsyncSession, sender: Sender) -> Person | None:
    person = await find_person(session, channel=sender.channel, address=sender.address)
    if person is None or person.forgotten_at is not None:
        return None
    return person


def _say(
    person: Person | None, sender: Sender, settings: Settings, message: str, **params: object
) -> list[Reply]:
    language = person.language if person else sender.language_code
    with use_language(language, settings.default_language):
        return [Reply(_(message).format(**params))]


async def _consented(
    session: AsyncSession, sender: Sender, settings: Settings, now: datetime
) -> tuple[Person | None, list[Reply]]:
    """The person if they may use member commands, else the reply explaining why not."""
    person = await _member(session, sender)
    if person is None:
        return None, _say(None, sender, settings, _NOT_MEMBER)
    if person.consent is not Consent.given:
        running = await engine.active_run(session, person_id=person.id)
        if running is not None and running.flow_id == "onboarding":
            return None, [await engine.ask(session, run=running, person=person, now=now)]
        return None, _say(person, sender, settings, _NO_CONSENT)
    return person, []


# --- check-ins ------------------------------------------------------------------------


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


async def checkin(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> list[Reply]:
    """Open (or continue) the check-in that fits the teacher's phase."""
    person, refusal = await _consented(session, sender, settings, now)
    if person is None:
        return refusal
    place = await journeys.teacher_place(session, person_id=person.id)
    if place is None:
        return _say(
            person,
            sender,
            settings,
            N_("Check-ins are for the teachers of a circle. Send /help to see what you can do."),
        )
    started = await _open_checkin_run(session, person, now)
    if started is not None:
        with use_language(person.language):
            note = Reply(_("Let's continue where you stopped."))
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
        upcoming = format_datetime(
            next_occurrence(place.circle, person.timezone, now), person.timezone, person.language
        )
        if week is not None and week.status in (CheckInStatus.answered, CheckInStatus.skipped):
            return _say(
                person,
                sender,
                settings,
                N_("You have already checked in this week. Your next check-in opens on {date}."),
                date=upcoming,
            )
        return _say(
            person,
            sender,
            settings,
            N_("This week's check-in has closed. Your next check-in opens on {date}."),
            date=upcoming,
        )
    return await engine.begin(
        session,
        person=person,
        flow_id="pilot",
        now=now,
        checkin_id=week.id,
        state={"inquiry_id": inquiry.id},
    )


async def skip(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> list[Reply]:
    """Skip this week's check-in, asking for a reason."""
    person, refusal = await _consented(session, sender, settings, now)
    if person is None:
        return refusal
    place = await journeys.teacher_place(session, person_id=person.id)
    inquiry = place and await journeys.current_inquiry(
        session, person_id=person.id, circle_id=place.circle.id
    )
    if place is None or inquiry is None:
        return _say(person, sender, settings, N_("There is no check-in to skip this week."))
    week = await journeys.this_weeks_checkin(
        session, person=person, circle=place.circle, inquiry=inquiry, now=now
    )
    if week is None:
        return _say(person, sender, settings, N_("There is no check-in to skip this week."))
    if week.status is not CheckInStatus.open:
        return _say(
            person,
            sender,
            settings,
            N_("This week's check-in is already answered or skipped; there is nothing to skip."),
        )
    started = await _open_checkin_run(session, person, now)
    if started is not None and started.checkin_id == week.id:
        started.status = FlowStatus.cancelled
    return await engine.begin(session, person=person, flow_id="skip", now=now, checkin_id=week.id)


async def search_practices(
    session: AsyncSession, *, sender: Sender, words: str, settings: Settings, now: datetime
) -> list[Reply]:
    """``/practices [words]``: search the repository, or browse it by strategy."""
    person, refusal = await _consented(session, sender, settings, now)
    if person is None:
        return refusal
    return await practices.search(session, person=person, words=words)


async def my_practices(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> list[Reply]:
    """``/mypractices``: one's own practices, their status, and Revise."""
    person, refusal = await _consented(session, sender, settings, now)
    if person is None:
        return refusal
    return await practices.mine(session, person=person)


async def journey(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> list[Reply]:
    """Phase, practice, iterations, ratings trend and last reflection, on one screen."""
    person, refusal = await _consented(session, sender, settings, now)
    if person is None:
        return refusal
    inquiry = await journeys.latest_inquiry(session, person_id=person.id)
    reflection = await journeys.last_reflection(session, person_id=person.id)
    with use_language(person.language):
        lines = [_("Your journey")]
        buttons: tuple[tuple[Button, ...], ...] = ()
        if inquiry is None:
            lines.append(_("You have not started an inquiry yet. Send /checkin to begin."))
        else:
            lines.append(_("Phase: {phase}").format(phase=_(PHASE_NAMES[inquiry.phase])))
            if inquiry.practice:
                lines.append(_("Practice: {practice}").format(practice=_short(inquiry.practice)))
            count = await journeys.pilot_iterations(session, inquiry_id=inquiry.id)
            lines.append(_("Pilot weeks: {count}").format(count=format_number(count)))
            ratings = await journeys.ratings(session, inquiry_id=inquiry.id)
            if ratings:
                lines.append(_("Ratings: {trend}").format(trend=trend_line(ratings)))
            if inquiry.phase is Phase.pilot and count >= 1:
                buttons = ((Button(_("Codify my practice"), encode(Codify(inquiry.id))),),)
            if inquiry.phase is Phase.done:
                buttons = ((Button(_("Start a new inquiry"), encode(NewInquiry())),),)
        if reflection is not None:
            said = reflection.learnt or reflection.one_word or "…"
            lines.append(_("Last reflection: {text}").format(text=_short(said)))
        return [Reply("\n".join(lines), buttons)]


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def edit(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> list[Reply]:
    """Offer the answers of the latest open check-in for changing."""
    person, refusal = await _consented(session, sender, settings, now)
    if person is None:
        return refusal
    run = await _latest_editable_run(session, person, now)
    if run is None:
        return _say(
            person, sender, settings, N_("There is no open check-in with answers to change.")
        )
    flow = engine.flow_of(run)
    answers = await engine.answers_of(session, run)
    with use_language(person.language):
        rows = tuple(
            (
                Button(
                    _short(_(step.prompt).split("\n")[0], 60),
                    encode(EditAnswer(run.id, step.key)),
                ),
            )
            for step in flow.steps
            if step.key in answers
        )
        return [Reply(_("Which answer do you want to change?"), rows)]


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


async def edited_message(
    session: AsyncSession, *, sender: Sender, message: Input, settings: Settings, now: datetime
) -> list[Reply]:
    """A message the person edited: update its answer while the check-in is open."""
    person = await _member(session, sender)
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
        return _say(
            person, sender, settings, N_("This check-in is closed, so your edit was not saved.")
        )
    step = engine.flow_of(run).step(answer.question_key)
    with use_language(person.language):
        try:
            value = await engine.validate(
                session, run=run, step=step, message=message, person=person, now=now
            )
        except engine.InvalidAnswer as invalid:
            return [
                Reply(
                    _(invalid.message).format(**invalid.params)
                    + "\n"
                    + _("Your earlier answer is kept.")
                )
            ]
        answer.value_text, answer.file_id = value.text, value.file_id
        answer.value_number, answer.value_choice = value.number, value.choice
        answer.kind, answer.updated_at = value.kind, now
        return [Reply(_("Your answer is updated."))]


async def start_reflection(
    session: AsyncSession, *, person: Person, circle_id: int, meeting_id: int | None, now: datetime
) -> list[Reply]:
    """Ask a member for their reflection on a circle meeting (sent by the scheduler)."""
    return await engine.begin(
        session,
        person=person,
        flow_id="reflection",
        now=now,
        meeting_id=meeting_id,
        state={"circle_id": circle_id},
    )


# --- settings -------------------------------------------------------------------------


async def settings_flow(
    session: AsyncSession, *, sender: Sender, flow_id: str, settings: Settings, now: datetime
) -> list[Reply]:
    """``/language`` and ``/timezone``: a one-question flow; a check-in waits meanwhile."""
    person, refusal = await _consented(session, sender, settings, now)
    if person is None:
        return refusal
    return await engine.begin(session, person=person, flow_id=flow_id, now=now)


async def pause(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> list[Reply]:
    """Offer how long to pause reminders."""
    person, refusal = await _consented(session, sender, settings, now)
    if person is None:
        return refusal
    with use_language(person.language):
        rows = [
            (
                Button(
                    ngettext("{count} day", "{count} days", days).format(count=format_number(days)),
                    encode(Pause(days)),
                ),
            )
            for days in PAUSE_CHOICES
        ]
        rows.append((Button(_("Until I send /resume"), encode(Pause(0))),))
        return [Reply(_("For how long should I pause your check-ins and reminders?"), tuple(rows))]


async def resume_reminders(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> list[Reply]:
    """End a pause."""
    person, refusal = await _consented(session, sender, settings, now)
    if person is None:
        return refusal
    if person.paused_until is None or person.paused_until <= now:
        person.paused_until = None
        return _say(person, sender, settings, N_("Your check-ins are not paused."))
    person.paused_until = None
    return _say(
        person,
        sender,
        settings,
        N_("Welcome back! Your check-ins and reminders are on again. Send /checkin to continue."),
    )


async def cancel(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> list[Reply]:
    """Stop the current conversation; a check-in can be finished later with /checkin."""
    person = await _member(session, sender)
    run = await engine.active_run(session, person_id=person.id) if person else None
    if person is None or run is None:
        return _say(person, sender, settings, N_("There is nothing to cancel."))
    run.updated_at = now
    if run.flow_id in CHECKIN_FLOWS:
        run.status = FlowStatus.waiting
        return _say(
            person,
            sender,
            settings,
            N_("Stopped. Your answers so far are saved; send /checkin to finish later."),
        )
    run.status = FlowStatus.cancelled
    return _say(person, sender, settings, N_("Cancelled."))


# --- personal data --------------------------------------------------------------------


async def mydata(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> list[Reply]:
    """A JSON file with everything stored about the person."""
    person = await _member(session, sender)
    if person is None:
        return _say(None, sender, settings, N_("I have no data about you."))
    data = await privacy.export_person_data(session, person=person)
    content = json.dumps(data, ensure_ascii=False, indent=2).encode()
    with use_language(person.language):
        return [
            Reply(
                _("Here is everything I store about you."),
                attachment=Attachment("my-learning-circles-data.json", content),
            )
        ]


async def forgetme(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> list[Reply]:
    """Ask to confirm erasure."""
    person = await _member(session, sender)
    if person is None:
        return _say(None, sender, settings, N_("I have no data about you."))
    stamp = int(now.timestamp())
    with use_language(person.language):
        text = _(
            "This erases your name, your answers, photos, voice notes and reflections, and "
            "removes you from your circle. It cannot be undone. Anonymous counts (how many "
            "check-ins were answered) stay. Erase everything?"
        )
        rows = (
            (Button(_("Yes, erase everything"), encode(ForgetConfirm(stamp))),),
            (Button(_("No, keep my data"), encode(KeepData())),),
        )
        return [Reply(text, rows)]


# --- free messages and buttons ----------------------------------------------------------


async def message(
    session: AsyncSession, *, sender: Sender, message: Input, settings: Settings, now: datetime
) -> list[Reply]:
    """A message that is not a command: the answer to the open question, if there is one."""
    person = await _member(session, sender)
    if person is None:
        return _say(None, sender, settings, _NOT_MEMBER)
    outcome = await engine.answer(session, person=person, message=message, now=now)
    if outcome is None and person.consent is Consent.given:
        # A typed answer to a check-in invitation starts that check-in's conversation.
        invited = await _unstarted_checkin(session, person, now)
        if invited is not None:
            await open_invited(session, person=person, checkin_id=invited.id, value="", now=now)
            outcome = await engine.answer(session, person=person, message=message, now=now)
    if outcome is None:
        return _say(person, sender, settings, _NOTHING_OPEN)
    return outcome.replies


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


async def open_invited(
    session: AsyncSession, *, person: Person, checkin_id: int, value: str, now: datetime
) -> Outcome:
    """Start (or continue) the check-in an invitation or nudge was about.

    ``value`` is the first question's answer when the teacher tapped one of its buttons.
    """
    with use_language(person.language):
        closed = Outcome(notice=_(engine.CLOSED))
    try:
        checkin = await access.checkin_for_member(
            session, person_id=person.id, checkin_id=checkin_id
        )
    except NotFound:
        return closed
    if checkin.status is not CheckInStatus.open or not journeys.is_open(checkin, now):
        return closed
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


#: The only flows whose questions someone who has not consented may answer: onboarding
#: (where consent is asked) and a coordinator's broadcast, which acts with the rights of
#: the coordinator's token (checked by /broadcast before it starts), not as a member.
_WITHOUT_CONSENT = frozenset({"onboarding", "broadcast"})


async def button(
    session: AsyncSession, *, sender: Sender, data: str, settings: Settings, now: datetime
) -> Outcome:
    """A pressed button, from Telegram or the simulator: the one door every button takes.

    Consent comes first: someone unknown presses nothing, someone who has not consented
    only the answers of their onboarding (a coordinator: of their broadcast) and the
    confirmation of /forgetme. The data is read once by :func:`~bot.flows.buttons.decode`
    (ids with :func:`~bot.flows.ids.parse_id`); every id is checked against the presser in
    :mod:`circles.services.access` by the branch that acts on it; whatever is refused or
    unreadable gets the answer of a closed button, as an unknown id does.
    """
    person = await _member(session, sender)
    if person is None:
        with use_language(sender.language_code, settings.default_language):
            return Outcome(notice=_(engine.CLOSED))
    action = decode(data)
    if person.consent is not Consent.given:
        # Open to everyone the bot holds data about: confirming or declining /forgetme.
        if isinstance(action, ForgetConfirm | KeepData):
            return await _action(session, person=person, action=action, now=now)
        flow_press = action if isinstance(action, _FLOW_PRESSES) else None
        return await engine.press(
            session, person=person, action=flow_press, now=now, flows=_WITHOUT_CONSENT
        )
    match action:
        case FacilitatorCommand() | Review():
            return Outcome(
                await facilitator.button(
                    session, sender=sender, action=action, settings=settings, now=now
                )
            )
        case None if family(data) in FACILITATOR_TAGS:
            # A facilitator's unreadable button is answered like their closed ones: a message.
            return Outcome(
                await facilitator.button(
                    session, sender=sender, action=None, settings=settings, now=now
                )
            )
        case (
            SearchPage()
            | Browse()
            | ReadPractice()
            | AdoptPractice()
            | RevisePractice()
            | StopDigest()
            | RestartDigest()
        ):
            return await practices.button(session, person=person, action=action, now=now)
        case OpenCheckIn(checkin_id=checkin_id, value=value):
            return await open_invited(
                session, person=person, checkin_id=checkin_id, value=value, now=now
            )
        case Rsvp() | Reflect() | MoveMeeting() | CancelMeeting():
            return await meetings.action(session, person=person, action=action, now=now)
        case FlowAnswer() | FlowSuggestion() | FlowToggle() | FlowDone() | FlowSkip() | None:
            return await engine.press(session, person=person, action=action, now=now)
    return await _action(session, person=person, action=action, now=now)


_FLOW_PRESSES = (FlowAnswer, FlowSuggestion, FlowToggle, FlowDone, FlowSkip)


async def _action(
    session: AsyncSession, *, person: Person, action: Action, now: datetime
) -> Outcome:
    """A member's own ``x:`` action: pause, erasure, and the steps of the inquiry journey."""
    with use_language(person.language):
        closed = Outcome(notice=_(engine.CLOSED))
        match action:
            case Pause(days=days) if days in PAUSE_CHOICES or days == 0:
                until = now + (timedelta(days=days) if days else PAUSE_UNTIL_RESUME)
                person.paused_until = until
                text = (
                    _("Paused until {date}. Send /resume to come back earlier.").format(
                        date=format_datetime(until, person.timezone)
                    )
                    if days
                    else _("Paused. Send /resume when you want your check-ins back.")
                )
                return Outcome([Reply(text)], chosen=_("Paused"))
            case KeepData():
                return Outcome([Reply(_("Nothing was erased."))], chosen=_("No, keep my data"))
            case ForgetConfirm(stamp=stamp):
                # Compared as seconds: a forged stamp far from now is no date at all.
                if not 0 <= int(now.timestamp()) - stamp <= FORGET_CONFIRM_WINDOW.total_seconds():
                    return closed
                await privacy.forget_person(session, person=person, now=now)
                return Outcome(
                    [Reply(_("Everything about you is erased. Thank you for taking part."))],
                    chosen=_("Yes, erase everything"),
                )
            case Codify(inquiry_id=inquiry_id):
                try:
                    inquiry = await access.inquiry_for_member(
                        session, person_id=person.id, inquiry_id=inquiry_id
                    )
                except NotFound:
                    return closed
                if inquiry.phase is not Phase.pilot:
                    return closed
                await inquiries.start_codifying(session, inquiry=inquiry, now=now)
                replies = await engine.begin(
                    session,
                    person=person,
                    flow_id="codify",
                    now=now,
                    state={"inquiry_id": inquiry.id},
                )
                return Outcome(replies, chosen=_("Codify my practice"))
            case KeepPiloting():
                return Outcome(
                    [Reply(_("Good, keep piloting. I will ask you again next week."))],
                    chosen=_("Keep piloting"),
                )
            case NewInquiry():
                place = await journeys.teacher_place(session, person_id=person.id)
                if (
                    place is None
                    or await journeys.current_inquiry(
                        session, person_id=person.id, circle_id=place.circle.id
                    )
                    is not None
                ):
                    return closed
                inquiry = await journeys.start_inquiry(
                    session, person=person, circle=place.circle, now=now
                )
                replies = await engine.begin(
                    session,
                    person=person,
                    flow_id="identify",
                    now=now,
                    state={"inquiry_id": inquiry.id},
                )
                return Outcome(replies, chosen=_("Start a new inquiry"))
            case EditAnswer(run_id=run_id, step_key=step_key):
                # Only the person's own latest open check-in can be edited.
                run = await _latest_editable_run(session, person, now)
                if run is None or run.id != run_id:
                    return closed
                answers = await engine.answers_of(session, run)
                if step_key not in answers:
                    return closed
                return Outcome(
                    await engine.reopen(session, run=run, step_key=step_key, person=person, now=now)
                )
    return closed


#: The commands of a teacher (and of every member: pause, language, data, …), each answered
#: by the function above; the Telegram handlers and the web simulator share this map.
COMMANDS: dict[str, Callable[..., Awaitable[list[Reply]]]] = {
    "checkin": checkin,
    "journey": journey,
    "edit": edit,
    "skip": skip,
    "pause": pause,
    "resume": resume_reminders,
    "language": partial(settings_flow, flow_id="language"),
    "timezone": partial(settings_flow, flow_id="timezone"),
    "mypractices": my_practices,
    "mydata": mydata,
    "forgetme": forgetme,
    "cancel": cancel,
}
