"""What a message means as the answer to a step: the value to store, or why not.

Rules only, no database and no channel: the engine reads a typed message or a file with
:func:`read` (then runs the step's ``check`` effect) and stores the :class:`Value`. A
choice can be typed as its value, its label as the reader sees it, or its position in
the list (``2``; ``1, 3`` for a multiple choice) — the number a door without enough
buttons shows in front of each choice (:mod:`bot.flows.fit`). A scale's values are
numbers already and stay what they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.flows.definition import LONG_TEXT_LIMIT, SHORT_TEXT_LIMIT, AnswerType, Step
from bot.flows.inputs import Input, InputKind
from circles.errors import InvalidAnswer
from circles.i18n import N_
from circles.models import AnswerKind
from circles.text import Part, number, render, t

#: The answer to a choice that is none of the step's (a typed word, a number past the list).
NOT_A_CHOICE = N_("Please choose one of the buttons below.")


@dataclass(frozen=True)
class Value:
    """A validated answer, ready to store."""

    kind: AnswerKind
    text: str | None = None
    choice: str | None = None
    number: float | None = None
    file_id: str | None = None
    duration: int | None = None


def labels(step: Step) -> dict[str, Part]:
    """Each value's label, as text to render (a scale's values are their own labels)."""
    if step.type is AnswerType.yes_no:
        return {"yes": t("Yes"), "no": t("No")}
    if step.type is AnswerType.scale:
        return {v: v for v in step.values}
    return {c.value: t(c.label) if step.translate_labels else c.label for c in step.choices}


def choice_value(step: Step, raw: str) -> Value:
    """The value a chosen ``raw`` stores: a scale's as a number."""
    if step.type is AnswerType.scale:
        return Value(AnswerKind.number, number=float(raw))
    return Value(AnswerKind.choice, choice=raw)


def read(step: Step, message: Input, language: str | None) -> Value:
    """``message`` as a value for ``step``, or :class:`InvalidAnswer` saying what to send.

    ``language`` is the reader's: a typed label is compared as they see it.
    """
    text = (message.text or "").strip()
    kind = step.type
    if kind in (
        AnswerType.single_choice,
        AnswerType.yes_no,
        AnswerType.scale,
        AnswerType.multi_choice,
    ):
        if message.kind is InputKind.text and kind is AnswerType.multi_choice:
            picked = typed_positions(step, text)
            if picked:
                return Value(AnswerKind.choice, text=",".join(picked))
        elif message.kind is InputKind.text:
            typed = _match_typed_choice(step, text, language)
            if typed is not None:
                return choice_value(step, typed)
        raise InvalidAnswer(NOT_A_CHOICE)
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
            count=number(len(text)),
            limit=number(limit),
        )
    return Value(AnswerKind.text, text=text)


def _match_typed_choice(step: Step, text: str, language: str | None) -> str | None:
    """Accept a typed value, label or position for a choice ("3", "yes", "Partly", "2").

    Labels are compared as the reader sees them (in ``language``). A scale's
    values are numbers already; for other steps a number is the choice's position in
    the list as a door numbers it (:mod:`bot.flows.fit`), when no value or label is it.
    """
    wanted = text.casefold()
    if step.type is AnswerType.scale:
        return wanted if wanted in step.values else None
    shown = labels(step)
    for value in step.values:
        if wanted in (value.casefold(), render(shown[value], language).casefold()):
            return value
    positions = typed_positions(step, text)
    return positions[0] if positions is not None and len(positions) == 1 else None


_POSITIONS = re.compile(r"[0-9]{1,3}(?:\s*[,;\s]\s*[0-9]{1,3})*")


def typed_positions(step: Step, text: str) -> list[str] | None:
    """The values at the typed positions ("2", "1, 3"), in the step's order, or None.

    None when the text is not a list of numbers or a number is past the list (so the
    person is told to choose one of the choices, and nothing is stored).
    """
    text = text.strip()
    if not _POSITIONS.fullmatch(text):
        return None
    positions = {int(n) for n in re.findall(r"[0-9]+", text)}
    if not all(1 <= n <= len(step.values) for n in positions):
        return None
    return [v for n, v in enumerate(step.values, start=1) if n in positions]


def _number(step: Step, text: str) -> float:
    try:
        typed: float | None = float(text.replace(",", ".").replace(" ", ""))
    except ValueError:
        typed = None
    low, high = step.minimum, step.maximum
    assert low is not None and high is not None
    if typed is None or not low <= typed <= high:
        raise InvalidAnswer(
            N_("Please send a number from {low} to {high}."),
            low=number(low),
            high=number(high),
        )
    return typed
