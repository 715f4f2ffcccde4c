"""The effect registry: what a flow does besides storing answers, by name.

A flow definition names its effects (``on_complete`` for the flow; ``on_answer``,
``check``, ``suggest``, ``current`` and ``recall`` for a step); the domain modules register the
functions under those names with :func:`effect` when they are imported, and the engine
calls them through :func:`run_effect`. This module imports no dialogue module, so the
engine never depends on the code its flows drive. Kinds and their signatures:

- ``on_answer``: ``async (ctx, answer) -> Answered`` right after a step's answer is stored;
- ``on_complete``: ``async (ctx, edited) -> Completion`` when the flow finishes;
- ``check``: ``async (ctx, text) -> str`` validates and normalises typed text;
- ``suggest``: ``async (ctx) -> list[str]`` extra answer buttons for a typed step;
- ``current``: ``async (ctx) -> str | None`` the choice in effect now (shown with a tick);
- ``recall``: ``async (ctx) -> Part | None`` what the person said before that the question
  builds on (last week's plan, the part being revised), shown above the question.

- ``prefill``: ``async (ctx) -> Prefill | None`` an answer the person already gave
  elsewhere (their profile, their pilot weeks), offered with "Keep" / "Change".

``check``, ``suggest`` and ``current`` run before the step is answered: their context
has the step but no answers. ``recall`` and ``prefill`` also run before, with the run's
answers so far.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.flows.answers import Value
    from bot.flows.definition import Flow, Step
    from bot.flows.events import Event
    from circles.models import Answer, FlowRun, Person
    from circles.text import Part


@dataclass
class Answered:
    """What an answer did besides being stored."""

    replies: list[Event] = field(default_factory=list)
    stop: bool = False  # end the flow now
    again: bool = False  # forget the answer and ask the same question again (after replies)
    #: ask this step next, then come back to ``back`` (codify's "Change a part")
    detour: str | None = None
    back: str | None = None


@dataclass(frozen=True)
class Prefill:
    """An answer the person gave before: stored as it is if they keep it."""

    value: Value
    shown: Part  # how it reads above "Keep" / "Change"


@dataclass
class Completion:
    """What finishing a flow did: events to show, and maybe a next flow to start."""

    replies: list[Event] = field(default_factory=list)
    begin: str | None = None
    state: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What an effect may look at."""

    session: AsyncSession
    flow: Flow
    step: Step | None
    run: FlowRun
    person: Person
    answers: dict[str, Answer]
    now: datetime


class UnknownEffect(LookupError):
    """A flow names an effect that no module registered."""


_REGISTRY: dict[str, Callable[..., Any]] = {}


def effect(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated async function as the effect called ``name``."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        known = _REGISTRY.get(name)
        if known is not None and known is not function:
            raise ValueError(f"effect {name!r} is registered twice")
        _REGISTRY[name] = function
        return function

    return register


async def run_effect(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call the effect registered as ``name``."""
    try:
        function = _REGISTRY[name]
    except KeyError:
        raise UnknownEffect(f"no effect {name!r} is registered") from None
    return await function(*args, **kwargs)


def names() -> frozenset[str]:
    """Every registered effect name (``circles flows check`` compares the flows with it)."""
    return frozenset(_REGISTRY)
