"""The conversation engine: runs flows, one step at a time, with state in the database.

It takes what a person sent (an :class:`~bot.flows.inputs.Input` or a button's data)
and returns an :class:`Outcome`: replies to show, and for button presses a short
notice and the label the person chose. It never talks to a channel.

Buttons carry ``<verb>:<run id>:<seq>[:<value>]``. ``seq`` grows each time a question is
asked, so a button pressed twice, or one from an older question or a finished run,
is recognised as closed and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.buttons import (
    FlowAnswer,
    FlowDone,
    FlowPress,
    FlowSkip,
    FlowSuggestion,
    FlowToggle,
    encode,
)
from bot.flows.definition import (
    LONG_TEXT_LIMIT,
    SHORT_TEXT_LIMIT,
    AnswerType,
    Flow,
    Step,
    library,
)
from bot.flows.effects import Answered, Completion, Context, run_effect
from bot.flows.inputs import Input, InputKind
from bot.flows.messages import Button, Reply, settled
from circles.errors import InvalidAnswer
from circles.i18n import N_, _, format_number, use_language
from circles.models import Answer, AnswerKind, CheckIn, FlowRun, FlowStatus, Person
from circles.services.journeys import is_open
from circles.text import Part, render

log = logging.getLogger(__name__)

CLOSED = N_("This question is already closed.")


@dataclass
class Outcome:
    """What to show after an input."""

    replies: list[Reply] = field(default_factory=list)
    notice: Part | None = None  # a short note for a button press ("already closed")
    chosen: Part | None = None  # the label of the button that was accepted
    keyboard: Reply | None = None  # a multiple-choice prompt redrawn with the new selection
    completed: FlowRun | None = None

    def settled(self) -> Outcome:
        """Everything rendered in the current language (see ``messages.settled``)."""
        return Outcome(
            replies=[settled(reply) for reply in self.replies],
            notice=None if self.notice is None else render(self.notice),
            chosen=None if self.chosen is None else render(self.chosen),
            keyboard=None if self.keyboard is None else settled(self.keyboard),
            completed=self.completed,
        )


@dataclass(frozen=True)
class Value:
    """A validated answer, ready to store."""

    kind: AnswerKind
    text: str | None = None
    choice: str | None = None
    number: float | None = None
    file_id: str | None = None
    duration: int | None = None


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
) -> list[Reply]:
    """Start the newest version of ``flow_id``; an active run of another flow waits."""
    current = await active_run(session, person_id=person.id)
    resume_id = None
    if current is not None:
        current.status = FlowStatus.waiting
        current.updated_at = now
        resume_id = current.id
    flow = library().latest(flow_id)
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
    replies = []
    with use_language(person.language):
        if intro and flow.intro:
            replies.append(Reply(_(flow.intro)))
    replies.append(await ask(session, run=run, person=person, now=now))
    return replies


async def resume(
    session: AsyncSession, *, run: FlowRun, person: Person, now: datetime
) -> list[Reply]:
    """Make ``run`` active again and ask its current question anew."""
    current = await active_run(session, person_id=person.id)
    if current is not None and current.id != run.id:
        current.status = FlowStatus.waiting
    run.status = FlowStatus.active
    run.updated_at = now
    return [await ask(session, run=run, person=person, now=now)]


async def ask(session: AsyncSession, *, run: FlowRun, person: Person, now: datetime) -> Reply:
    """Render the run's current question with fresh buttons (old ones close)."""
    flow = flow_of(run)
    step = flow.step(run.current_step or "")
    state = dict(run.state)
    state["seq"] = int(state.get("seq", 0)) + 1
    ctx = Context(session, flow, step, run, person, {}, now)
    suggestions = await run_effect(step.suggest, ctx) if step.suggest else []
    state["suggestions"] = suggestions
    run.state = state
    run.updated_at = now
    seq = state["seq"]
    with use_language(person.language):
        text = _(step.prompt)
        rows: list[tuple[Button, ...]] = []
        if step.type in (AnswerType.single_choice, AnswerType.yes_no):
            labels = _labels(step)
            # the choice in effect, e.g. the language now in use
            current = await run_effect(step.current, ctx) if step.current else None
            rows = [
                (
                    Button(
                        ("✓ " if v == current else "") + labels[v],
                        encode(FlowAnswer(run.id, seq, v)),
                    ),
                )
                for v in step.values
            ]
        elif step.type is AnswerType.scale:
            rows = [tuple(Button(v, encode(FlowAnswer(run.id, seq, v))) for v in step.values)]
        elif step.type is AnswerType.multi_choice:
            chosen = set(state.get("selected", {}).get(step.key, []))
            labels = _labels(step)
            rows = [
                (
                    Button(
                        ("✓ " if v in chosen else "") + labels[v],
                        encode(FlowToggle(run.id, seq, v)),
                    ),
                )
                for v in step.values
            ]
            rows.append((Button(_("Done"), encode(FlowDone(run.id, seq))),))
        rows += [
            (Button(label, encode(FlowSuggestion(run.id, seq, n))),)
            for n, label in enumerate(suggestions)
        ]
        if step.optional:
            rows.append((Button(_("Skip"), encode(FlowSkip(run.id, seq))),))
        if step.type is AnswerType.long_text:
            hint = (
                _("(Up to {limit} characters, or a voice note.)")
                if step.accept_voice
                else _("(Up to {limit} characters.)")
            )
            text += "\n\n" + hint.format(limit=format_number(LONG_TEXT_LIMIT))
        return Reply(text, tuple(rows))


