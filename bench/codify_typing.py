"""How much a teacher types to codify a practice after four pilot weeks: codify v2 (every
part typed) against codify v3 (what was said while piloting offered back to keep).

Two teachers with the same story — joined with their subject and level, identified a
challenge and a practice, piloted it four weeks — codify it, one on each version, through
the conversation engine. Each keeps what v3 offers back, and types the rest as she would
in v2 (the same words where both ask the same thing). Counted: messages typed, characters
typed, and taps. Goal: v3 half of v2 or less.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench.common import accra_circle, piloting_teacher, scratch_database
from bot.flows import engine
from bot.flows.buttons import FlowDone, FlowSkip
from bot.flows.events import Ask, Event
from bot.flows.inputs import Input, InputKind
from circles.db import SessionMaker, create_sessionmaker, transaction
from circles.models import CheckIn, Consent, Inquiry, Person, Phase
from circles.services import inquiries

START = datetime(2026, 9, 7, 17, 0, tzinfo=UTC)
KEEP = engine.KEEP

#: What the teacher answers, by question key: text is typed, a choice value is tapped, a
#: list is several choices then Done, None is Skip.
IDENTIFY = {
    "challenge": "Many students copy answers without checking if they understood.",
    "affected": "About a third of my Year 8 class",
    "evidence": "Exit tickets from Tuesday: the same wrong answer in a row.",
    "baseline": "Most copy the answer from a neighbour.",
    "success": "Every student writes their own answer and explains it.",
    "strategy": "eliciting_evidence",
    "practice": "Mini whiteboards for every student on one hinge question per lesson; "
    "I regroup the class by the answers.",
    "readiness": "4",
}
WEEKS = [
    {
        "tried": "yes",
        "what_did": "Used the whiteboards in three lessons, one hinge question each.",
        "evidence": "Half of the class wrote their own answer before looking around.",
        "how_well": "2",
        "adjust": "Ask the hinge question earlier in the lesson.",
        "help": None,
    },
    {
        "tried": "yes",
        "what_did": "Asked the hinge question after ten minutes, with thirty seconds to think.",
        "evidence": "Most answered on their own; I saw two misconceptions at once.",
        "how_well": "3",
        "adjust": "Give thinking time before anyone writes.",
        "help": None,
    },
    {
        "tried": "partly",
        "what_did": "Only two lessons: exams. Regrouped students by their answers.",
        "evidence": "The regrouped group fixed their mistake in the same lesson.",
        "how_well": "4",
        "adjust": "Prepare the regrouping task before the lesson.",
        "help": None,
    },
    {
        "tried": "yes",
        "what_did": "Hinge question, whiteboards up together, regroup, second question.",
        "evidence": "Two thirds right on the second question, up from a third in week one.",
        "how_well": "4",
        "adjust": "Keep the question short; one idea only.",
        "help": None,
    },
]
#: The codify answers as the teacher types them where a version asks her to.
CODIFY = {
    "name": "Hinge questions on whiteboards",
    "summary": "One hinge question mid-lesson on mini whiteboards shows who has understood; "
    "the teacher regroups the class at once.",
    "strategy": "eliciting_evidence",
    "more_strategies": ["feedback"],
    "subject": "Mathematics",
    "grade": "Year 8",
    "grade_band": "lower_secondary",
    "class_size": "32",
    "steps": "1. Plan one hinge question with a typical wrong answer. 2. Everyone writes on "
    "a whiteboard; all show at once. 3. Regroup by the answers. 4. Ask a second question.",
    "evidence": "Two thirds answered the second question correctly by week four, up from a "
    "third; misconceptions became visible in the lesson instead of in the test.",
    "conditions": "Works when the question has one short answer and a tempting wrong one; "
    "exam weeks leave no time for it.",
    "lessons": "Ask early, give thinking time, prepare the regrouping task, keep the "
    "question to one idea.",
    "materials": "Mini whiteboards and markers for every student",
    "share_scope": "country",
    "show_name": "yes",
    "last_look": "send",
}


@dataclass
class Typing:
    """What a teacher did to answer a flow."""

    messages: int = 0
    characters: int = 0
    taps: int = 0


async def converse(
    sessions: SessionMaker, person: Person, events: list[Event], answers: dict, *, keep: bool
) -> Typing:
    """Answer every question of the run that ``events`` opened, from ``answers``."""
    typing = Typing()
    while events and isinstance(events[-1], Ask):
        ask = events[-1]
        async with transaction(sessions) as session:
            run = await engine.active_run(session, person_id=person.id)
            assert run is not None and run.current_step is not None
            key = run.current_step
            values = {choice.value: choice.action for choice in ask.choices}
            wanted = answers.get(key)
            if keep and KEEP in values:
                wanted = KEEP
            if wanted is None:
                skip = next(e.action for e in ask.extra if isinstance(e.action, FlowSkip))
                outcome = await engine.press(session, person=person, action=skip, now=START)
                typing.taps += 1
            elif isinstance(wanted, list):
                for value in wanted:
                    toggled = await engine.press(
                        session, person=person, action=values[value], now=START
                    )
                    values = {c.value: c.action for c in toggled.events[-1].choices}
                done = next(e.action for e in ask.extra if isinstance(e.action, FlowDone))
                done = FlowDone(done.run_id, done.seq + len(wanted))
                outcome = await engine.press(session, person=person, action=done, now=START)
                typing.taps += len(wanted) + 1
            elif wanted in values:
                outcome = await engine.press(
                    session, person=person, action=values[wanted], now=START
                )
                typing.taps += 1
            else:
                message = Input(InputKind.text, text=wanted)
                answered = await engine.answer(session, person=person, message=message, now=START)
                assert answered is not None
                outcome = answered
                typing.messages += 1
                typing.characters += len(wanted)
        events = outcome.events
    return typing


async def piloted_teacher(sessions: SessionMaker, address: int) -> tuple[Person, int]:
    """A teacher who joined, identified a practice and piloted it four weeks."""
    async with transaction(sessions) as session:
        circle = await accra_circle(session, now=START)
        person = Person(
            consent=Consent.given,
            display_name="Ama",
            subjects="Mathematics",
            grade_level="lower_secondary",
            created_at=START,
        )
        checkin, inquiry = await piloting_teacher(
            session,
            person,
            circle,
            address=str(address),
            opens=START,
            closes=START + timedelta(days=6),
            now=START,
        )
        inquiry.phase, inquiry.started_at = Phase.identify, START - timedelta(days=7)
        events = await engine.begin(
            session, person=person, flow_id="identify", now=START, state={"inquiry_id": inquiry.id}
        )
    await converse(sessions, person, events, IDENTIFY, keep=False)
    for week, answers in enumerate(WEEKS):
        async with transaction(sessions) as session:
            if week:
                checkin = CheckIn(
                    person_id=person.id,
                    circle_id=circle.id,
                    inquiry_id=inquiry.id,
                    phase=Phase.pilot,
                    scheduled_for=START + timedelta(days=7 * week),
                    closes_at=START + timedelta(days=7 * week + 6),
                )
                session.add(checkin)
                await session.flush()
            else:
                checkin.phase = Phase.pilot
            events = await engine.begin(
                session,
                person=person,
                flow_id="pilot",
                now=START,
                checkin_id=checkin.id,
                state={"inquiry_id": inquiry.id},
            )
        await converse(sessions, person, events, answers, keep=False)
    return person, inquiry.id


async def codify(sessions: SessionMaker, version: int, address: int) -> Typing:
    """A piloted teacher codifies her practice on ``version`` of the codify flow."""
    person, inquiry_id = await piloted_teacher(sessions, address)
    async with transaction(sessions) as session:
        inquiry = await session.get_one(Inquiry, inquiry_id)
        await inquiries.start_codifying(session, inquiry=inquiry, now=START)
        events = await engine.begin(
            session,
            person=person,
            flow_id="codify",
            now=START,
            state={"inquiry_id": inquiry_id},
            version=version,
        )
    return await converse(sessions, person, events, CODIFY, keep=True)


async def main(url: str | None) -> None:
    async with scratch_database(url) as db:
        sessions = create_sessionmaker(db)
        before = await codify(sessions, 2, 10_000_001)
        after = await codify(sessions, 3, 10_000_002)
        kind = db.dialect.name
    print(f"{kind}: codifying a practice after four pilot weeks")
    print("                     messages typed  characters typed  taps")
    for name, typing in (("codify v2", before), ("codify v3", after)):
        print(f"  {name:18} {typing.messages:14} {typing.characters:17} {typing.taps:5}")
    print(
        f"  v3 / v2            {after.messages / before.messages:14.2f}"
        f" {after.characters / before.characters:17.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default=None, help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    asyncio.run(main(args.database))
