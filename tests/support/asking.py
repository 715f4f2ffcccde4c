"""Asking every step of every flow: a person whose run waits at the step, and its question.

The steps' ``on_answer`` and flows' ``on_complete`` effects can be left out
(:func:`quiet`): they act on the domain (consent, language, a practice), which tests that
only look at the questions do not set up.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.flows import engine
from bot.flows.definition import Flow, Step, library
from bot.flows.effects import Answered, Completion
from bot.flows.events import Ask
from circles.models import Consent, FlowRun, FlowStatus, Person
from support.people import add_person

#: Every version of every flow, in a stable order.
FLOWS: list[Flow] = sorted(library().flows.values(), key=lambda f: (f.id, f.version))


def quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a step's ``current`` and ``suggest`` effects, not what answering does."""
    answering = {s.on_answer for f in FLOWS for s in f.steps if s.on_answer}
    completing = {f.on_complete for f in FLOWS if f.on_complete}
    real = engine.run_effect

    async def run_effect(name: str, *args, **kwargs):
        if name in completing:
            return Completion()
        if name in answering:
            return Answered()
        return await real(name, *args, **kwargs)

    monkeypatch.setattr(engine, "run_effect", run_effect)


async def asked(
    session, flow: Flow, step: Step, language: str, now: datetime
) -> tuple[Person, FlowRun, Ask]:
    """A person in ``language`` whose run of ``flow`` waits at ``step``, and the question."""
    person = await add_person(
        session,
        telegram=4242,
        display_name="Reach",
        language=language,
        timezone="Africa/Accra",
        consent=Consent.given,
        created_at=now,
    )
    run = FlowRun(
        person_id=person.id,
        flow_id=flow.id,
        flow_version=flow.version,
        status=FlowStatus.active,
        current_step=step.key,
        state={"seq": 0},
        started_at=now,
        updated_at=now,
    )
    session.add(run)
    await session.flush()
    return person, run, await engine.ask(session, run=run, person=person, now=now)