def _labels(step: Step) -> dict[str, str]:
    if step.type is AnswerType.yes_no:
        return {"yes": _("Yes"), "no": _("No")}
    return {c.value: _(c.label) if step.translate_labels else c.label for c in step.choices}


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
    with use_language(person.language):
        try:
            value = await validate(
                session, run=run, step=step, message=message, person=person, now=now
            )
        except InvalidAnswer as invalid:
            text = _(invalid.message).format(**invalid.params)
            return Outcome(
                replies=[Reply(text), await ask(session, run=run, person=person, now=now)]
            )
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
    with use_language(person.language):
        closed = Outcome(notice=_(CLOSED))
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
    match action:
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
                with use_language(person.language):
                    return Outcome(notice=_("Please choose at least one."))
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
            value = _choice_value(step, raw)
            outcome = await _accept(
                session, run=run, step=step, value=value, person=person, now=now
            )
            with use_language(person.language):
                outcome.chosen = raw if step.type is AnswerType.scale else _labels(step)[raw]
            return outcome
    return closed


def _choice_value(step: Step, raw: str) -> Value:
    if step.type is AnswerType.scale:
        return Value(AnswerKind.number, number=float(raw))
    return Value(AnswerKind.choice, choice=raw)


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
    return Outcome(keyboard=await ask(session, run=run, person=person, now=now))


