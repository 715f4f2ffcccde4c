"""The engine without any channel: inputs in, replies out, state in the database (golden)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from support.people import add_person

from bot.flows import engine
from bot.flows.buttons import decode
from bot.flows.definition import FlowLibrary, load_library, parse_flow
from bot.flows.events import Ask, Done, Notice, Say
from bot.flows.inputs import Input, InputKind
from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import Answer, FlowRun, FlowStatus, Person
from circles.text import render, t

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


def said(events: list) -> list[str]:
    """The texts of the messages and questions, in English."""
    return [render(e.text, "en") for e in events if isinstance(e, Say | Ask)]


def labels(ask: Ask) -> list[str]:
    return [render(c.label, "en") for c in ask.choices] + [render(e.label, "en") for e in ask.extra]


async def test_survey_golden_path(survey, person, sessions: SessionMaker, clock) -> None:
    async with transaction(sessions) as session:
        events = await engine.begin(session, person=person, flow_id="survey", now=clock.now())
    assert said(events) == ["Hello.", "Which tools?"]
    question = events[1]
    assert isinstance(question, Ask) and question.multiple and not question.redraw
    assert labels(question) == ["Whiteboards", "Traffic-light cards", "Exit tickets", "Done"]
    run_id = question.choices[0].action.run_id

    async with transaction(sessions) as session:
        empty = await engine.press(
            session, person=person, action=decode(f"d:{run_id}:1"), now=clock.now()
        )
    assert empty.events == [Notice(t("Please choose at least one."))]

    async with transaction(sessions) as session:
        toggled = await engine.press(
            session, person=person, action=decode(f"t:{run_id}:1:cards"), now=clock.now()
        )
    [redrawn] = toggled.events
    assert isinstance(redrawn, Ask) and redrawn.redraw
    assert redrawn.selected == {"cards"}
    async with transaction(sessions) as session:  # the redrawn keyboard carries a new seq
        stale = await engine.press(
            session, person=person, action=decode(f"t:{run_id}:1:boards"), now=clock.now()
        )
        assert stale.events == [Notice(t(engine.CLOSED))]
        await engine.press(
            session, person=person, action=decode(f"t:{run_id}:2:tickets"), now=clock.now()
        )
        done = await engine.press(
            session, person=person, action=decode(f"d:{run_id}:3"), now=clock.now()
        )
    assert said(done.events) == ["A photo of the board?"]

    async with transaction(sessions) as session:
        text_for_photo = await engine.answer(
            session, person=person, now=clock.now(), message=_text(text="no photo sorry")
        )
    assert said(text_for_photo.events)[0] == "Please send a photo or a document, or tap Skip."

    async with transaction(sessions) as session:
        photo = await engine.answer(
            session,
            person=person,
            now=clock.now(),
            message=_text(InputKind.photo, "board", "AgAD-photo"),
        )
    [again] = photo.events
    assert said([again]) == ["Again next week?"]
    assert labels(again) == ["Yes", "No"]

    async with transaction(sessions) as session:
        no = await engine.press(
            session, person=person, now=clock.now(), action=again.choices[1].action
        )
    assert no.events[0] == Done(t("No"))
    assert said(no.events) == ["Bye."]  # "size" only applies after a yes

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


async def test_choices_can_be_typed_by_their_number(survey, person, sessions, clock) -> None:
    """A door without enough buttons numbers the choices; the number typed back answers."""
    async with transaction(sessions) as session:
        await engine.begin(session, person=person, flow_id="survey", now=clock.now())
        past = await engine.answer(session, person=person, now=clock.now(), message=_text(text="4"))
        assert said(past.events) == ["Please choose one of the buttons below.", "Which tools?"]
        tools = await engine.answer(
            session, person=person, now=clock.now(), message=_text(text="3, 1")
        )
        assert said(tools.events) == ["A photo of the board?"]
        await engine.press(
            session, person=person, now=clock.now(), action=tools.events[0].extra[-1].action
        )  # skip the photo
        await engine.answer(session, person=person, now=clock.now(), message=_text(text="1"))
        answers = {a.question_key: a for a in await session.scalars(select(Answer))}
    assert answers["tools"].value_text == "boards,tickets"
    assert answers["again"].value_choice == "yes"


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
            assert outcome.events == [Notice(t(engine.CLOSED))]
