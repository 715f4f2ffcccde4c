"""A facilitator's buttons: a command run from a button, and a review verdict.

The commands live by domain: ``/summary``, ``/who`` and ``/circle`` in
:mod:`bot.flows.circle`, ``/nudge`` in :mod:`bot.flows.nudge`, ``/review`` and its
verdicts in :mod:`bot.flows.review`, the weekly digest in :mod:`bot.flows.digest`. Buttons
carry a :class:`~bot.flows.buttons.FacilitatorCommand` (``f:who``: run that command, as
if typed) or a :class:`~bot.flows.buttons.Review` (``r:approve:<id>``).
"""

from __future__ import annotations

from bot.flows import door, engine
from bot.flows.actions import Pressed, on
from bot.flows.buttons import FACILITATOR_TAGS, FacilitatorAction, FacilitatorCommand, Review
from bot.flows.events import Say
from bot.flows.review import review_button
from bot.flows.visit import Replies, Visit
from circles.text import t


async def button(visit: Visit, action: FacilitatorAction | None) -> Replies:
    """A facilitator's button: a command runs it, a review decision is taken; None is closed."""
    match action:
        case Review():
            return await review_button(visit, action)
        case FacilitatorCommand(command=name):
            return await door.COMMANDS[name](visit, "")
    return [Say(t(engine.CLOSED))]


@on(FacilitatorCommand, Review, unreadable=FACILITATOR_TAGS)
async def _pressed(pressed: Pressed, action: FacilitatorAction | None) -> engine.Outcome:
    """A facilitator's button; an unreadable one is answered like a closed one, by message."""
    return engine.Outcome(await button(pressed.visit, action))
