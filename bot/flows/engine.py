"""The conversation engine: runs flows, one step at a time, with state in the database.

It takes what a person sent (an :class:`~bot.flows.inputs.Input` or a button's action)
and returns an :class:`Outcome`: the events of :mod:`bot.flows.events` — a question is an
``Ask`` (its choices with their actions, the selection, Done/Skip/suggestions), a note
about a press a ``Notice``, the question a press answered ``Done``. Texts are
:mod:`circles.text` values; the door renders them for the reader and fits them to its
app. The engine never talks to a channel and never translates.

A question's buttons carry its run and ``seq``; ``seq`` grows each time a question is
asked, so a button pressed twice, or one from an older question or a finished run,
is recognised as closed and changes nothing. What a typed message or a file means for a
step is :mod:`bot.flows.answers` (a choice may be typed: its value, label or number).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.answers import Value, choice_value, labels, read
from bot.flows.buttons import (
    FlowAnswer,
    FlowDone,
    FlowPress,
    FlowSkip,
    FlowSuggestion,
    FlowToggle,
)
from bot.flows.definition import (
    LONG_TEXT_LIMIT,
    AnswerType,
    Flow,
    Step,
    library,
)
from bot.flows.effects import Answered, Completion, Context, Prefill, run_effect
from bot.flows.events import Ask, Choice, Done, Event, Extra, Notice, Say
from bot.flows.inputs import Input, InputKind
from circles.errors import InvalidAnswer
from circles.i18n import N_
from circles.models import Answer, AnswerKind, CheckIn, FlowRun, FlowStatus, Person
from circles.services.journeys import is_open
from circles.text import Part, join, lines, number, t

log = logging.getLogger(__name__)

CLOSED = N_("This question is already closed.")
#: A prefilled step's two answers: keep what the person said before, or write it anew.
KEEP, CHANGE = "keep", "change"
KEEP_LABEL, CHANGE_LABEL = N_("Keep"), N_("Change")

#: What a door shows after an input: the events of :mod:`bot.flows.events`.
Shown = Event


@dataclass
class Outcome:
    """What an input led to: the events to show, in order, and the run it completed.

    A note about the press leads as a ``Notice``, the label it chose as a ``Done``:
    ``Outcome([Notice(...), Done(...), *events])``.
    """

    events: list[Event] = field(default_factory=list)
    completed: FlowRun | None = None

    def __post_init__(self) -> None:
        self.events = list(self.events)


def flow_of(run: FlowRun) -> Flow:
    """The exact flow version a run started on."""
    return library().get(run.flow_id, run.flow_version)


# Built once: every answer runs these.
_ACTIVE_RUN = (
    select(FlowRun)
    .where(FlowRun.person_id == bindparam("person_id"), FlowRun.status == FlowStatus.active)
    .order_by(FlowRun.id.desc())
    .limit(1)
)
_LIVE_RUN = _ACTIVE_RUN.add_columns(CheckIn).outerjoin(CheckIn, CheckIn.id == FlowRun.checkin_id)
_ANSWERS = select(Answer).where(Answer.flow_run_id == bindparam("run_id"))


async def active_run(session: AsyncSession, *, person_id: int) -> FlowRun | None:
    """The person's conversation in progress, if any."""
    return await session.scalar(_ACTIVE_RUN, {"person_id": person_id})


async def answers_of(session: AsyncSession, run: FlowRun) -> dict[str, Answer]:
    """A run's answers by question key."""
    rows = await session.scalars(_ANSWERS, {"run_id": run.id})
    return {answer.question_key: answer for answer in rows}


async def live_run(session: AsyncSession, *, person_id: int, now: datetime) -> FlowRun | None:
    """The active run, unless its check-in has closed (then it expires and None is returned).

    One query reads the run with its check-in: every message and button press asks.
    """
    row = (await session.execute(_LIVE_RUN, {"person_id": person_id})).first()
    if row is None:
        return None
    run, checkin = row
    if checkin is not None and not is_open(checkin, now):
        run.status = FlowStatus.expired
        run.updated_at = now
        return None
    return run