async def validate(
    session: AsyncSession,
    *,
    run: FlowRun,
    step: Step,
    message: Input,
    person: Person,
    now: datetime,
) -> Value:
    """Turn a message into a value for ``step`` or raise :class:`InvalidAnswer`."""
    text = (message.text or "").strip()
    kind = step.type
    if kind in (
        AnswerType.single_choice,
        AnswerType.yes_no,
        AnswerType.scale,
        AnswerType.multi_choice,
    ):
        if message.kind is InputKind.text and kind is not AnswerType.multi_choice:
            typed = _match_typed_choice(step, text)
            if typed is not None:
                return _choice_value(step, typed)
        raise InvalidAnswer(N_("Please choose one of the buttons below."))
    if kind is AnswerType.media:
        if message.kind in (InputKind.photo, InputKind.document) and message.file_id:
            return Value(AnswerKind(message.kind.value), text=text or None, file_id=message.file_id)
        if step.optional:
            raise InvalidAnswer(N_("Please send a photo or a document, or tap Skip."))
        raise InvalidAnswer(N_("Please send a photo or a document."))
    if kind is AnswerType.long_text:
        if message.kind is InputKind.voice and message.file_id and step.accept_voice:
            return Value(AnswerKind.voice, file_id=message.file_id, duration=message.duration)
        if step.accept_media and message.kind in (InputKind.photo, InputKind.document):
            return Value(AnswerKind(message.kind.value), text=text or None, file_id=message.file_id)
    if message.kind is not InputKind.text or not text:
        if kind is AnswerType.long_text and step.accept_media:
            raise InvalidAnswer(N_("Please answer with text, a photo or a voice note."))
        if kind is AnswerType.long_text and step.accept_voice:
            raise InvalidAnswer(N_("Please answer with text or a voice note."))
        if kind is AnswerType.long_text:
            raise InvalidAnswer(N_("Please answer with text."))
        if kind is AnswerType.number:
            raise InvalidAnswer(N_("Please send a number."))
        raise InvalidAnswer(N_("Please answer with a few words of text."))
    if kind is AnswerType.number:
        return Value(AnswerKind.number, number=_number(step, text))
    limit = SHORT_TEXT_LIMIT if kind is AnswerType.short_text else LONG_TEXT_LIMIT
    if len(text) > limit:
        raise InvalidAnswer(
            N_(
                "Your answer has {count} characters; the limit is {limit}. Please shorten it "
                "and send it again."
            ),
            count=format_number(len(text)),
            limit=format_number(limit),
        )
    if step.check:
        ctx = Context(session, flow_of(run), step, run, person, {}, now)
        text = await run_effect(step.check, ctx, text)
    return Value(AnswerKind.text, text=text)


def _match_typed_choice(step: Step, text: str) -> str | None:
    """Accept a typed label or value for a choice ("3", "yes", "Partly")."""
    wanted = text.casefold()
    if step.type is AnswerType.scale:
        return wanted if wanted in step.values else None
    labels = _labels(step)
    for value in step.values:
        if wanted in (value.casefold(), labels[value].casefold()):
            return value
    return None


def _number(step: Step, text: str) -> float:
    try:
        number = float(text.replace(",", ".").replace(" ", ""))
    except ValueError:
        number = None
    low, high = step.minimum, step.maximum
    assert low is not None and high is not None
    if number is None or not low <= number <= high:
        raise InvalidAnswer(
            N_("Please send a number from {low} to {high}."),
            low=format_number(low),
            high=format_number(high),
        )
    return number


async def _accept(
    session: AsyncSession,
    *,
    run: FlowRun,
    step: Step,
    value: Value | None,
    person: Person,
    now: datetime,
    ref: str | None = None,
) -> Outcome:
    """Store the answer (None: skipped), run the step's hook, and move on."""
    flow = flow_of(run)
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
    outcome = Outcome(replies=list(effect.replies))
    returning = run.state.get("return_to")
    if effect.stop:
        following = None
    elif returning is not None:
        following = flow.step(returning) if returning != "" else None
    else:
        following = next_step(flow, step.key, answers)
    if following is not None:
        run.current_step = following.key
        _clear(run, "return_to")
        outcome.replies.append(await ask(session, run=run, person=person, now=now))
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
    with use_language(person.language):
        if edited:
            outcome.replies.append(Reply(_("Your answer is updated.")))
        elif flow.outro:
            outcome.replies.append(Reply(_(flow.outro)))
    completion = Completion()
    if flow.on_complete:
        ctx = Context(session, flow, None, run, person, answers, now)
        completion = await run_effect(flow.on_complete, ctx, edited)
    outcome.replies += completion.replies
    outcome.completed = run
    if completion.begin is not None:
        state = dict(completion.state)
        checkin_id = state.pop("checkin_id", None)
        outcome.replies += await begin(
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
            outcome.replies += await resume(session, run=waiting, person=person, now=now)
    return outcome


async def reopen(
    session: AsyncSession, *, run: FlowRun, step_key: str, person: Person, now: datetime
) -> list[Reply]:
    """Ask ``step_key`` of ``run`` again (``/edit``), then return to where the run was."""
    state = dict(run.state)
    state["return_to"] = run.current_step or ""
    run.state = state
    run.current_step = step_key
    return await resume(session, run=run, person=person, now=now)
