"""Property: whatever a teacher sends, in any order, nothing raises and no saved answer is lost."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from support.people import add_person
from support.places import add_circle

from bot.flows import door
from bot.flows.door import Inbound
from bot.flows.fit import fit
from bot.flows.inputs import Input, InputKind
from bot.flows.messages import Sender
from bot.handlers.telegram.render import TELEGRAM
from circles.clock import FakeClock
from circles.db import create_engine, create_sessionmaker, transaction
from circles.models import Answer, Channel, Consent, FlowRun, FlowStatus, Membership, Role
from circles.settings import Settings

_ids = itertools.count(50_000)


texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["yes", "No", "3", "7", "Partly", "peer assessment", "Europe/Zurich", ""]),
    st.integers(min_value=1990, max_value=2600).map(lambda n: "é" * n),
)
answering = st.one_of(
    st.tuples(st.just("text"), texts),
    st.tuples(st.just("tap"), st.integers(min_value=0, max_value=12)),
)
actions = st.one_of(
    answering,
    answering,
    answering,
    st.tuples(st.just("text"), texts),
    st.tuples(
        st.just("input"),
        st.sampled_from(["sticker", "voice", "photo", "location", "contact", "document", "other"]),
    ),
    st.tuples(st.just("tap"), st.integers(min_value=0, max_value=12)),
    st.tuples(
        st.just("stale"),
        st.sampled_from(
            [
                "c:1:1:yes",
                "s:9:9",
                "x:codify:1",
                "x:pause:3",
                "x:new:0",
                "d:1:2",
                "junk",
                "x:forget:1",
            ]
        ),
    ),
    st.tuples(
        st.just("command"),
        st.sampled_from(
            ["checkin", "cancel", "journey", "skip", "pause", "resume", "timezone", "language"]
        ),
    ),
    st.tuples(st.just("wait"), st.integers(min_value=0, max_value=200)),
)


async def _snapshot(session, person_id: int) -> dict[tuple[int, str], tuple]:
    rows = await session.scalars(select(Answer).where(Answer.person_id == person_id))
    return {
        (a.flow_run_id, a.question_key): (a.value_text, a.value_choice, a.value_number, a.file_id)
        for a in rows
    }


async def _scenario(url: str, steps: list[tuple[str, object]]) -> None:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    clock = FakeClock(datetime(2026, 9, 7, 17, 0, tzinfo=UTC))
    config = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    telegram_id = next(_ids)
    sender = Sender(Channel.telegram, str(telegram_id), name="Prop", language_code="en")
    try:
        async with transaction(sessions) as session:
            circle = await add_circle(
                session, f"Circle {telegram_id}", now=clock.now(), country="CH"
            )
            person = await add_person(
                session,
                telegram=telegram_id,
                display_name="Prop",
                timezone="UTC",
                consent=Consent.given,
                created_at=clock.now(),
            )
            session.add(Membership(person_id=person.id, circle_id=circle.id, role=Role.teacher))
        last: list = []  # what the bot showed last
        for kind, value in steps:
            async with transaction(sessions) as session:
                before = await _snapshot(session, person.id)
                inbound = None
                if kind == "text":
                    inbound = Inbound(message=Input(InputKind.text, text=str(value)))
                elif kind == "input":
                    message = Input(InputKind(value), file_id=f"file-{value}", duration=3)
                    inbound = Inbound(message=message)
                elif kind in ("tap", "stale"):
                    buttons = [
                        data
                        for message in fit(list(last), "en", TELEGRAM).messages
                        for row in message.keys
                        for _label, data in row
                        if not data.startswith(("x:edit", "x:forget"))
                    ]
                    if kind == "tap" and buttons:
                        data = buttons[int(value) % len(buttons)]
                    else:
                        data = str(value)
                    if data.startswith("x:forget"):
                        continue
                    inbound = Inbound(data=data)
                elif kind == "command":
                    inbound = Inbound(command=str(value))
                else:
                    clock.advance(timedelta(hours=int(value)))
                if inbound is not None:
                    handled = await door.handle(
                        session, sender=sender, inbound=inbound, settings=config, now=clock.now()
                    )
                    last = handled.outcome.events or last
                after = await _snapshot(session, person.id)
                for key, saved in before.items():
                    assert after.get(key) == saved, f"answer {key} changed or vanished"
                active = await session.scalar(
                    select(func.count())
                    .select_from(FlowRun)
                    .where(FlowRun.person_id == person.id, FlowRun.status == FlowStatus.active)
                )
                assert active <= 1, "two conversations active at once"
        event(f"answers saved: {'5 or more' if len(after) >= 5 else len(after)}")
    finally:
        await engine.dispose()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(actions, min_size=1, max_size=30))
def test_random_inputs_never_raise_and_never_lose_a_saved_answer(database_url: str, steps) -> None:
    asyncio.run(_scenario(database_url, [("command", "checkin"), *steps]))