def answer_value(answer: Answer) -> str | None:
    """The comparable value of an answer, as conditions see it."""
    if answer.value_choice is not None:
        return answer.value_choice
    if answer.value_number is not None:
        number = answer.value_number
        return str(int(number)) if number == int(number) else str(number)
    return answer.value_text


def applies(step: Step, answers: dict[str, Answer]) -> bool:
    """Whether the step's conditions hold for the answers so far."""
    for key, wanted in step.when:
        answer = answers.get(key)
        if answer is None or answer_value(answer) not in wanted:
            return False
    return True


def next_step(flow: Flow, after: str | None, answers: dict[str, Answer]) -> Step | None:
    """The first applicable step after ``after`` (or from the start)."""
    start = 0 if after is None else flow.index(after) + 1
    if after is not None and flow.step(after).end:
        return None
    for step in flow.steps[start:]:
        if applies(step, answers):
            return step
    return None


# --- starting and resuming --------------------------------------------------------


async def begin(
    session: AsyncSession,
    *,
    person: Person,
    flow_id: str,
    now: datetime,
    checkin_id: int | None = None,
    meeting_id: int | None = None,
    intro: bool = True,
    state: dict[str, Any] | None = None,
    version: int | None = None,
) -> list[Event]:
    """Start the newest version of ``flow_id`` (or ``version``, for a benchmark or a test);
    an active run of another flow waits."""
    current = await active_run(session, person_id=person.id)
    resume_id = None
    if current is not None:
        current.status = FlowStatus.waiting
        current.updated_at = now
        resume_id = current.id
    flow = library().get(flow_id, version) if version else library().latest(flow_id)
    run = FlowRun(
        person_id=person.id,
        flow_id=flow.id,
        flow_version=flow.version,
        status=FlowStatus.active,
        checkin_id=checkin_id,
        meeting_id=meeting_id,
        state={"seq": 0, "resume": resume_id, **(state or {})},
        started_at=now,
        updated_at=now,
    )
    session.add(run)
    await session.flush()
    first = next_step(flow, None, {})
    assert first is not None, f"{flow.id} has no first step"
    run.current_step = first.key
    events: list[Event] = []
    if intro and flow.intro:
        events.append(Say(t(flow.intro)))
    events.append(await ask(session, run=run, person=person, now=now))
    return events


async def resume(
    session: AsyncSession, *, run: FlowRun, person: Person, now: datetime
) -> list[Event]:
    """Make ``run`` active again and ask its current question anew."""
    current = await active_run(session, person_id=person.id)
    if current is not None and current.id != run.id:
        current.status = FlowStatus.waiting
    run.status = FlowStatus.active
    run.updated_at = now
    return [await ask(session, run=run, person=person, now=now)]


