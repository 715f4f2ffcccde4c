"""Every question of every flow, on an app with three buttons, short labels and no edits.

Each step of each flow version is asked in each supported language and fitted for such
an app; every choice must stay reachable: a button that carries it, or a numbered line
whose number, typed back through the engine, stores that choice (a scale's own value for
a scale). Done and Skip stay buttons; a suggestion is a button or a line to type.

The steps' ``on_answer`` and flows' ``on_complete`` effects are left out here: they act
on the domain (consent, language, a practice), which this test does not set up; what is
checked is what the engine stores for the typed number.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlalchemy import select
from support import apps
from support.asking import FLOWS, asked, quiet
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.flows import engine
from bot.flows.buttons import encode
from bot.flows.definition import AnswerType, Step, library
from bot.flows.events import Ask
from bot.flows.fit import Message, fit
from bot.flows.inputs import Input, InputKind
from bot.handlers.telegram.render import fitted, keyboard
from circles.clock import FakeClock
from circles.db import SessionMaker
from circles.models import Answer, FlowRun
from circles.settings import SUPPORTED_LANGUAGES
from circles.text import render

#: The narrow app, with the button data and text of Telegram (its keyboard renders them).
NARROW = replace(apps.NARROW, data_bytes=64, text_length=4096)


@pytest.fixture
def quiet_effects(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a step's ``current`` and ``suggest`` effects, not what answering does."""
    quiet(monkeypatch)


def _keys(message: Message) -> dict[str, str]:
    return {data: label for row in message.keys for label, data in row}


def _typed(ask: Ask, value: str, language: str, message: Message) -> str:
    """What the person types to choose ``value``, as the message tells them."""
    if ask.scale:
        assert re.search(rf"\b{ask.choices[0].value}\b.*\b{ask.choices[-1].value}\b", message.text)
        return value
    for n, choice in enumerate(ask.choices, start=1):
        if choice.value == value:
            label = render(choice.label, language)
            lines = message.text.splitlines()
            assert f"{n}. {label}" in lines or f"{n}. ✓ {label}" in lines, (label, lines)
            return str(n)
    raise AssertionError(value)


async def _stored(session, run: FlowRun, step: Step) -> str | None:
    answer = await session.scalar(
        select(Answer).where(Answer.flow_run_id == run.id, Answer.question_key == step.key)
    )
    if answer is None:
        return None
    if step.type is AnswerType.scale:
        return str(int(answer.value_number))
    return answer.value_text if step.type is AnswerType.multi_choice else answer.value_choice


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
async def test_every_choice_stays_reachable_without_edits_and_with_three_buttons(
    language: str, sessions: SessionMaker, clock: FakeClock, quiet_effects: None
) -> None:
    now = clock.now()
    typed_back = 0
    for flow in FLOWS:
        for step in flow.steps:
            async with sessions() as session:
                _person, _run, ask = await asked(session, flow, step, language, now)
                shown = fit([ask], language, NARROW)
                await session.rollback()
            [message] = shown.messages
            where = f"{flow.id} v{flow.version} {step.key} ({language})"
            assert len(message.keys) <= 3, where
            assert all(len(label) <= 20 for label in _keys(message).values()), where
            keys = _keys(message)
            for extra in ask.extra:
                label = render(extra.label, language)
                if extra.control:
                    assert encode(extra.action) in keys, f"{where}: {label} is not a button"
                else:
                    assert encode(extra.action) in keys or label in message.text.splitlines()
            for choice in ask.choices:
                if encode(choice.action) in keys:
                    continue
                typed = _typed(ask, choice.value, language, message)
                async with sessions() as session:
                    person, run, _ask = await asked(session, flow, step, language, now)
                    outcome = await engine.answer(
                        session, person=person, message=Input(InputKind.text, text=typed), now=now
                    )
                    assert outcome is not None, where
                    assert await _stored(session, run, step) == choice.value, (where, typed)
                    await session.rollback()
                typed_back += 1
    assert typed_back > 0  # some questions did not fit: their numbers were typed back


async def test_telegram_shows_the_five_strategies_and_what_they_mean_as_buttons(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    identify = library().latest("identify")
    async with sessions() as session:
        _person, run, ask = await asked(
            session, identify, identify.step("strategy"), "en", clock.now()
        )
        await session.rollback()
    [message] = fitted([ask], "en").messages
    assert message.text == "Which formative assessment strategy could address it?"
    assert keyboard(message.keys) == InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=f"c:{run.id}:1:{value}")]
            for value, label in [
                ("learning_intentions", "Learning intentions and success criteria"),
                ("eliciting_evidence", "Eliciting evidence of learning"),
                ("feedback", "Feedback that moves learning forward"),
                ("peer_assessment", "Peer assessment"),
                ("self_assessment", "Self-assessment"),
                ("explain", "What do these mean?"),
            ]
        ]
    )
