"""Pressed buttons: one entry, and a registry of who handles which action.

A button carries a typed action (:mod:`bot.flows.buttons`). The domain module that owns
an action registers its handler with :func:`on`, when it is imported (``bot/flows``'s
``__init__`` imports them all, as for effects); :func:`press` is the one entry every door
takes for a pressed button: it decodes the data once, checks consent, and dispatches::

    @on(Pause)
    async def pause(pressed: Pressed, action: Pause) -> Outcome: ...

Consent comes first: someone unknown presses nothing; someone who has not consented only
what a handler registered with ``before_consent=True`` takes (the answers of their
onboarding, a coordinator's broadcast, the confirmation of /forgetme). Every id in an
action is checked against the presser in :mod:`circles.services.access` by the handler
that acts on it; whatever is refused, unknown or unreadable gets the answer of a closed
button.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import engine
from bot.flows.buttons import (
    Action,
    FlowAnswer,
    FlowDone,
    FlowSkip,
    FlowSuggestion,
    FlowToggle,
    decode,
    family,
)
from bot.flows.engine import Outcome
from bot.flows.events import Notice
from bot.flows.messages import Sender
from bot.flows.visit import Visit
from circles.models import Consent, Person
from circles.settings import Settings
from circles.text import t


@dataclass(frozen=True)
class Pressed:
    """Who pressed a button, and when: what a handler may look at besides the action."""

    visit: Visit
    #: The presser, known and not forgotten (the visit's member).
    person: Person

    @property
    def session(self) -> AsyncSession:
        return self.visit.session

    @property
    def sender(self) -> Sender:
        return self.visit.sender

    @property
    def settings(self) -> Settings:
        return self.visit.settings

    @property
    def now(self) -> datetime:
        return self.visit.now

    @property
    def consented(self) -> bool:
        return self.person.consent is Consent.given


Handler = Callable[[Pressed, Any], Awaitable[Outcome]]
_H = TypeVar("_H", bound=Handler)

_HANDLERS: dict[type[Action], Handler] = {}
_BEFORE_CONSENT: set[type[Action]] = set()
_UNREADABLE: dict[str, Handler] = {}


def on(
    *kinds: type[Action], before_consent: bool = False, unreadable: tuple[str, ...] = ()
) -> Callable[[_H], _H]:
    """Register the decorated handler for the actions of ``kinds``.

    ``before_consent``: the handler also takes presses of someone who has not consented
    (and checks itself what it lets them do). ``unreadable``: button families (see
    :func:`~bot.flows.buttons.family`) whose data does not decode go to this handler with
    ``None`` as the action, for it to answer as it answers a closed button.
    """

    def register(handler: _H) -> _H:
        for kind in kinds:
            known = _HANDLERS.get(kind)
            if known is not None and known is not handler:
                raise ValueError(f"{kind.__name__} has a handler already")
            _HANDLERS[kind] = handler
            if before_consent:
                _BEFORE_CONSENT.add(kind)
        for tag in unreadable:
            _UNREADABLE[tag] = handler
        return handler

    return register


def handled() -> frozenset[type[Action]]:
    """Every action kind with a registered handler (a test compares them with the codec's)."""
    return frozenset(_HANDLERS)


def open_before_consent() -> frozenset[type[Action]]:
    """The action kinds someone who has not consented may press."""
    return frozenset(_BEFORE_CONSENT)


def closed() -> Outcome:
    """The answer to a button that no longer does anything."""
    return Outcome([Notice(t(engine.CLOSED))])


async def press(visit: Visit, data: str) -> Outcome:
    """A pressed button, from any door: the one entry every button takes."""
    person = visit.member
    if person is None:
        return closed()
    action = decode(data)
    pressed = Pressed(visit, person)
    kind = type(action)
    if not pressed.consented and kind not in _BEFORE_CONSENT:
        return await _engine_press(pressed, None)
    handler = _HANDLERS.get(kind)
    if handler is None and action is None:
        # An unreadable button of a family whose handler answers closed buttons itself
        # (a facilitator's: with a message) goes to that handler with no action.
        handler = _UNREADABLE.get(family(data))
    if handler is None:
        return await _engine_press(pressed, None)
    return await handler(pressed, action)


#: The only flows whose questions someone who has not consented may answer: onboarding
#: (where consent is asked) and a coordinator's broadcast, which acts with the rights of
#: the coordinator's token (checked by /broadcast before it starts), not as a member.
WITHOUT_CONSENT = frozenset({"onboarding", "broadcast"})


@on(FlowAnswer, FlowSuggestion, FlowToggle, FlowDone, FlowSkip, before_consent=True)
async def _engine_press(pressed: Pressed, action: Any) -> Outcome:
    """An answer to a flow's question; before consent, only onboarding's and broadcasts'."""
    return await engine.press(
        pressed.session,
        person=pressed.person,
        action=action,
        now=pressed.now,
        flows=None if pressed.consented else WITHOUT_CONSENT,
    )