async def ask(
    session: AsyncSession, *, run: FlowRun, person: Person, now: datetime, redraw: bool = False
) -> Ask:
    """The run's current question with fresh buttons (old ones close)."""
    flow = flow_of(run)
    step = flow.step(run.current_step or "")
    state = dict(run.state)
    state["seq"] = int(state.get("seq", 0)) + 1
    ctx = Context(session, flow, step, run, person, {}, now)
    suggestions = await run_effect(step.suggest, ctx) if step.suggest else []
    state["suggestions"] = suggestions
    run.updated_at = now
    seq = state["seq"]
    text: Part = t(step.prompt)
    if step.recall:
        answered = Context(session, flow, step, run, person, await answers_of(session, run), now)
        recalled = await run_effect(step.recall, answered)
        if recalled is not None:
            text = join((recalled, text), "\n\n")
    prefill = await _prefill(session, run=run, step=step, person=person, now=now)
    state.pop("prefilled", None)
    if prefill is not None:
        state["prefilled"] = step.key
        shown = (
            join((text, lines(t("From what you told me:"), prefill.shown)), "\n\n"),
            t("Keep this, or change it?"),
        )
        keep_or_change = tuple(
            Choice(value, t(label), FlowAnswer(run.id, seq, value))
            for value, label in ((KEEP, KEEP_LABEL), (CHANGE, CHANGE_LABEL))
        )
        run.state = state
        return Ask(join(shown, "\n\n"), keep_or_change, accepts=_accepts(step), redraw=redraw)
    run.state = state
    selected: frozenset[str] = frozenset()
    choices: tuple[Choice, ...] = ()
    extra: list[Extra] = []
    if step.type in (AnswerType.single_choice, AnswerType.yes_no, AnswerType.scale):
        shown = labels(step)
        choices = tuple(Choice(v, shown[v], FlowAnswer(run.id, seq, v)) for v in step.values)
        # the choice in effect, e.g. the language now in use
        scale = step.type is AnswerType.scale
        current = await run_effect(step.current, ctx) if step.current and not scale else None
        selected = frozenset({current} if current in step.values else ())
    elif step.type is AnswerType.multi_choice:
        shown = labels(step)
        choices = tuple(Choice(v, shown[v], FlowToggle(run.id, seq, v)) for v in step.values)
        selected = frozenset(state.get("selected", {}).get(step.key, []))
        extra.append(Extra(t("Done"), FlowDone(run.id, seq), control=True))
    extra += [Extra(label, FlowSuggestion(run.id, seq, n)) for n, label in enumerate(suggestions)]
    if step.optional:
        extra.append(Extra(t(step.skip_label or "Skip"), FlowSkip(run.id, seq), control=True))
    if step.type is AnswerType.long_text:
        hint = (
            t("(Up to {limit} characters, or a voice note.)", limit=number(LONG_TEXT_LIMIT))
            if step.accept_voice
            else t("(Up to {limit} characters.)", limit=number(LONG_TEXT_LIMIT))
        )
        text = join((text, hint), "\n\n")
    return Ask(
        text,
        choices,
        multiple=step.type is AnswerType.multi_choice,
        selected=selected,
        extra=tuple(extra),
        accepts=_accepts(step),
        scale=step.type is AnswerType.scale,
        redraw=redraw,
    )


async def _prefill(
    session: AsyncSession, *, run: FlowRun, step: Step, person: Person, now: datetime
) -> Prefill | None:
    """What the person said before for ``step``, to keep or change; None: ask it plainly.

    A step already answered in this run (asked again by "Change a part" or /edit), or one
    the person chose to change, is asked plainly.
    """
    if not step.prefill or run.state.get("changing") == step.key:
        return None
    answers = await answers_of(session, run)
    if step.key in answers:
        return None
    ctx = Context(session, flow_of(run), step, run, person, answers, now)
    return await run_effect(step.prefill, ctx)


def _accepts(step: Step) -> frozenset[str]:
    """The kinds of message a step takes besides its buttons."""
    match step.type:
        case AnswerType.short_text | AnswerType.number:
            return frozenset({"text"})
        case AnswerType.long_text:
            kinds = {"text"}
            if step.accept_voice:
                kinds.add("voice")
            if step.accept_media:
                kinds |= {"photo", "document"}
            return frozenset(kinds)
        case AnswerType.media:
            return frozenset({"photo", "document"})
    return frozenset({"text"})  # a choice can be typed: its label, value or number


# --- answering ---------------------------------------------------------------------


async def answer(
    session: AsyncSession, *, person: Person, message: Input, now: datetime
) -> Outcome | None:
    """Take a typed message or a file as the answer to the current question.

    Returns None when no conversation is running. A bad answer gets a localized
    explanation and the question again; nothing is stored.
    """
    run = await live_run(session, person_id=person.id, now=now)
    if run is None:
        return None
    step = flow_of(run).step(run.current_step or "")
    try:
        value = await validate(session, run=run, step=step, message=message, person=person, now=now)
    except InvalidAnswer as invalid:
        text = t(invalid.message, **invalid.params)
        return Outcome([Say(text), await ask(session, run=run, person=person, now=now)])
    return await _accept(
        session, run=run, step=step, value=value, person=person, now=now, ref=message.ref
    )


