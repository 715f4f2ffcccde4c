"""The engine without any channel: inputs in, replies out, state in the database (golden)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from support.people import add_person

from bot.flows import engine
from bot.flows.buttons import decode
from bot.flows.definition import FlowLibrary, load_library, parse_flow
from bot.flows.inputs import Input, InputKind
from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import Answer, FlowRun, FlowStatus, Person

SURVEY = """
id = "survey"
version = 1
title = "Survey"
intro = "Hello."
outro = "Bye."

[[steps]]
key = "tools"
type = "multi_choice"
prompt = "Which tools?"
choices = [
  { value = "boards", label = "Whiteboards" },
  { value = "cards", label = "Traffic-light cards" },
  { value = "tickets", label = "Exit tickets" },
]

[[steps]]
key = "photo"
type = "media"
optional = true
prompt = "A photo of the board?"

[[steps]]
key = "again"
type = "yes_no"
prompt = "Again next week?"

[[steps]]
key = "size"
type = "number"
min = 1
max = 60
prompt = "How many students?"
when = { again = "yes" }
"""


@pytest.fixture
def survey(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "survey.v1.toml").write_text(SURVEY)
    shipped = load_library().flows
    extra = parse_flow(tmp_path / "survey.v1.toml")
    combined = FlowLibrary({**shipped, ("survey", 1): extra})
    monkeypatch.setattr(engine, "library", lambda: combined)


@pytest.fixture
async def person(sessions: SessionMaker, clock: FakeClock) -> Person:
    async with transaction(sessions) as session:
        person = await add_person(session, telegram=77, display_name="Lea", created_at=clock.now())
    return person


def _text(kind: InputKind = InputKind.text, text: str | None = None, file_id: str | None = None):
    return Input(kind, text=text, file_id=file_id)


async def test_survey_golden_path(survey, person, sessions: SessionMaker, clock) -> None:
    async with transaction(sessions) as session:
        replies = await engine.begin(session, person=person, flow_id="survey", now=clock.now())
    assert [r.text for r in replies] == ["Hello.", "Which tools?"]
    run_id = int(replies[1].buttons[0][0].data.split(":")[1])
    assert [[b.label for b in row] for row in replies[1].buttons] == [
        ["Whiteboards"],
        ["Traffic-light cards"],
        ["Exit tickets"],
        ["Done"],
    ]

    async with transaction(sessions) as session:
        empty = await engine.press(
            session, person=person, action=decode(f"d:{run_id}:1"), now=clock.now()
        )
    assert empty.notice == "Please choose at least one."

    async with transaction(sessions) as session:
        toggled = await engine.press(
            session, person=person, action=decode(f"t:{run_id}:1:cards"), now=clock.now()
        )
    assert toggled.keyboard is not None
    assert toggled.keyboard.buttons[1][0].label == "✓ Traffic-light cards"
    async with transaction(sessions) as session:  # the redrawn keyboard carries a new seq
        stale = await engine.press(
            session, person=person, action=decode(f"t:{run_id}:1:boards"), now=clock.now()
        )
        assert stale.notice == "This question is already closed."
        await engine.press(
            session, person=person, action=decode(f"t:{run_id}:2:tickets"), now=clock.now()
        )
        done = await engine.press(
            session, person=person, action=decode(f"d:{run_id}:3"), now=clock.now()
        )
    assert [r.text for r in done.replies] == ["A photo of the board?"]

    async with transaction(sessions) as session:
        text_for_photo = await engine.answer(
            session, person=person, now=clock.now(), message=_text(text="no photo sorry")
        )
    assert text_for_photo.replies[0].text == "Please send a photo or a document, or tap Skip."

    async with transaction(sessions) as session:
        photo = await engine.answer(
            session,
            person=person,
            now=clock.now(),
            message=_text(InputKind.photo, "board", "AgAD-photo"),
        )
    assert photo.replies[0].text == "Again next week?"
    assert [b.label for row in photo.replies[0].buttons for b in row] == ["Yes", "No"]

    async with transaction(sessions) as session:
        no = await engine.press(
            session,
            person=person,
            now=clock.now(),
            action=decode(photo.replies[0].buttons[1][0].data),
        )
    assert no.chosen == "No"
    assert [r.text for r in no.replies] == ["Bye."]  # "size" only applies after a yes

    async with sessions() as session:
        run = await session.get(FlowRun, run_id)
        assert run.status is FlowStatus.completed
        answers = {a.question_key: a for a in await session.scalars(select(Answer))}
    assert answers["tools"].value_text == "cards,tickets"
    assert (answers["photo"].kind.value, answers["photo"].file_id, answers["photo"].value_text) == (
        "photo",
        "AgAD-photo",
        "board",
    )
    assert answers["again"].value_choice == "no"
    assert "size" not in answers


async def test_nothing_running_returns_none(person, sessions: SessionMaker, clock) -> None:
    async with transaction(sessions) as session:
        assert (
            await engine.answer(session, person=person, now=clock.now(), message=_text(text="hi"))
            is None
        )


async def test_a_foreign_or_garbled_button_is_closed(survey, person, sessions, clock) -> None:
    async with transaction(sessions) as session:
        await engine.begin(session, person=person, flow_id="survey", now=clock.now())
        for data in ("garbage", "c:999:1:yes", "t:1:1:" + "x" * 80, "c:1:1"):
            outcome = await engine.press(
                session, person=person, action=decode(data), now=clock.now()
            )
            assert outcome.notice == "This question is already closed."
            assert outcome.replies == []
