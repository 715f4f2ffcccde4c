"""Weekly pilot check-ins through the engine, against plain inserts of the same answers.

Both sides do one transaction per answer, as the bot does one per Telegram update, so the
ratio is the cost of the engine itself: loading the run, validating, advancing, rendering.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlalchemy import insert

from bench.common import accra_circle, piloting_teacher, scratch_database
from bot.flows import engine
from bot.flows.events import Ask
from bot.flows.inputs import Input, InputKind
from circles.db import SessionMaker, create_sessionmaker, transaction
from circles.models import (
    Answer,
    AnswerKind,
    Channel,
    CheckIn,
    Consent,
    FlowRun,
    Inquiry,
    Person,
)
from circles.services.inbox import turn

NOW = datetime(2026, 9, 7, 17, 0, tzinfo=UTC)


async def _people(
    sessions: SessionMaker, count: int, first_id: int
) -> list[tuple[Person, CheckIn, Inquiry]]:
    async with transaction(sessions) as session:
        circle = await accra_circle(session, now=NOW)
        made = []
        for n in range(count):
            person = Person(consent=Consent.given, created_at=NOW)
            checkin, inquiry = await piloting_teacher(
                session,
                person,
                circle,
                address=str(first_id + n),
                opens=NOW,
                closes=NOW.replace(day=13),
                now=NOW,
            )
            made.append((person, checkin, inquiry))
        return made


@asynccontextmanager
async def _update(sessions: SessionMaker, person: Person, in_turn: bool):
    """One update's transaction; with ``in_turn``, inside the person's turn as the inbox
    workers of a webhook replica take it (``circles.services.inbox.turn``)."""
    held = turn(sessions, channel=Channel.telegram, address=str(person.id))
    async with held if in_turn else contextlib.nullcontext(), transaction(sessions) as session:
        yield session


async def through_engine(sessions: SessionMaker, people, in_turn: bool = False) -> float:
    """Seconds for every teacher to answer a pilot check-in through the engine (each
    update in the teacher's turn with ``in_turn``)."""
    start = time.perf_counter()
    for person, checkin, inquiry in people:
        async with _update(sessions, person, in_turn) as session:
            replies = await engine.begin(
                session,
                person=person,
                flow_id="pilot",
                now=NOW,
                checkin_id=checkin.id,
                state={"inquiry_id": inquiry.id},
            )
        question = replies[-1]
        assert isinstance(question, Ask), question
        tried = question.choices[0].action
        async with _update(sessions, person, in_turn) as session:
            await engine.press(session, person=person, action=tried, now=NOW)
        for text in ("Whiteboards", "Most got it"):
            async with _update(sessions, person, in_turn) as session:
                await engine.answer(
                    session, person=person, now=NOW, message=Input(InputKind.text, text=text)
                )
        async with _update(sessions, person, in_turn) as session:
            outcome = await engine.answer(
                session, person=person, now=NOW, message=Input(InputKind.text, text="4")
            )
        async with _update(sessions, person, in_turn) as session:
            await engine.answer(
                session, person=person, now=NOW, message=Input(InputKind.text, text="Ask earlier")
            )
        assert outcome is not None
    return time.perf_counter() - start


async def baseline(sessions: SessionMaker, people) -> float:
    """Seconds to store the same answers with plain INSERTs, one transaction each."""
    start = time.perf_counter()
    for person, checkin, _inquiry in people:
        async with transaction(sessions) as session:
            run = FlowRun(
                person_id=person.id, flow_id="pilot", flow_version=1, checkin_id=checkin.id
            )
            session.add(run)
            await session.flush()
            run_id = run.id
        for key, kind, value in (
            ("tried", AnswerKind.choice, "yes"),
            ("what_did", AnswerKind.text, "Whiteboards"),
            ("evidence", AnswerKind.text, "Most got it"),
            ("how_well", AnswerKind.number, 4.0),
            ("adjust", AnswerKind.text, "Ask earlier"),
        ):
            async with transaction(sessions) as session:
                await session.execute(
                    insert(Answer).values(
                        flow_run_id=run_id,
                        person_id=person.id,
                        checkin_id=checkin.id,
                        flow_id="pilot",
                        flow_version=1,
                        question_key=key,
                        kind=kind,
                        value_text=value
                        if isinstance(value, str) and kind is AnswerKind.text
                        else None,
                        value_choice=value if kind is AnswerKind.choice else None,
                        value_number=value if kind is AnswerKind.number else None,
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
    return time.perf_counter() - start


async def main(teachers: int, url: str | None) -> None:
    async with scratch_database(url) as db:
        sessions = create_sessionmaker(db)
        engine_people = await _people(sessions, teachers, 10_000_000)
        baseline_people = await _people(sessions, teachers, 20_000_000)
        turned_people = await _people(sessions, teachers, 30_000_000)
        base = await baseline(sessions, baseline_people)
        flows = await through_engine(sessions, engine_people)
        # The person's turn is PostgreSQL's (an advisory lock on a connection of its own);
        # on SQLite it is nothing, and this measures the same as the line above.
        turned = await through_engine(sessions, turned_people, in_turn=True)
        kind = db.dialect.name
    print(f"{kind}: {teachers} teachers, 5 answers each, one transaction per answer")
    print(f"  baseline (plain inserts): {base / teachers * 1000:8.2f} ms per teacher")
    print(f"  conversation engine:      {flows / teachers * 1000:8.2f} ms per teacher")
    print(f"  ratio engine / baseline:  {flows / base:8.2f}")
    print(f"  each update in its turn:  {turned / teachers * 1000:8.2f} ms per teacher")
    print(f"  ratio turn / engine:      {turned / flows:8.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teachers", type=int, default=200)
    parser.add_argument("--database", default=None, help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    asyncio.run(main(args.teachers, args.database))