async def press(
    session: AsyncSession,
    *,
    person: Person,
    action: FlowPress | None,
    now: datetime,
    flows: frozenset[str] | None = None,
) -> Outcome:
    """Take a button press (None: unreadable data); closed or foreign buttons change nothing.

    ``flows``, if given, are the only flows whose questions may be answered (someone who
    has not consented answers only their onboarding).
    """
    closed = Outcome([Notice(t(CLOSED))])
    # Only the person's live run takes presses: this also closes buttons of other people,
    # of finished runs, and of a check-in whose week has ended.
    run = await live_run(session, person_id=person.id, now=now)
    if (
        action is None
        or run is None
        or (flows is not None and run.flow_id not in flows)
        or run.id != action.run_id
        or int(run.state.get("seq", -1)) != action.seq
    ):
        return closed
    step = flow_of(run).step(run.current_step or "")
    prefilled = run.state.get("prefilled") == step.key
    match action:
        case FlowAnswer(choice=raw) if prefilled and raw == KEEP:
            kept = await _prefill(session, run=run, step=step, person=person, now=now)
            if kept is None:
                return closed
            outcome = await _accept(
                session, run=run, step=step, value=kept.value, person=person, now=now, kept=True
            )
            outcome.events.insert(0, Done(t(KEEP_LABEL)))
            return outcome
        case FlowAnswer(choice=raw) if prefilled and raw == CHANGE:
            state = dict(run.state)
            state["changing"] = step.key
            run.state = state
            return Outcome(
                [Done(t(CHANGE_LABEL)), await ask(session, run=run, person=person, now=now)]
            )
        case FlowSkip():
            if not step.optional:
                return closed
            return await _accept(session, run=run, step=step, value=None, person=person, now=now)
        case FlowToggle(value=raw) if step.type is AnswerType.multi_choice and raw in step.values:
            return await _toggle(session, run=run, step=step, value=raw, person=person, now=now)
        case FlowDone() if step.type is AnswerType.multi_choice:
            selected = run.state.get("selected", {}).get(step.key, [])
            chosen = [v for v in step.values if v in selected]
            if not chosen:
                return Outcome([Notice(t("Please choose at least one."))])
            value = Value(AnswerKind.choice, text=",".join(chosen))
            return await _accept(session, run=run, step=step, value=value, person=person, now=now)
        case FlowSuggestion(index=index):
            suggestions = run.state.get("suggestions", [])
            if index >= len(suggestions):
                return closed
            return (
                await answer(
                    session,
                    person=person,
                    now=now,
                    message=Input(InputKind.text, text=suggestions[index]),
                )
                or closed
            )
        case FlowAnswer(choice=raw) if raw in step.values:
            value = choice_value(step, raw)
            outcome = await _accept(
                session, run=run, step=step, value=value, person=person, now=now
            )
            outcome.events.insert(0, Done(labels(step)[raw]))
            return outcome
    return closed


async def _toggle(
    session: AsyncSession, *, run: FlowRun, step: Step, value: str, person: Person, now: datetime
) -> Outcome:
    state = dict(run.state)
    selected = dict(state.get("selected", {}))
    chosen = set(selected.get(step.key, []))
    chosen ^= {value}
    selected[step.key] = sorted(chosen)
    state["selected"] = selected
    run.state = state
    return Outcome([await ask(session, run=run, person=person, now=now, redraw=True)])


async def validate(
    session: AsyncSession,
    *,
    run: FlowRun,
    step: Step,
    message: Input,
    person: Person,
    now: datetime,
) -> Value:
    """Turn a message into a value for ``step`` or raise :class:`InvalidAnswer`.

    The rules are :func:`bot.flows.answers.read`; then the step's ``check`` effect, if it
    names one, may refuse or normalise typed text (a timezone's name).
    """
    value = read(step, message, person.language)
    if step.check and value.kind is AnswerKind.text and value.text is not None:
        ctx = Context(session, flow_of(run), step, run, person, {}, now)
        value = Value(AnswerKind.text, text=await run_effect(step.check, ctx, value.text))
    return value


async def _accept(
    session: AsyncSession,
    *,
    run: FlowRun,
    step: Step,
    value: Value | None,
    person: Person,
    now: datetime,
    ref: str | None = None,
    kept: bool = False,
) -> Outcome:
    """Store the answer (None: skipped), run the step's hook, and move on.

    ``kept``: the answer is the step's prefill, kept as it was (listed in the run's state).
    """
    flow = flow_of(run)
    if step.prefill:
        state = dict(run.state)
        state.pop("changing", None)
        state.pop("prefilled", None)
        others = [key for key in state.get("kept", []) if key != step.key]
        state["kept"] = [*others, step.key] if kept else others
        run.state = state
    answers = await answers_of(session, run)
    stored = answers.get(step.key)
    if value is None:
        if stored is not None:
            await session.delete(stored)
            del answers[step.key]
    else:
        stored = stored or Answer(
            flow_run_id=run.id,
            person_id=person.id,
            checkin_id=run.checkin_id,
            flow_id=flow.id,
            flow_version=flow.version,
            question_key=step.key,
            kind=value.kind,
            created_at=now,
        )
        stored.kind = value.kind
        stored.value_text, stored.value_choice = value.text, value.choice
        stored.value_number, stored.file_id = value.number, value.file_id
        stored.file_duration, stored.updated_at = value.duration, now
        stored.message_ref = ref
        session.add(stored)
        answers[step.key] = stored
    await session.flush()
    effect = Answered()
    if step.on_answer:
        ctx = Context(session, flow, step, run, person, answers, now)
        effect = await run_effect(step.on_answer, ctx, answers.get(step.key))
    outcome = Outcome(effect.replies)
    returning = run.state.get("return_to")
    if effect.again:
        # e.g. "What do these mean?": explained, then the same question; nothing is kept
        kept = answers.pop(step.key, None)
        if kept is not None:
            await session.delete(kept)
            await session.flush()
        outcome.events.append(await ask(session, run=run, person=person, now=now))
        return outcome
    if effect.detour is not None:
        # e.g. codify's "Change a part": that part's question, then back to the last look
        state = dict(run.state)
        state["return_to"] = effect.back or step.key
        run.state = state
        run.current_step = flow.step(effect.detour).key
        outcome.events.append(await ask(session, run=run, person=person, now=now))
        return outcome
    if effect.stop:
        following = None
    elif returning is not None:
        following = flow.step(returning) if returning != "" else None
    else:
        following = next_step(flow, step.key, answers)
    if following is not None:
        run.current_step = following.key
        _clear(run, "return_to")
        outcome.events.append(await ask(session, run=run, person=person, now=now))
        return outcome
    return await _complete(
        session,
        run=run,
        flow=flow,
        person=person,
        answers=answers,
        now=now,
        outcome=outcome,
        edited=returning is not None,
    )


def _clear(run: FlowRun, key: str) -> None:
    if key in run.state:
        state = dict(run.state)
        state.pop(key)
        run.state = state


async def _complete(
    session: AsyncSession,
    *,
    run: FlowRun,
    flow: Flow,
    person: Person,
    answers: dict[str, Answer],
    now: datetime,
    outcome: Outcome,
    edited: bool,
) -> Outcome:
    run.status = FlowStatus.completed
    run.current_step = None
    run.updated_at = now
    _clear(run, "return_to")
    state = dict(run.state)
    state["seq"] = int(state.get("seq", 0)) + 1  # close the last buttons
    run.state = state
    if edited:
        outcome.events.append(Say(t("Your answer is updated.")))
    elif flow.outro:
        outcome.events.append(Say(t(flow.outro)))
    completion = Completion()
    if flow.on_complete:
        ctx = Context(session, flow, None, run, person, answers, now)
        completion = await run_effect(flow.on_complete, ctx, edited)
    outcome.events += completion.replies
    outcome.completed = run
    if completion.begin is not None:
        state = dict(completion.state)
        checkin_id = state.pop("checkin_id", None)
        outcome.events += await begin(
            session,
            person=person,
            flow_id=completion.begin,
            now=now,
            checkin_id=checkin_id,
            state=state,
        )
        return outcome
    resume_id = run.state.get("resume")
    if resume_id and await active_run(session, person_id=person.id) is None:
        waiting = await session.get(FlowRun, int(resume_id))
        if waiting is not None and waiting.status is FlowStatus.waiting:
            outcome.events += await resume(session, run=waiting, person=person, now=now)
    return outcome


async def reopen(
    session: AsyncSession, *, run: FlowRun, step_key: str, person: Person, now: datetime
) -> list[Event]:
    """Ask ``step_key`` of ``run`` again (``/edit``), then return to where the run was."""
    state = dict(run.state)
    state["return_to"] = run.current_step or ""
    run.state = state
    run.current_step = step_key
    return await resume(session, run=run, person=person, now=now)
