"""A facilitator's buttons, and the names the doors call for a facilitator's commands.

The commands live by domain: ``/summary``, ``/who`` and ``/circle`` in
:mod:`bot.flows.circle`, ``/nudge`` in :mod:`bot.flows.nudge`, ``/review`` and its
verdicts in :mod:`bot.flows.review`, the weekly digest in :mod:`bot.flows.digest`. Buttons carry a
:class:`~bot.flows.buttons.FacilitatorCommand` (``f:who``: run that command) or a
:class:`~bot.flows.buttons.Review` (``r:approve:<id>``); :func:`button` takes both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import engine
from bot.flows.actions import Pressed, on
from bot.flows.buttons import FACILITATOR_TAGS, FacilitatorAction, FacilitatorCommand, Review
from bot.flows.circle import Replies, circle, summary, who
from bot.flows.digest import weekly_digest
from bot.flows.events import Say
from bot.flows.messages import Sender
from bot.flows.nudge import nudge
from bot.flows.review import review, review_button
from circles.settings import Settings
from circles.text import t

_COMMANDS: dict[str, Callable[..., Awaitable[Replies]]] = {
    "summary": summary,
    "who": who,
    "nudge": nudge,
    "review": review,
    "circle": circle,
}


async def button(
    session: AsyncSession,
    *,
    sender: Sender,
    action: FacilitatorAction | None,
    settings: Settings,
    now: datetime,
) -> Replies:
    """A facilitator's button: a command runs it, a review decision is taken; None is closed."""
    match action:
        case Review():
            return await review_button(
                session, sender=sender, action=action, settings=settings, now=now
            )
        case FacilitatorCommand(command=name):
            return await _COMMANDS[name](session, sender=sender, settings=settings, now=now)
    return [Say(t(engine.CLOSED))]


@on(FacilitatorCommand, Review, unreadable=FACILITATOR_TAGS)
async def _pressed(pressed: Pressed, action: FacilitatorAction | None) -> engine.Outcome:
    """A facilitator's button; an unreadable one is answered like a closed one, by message."""
    replies = await button(
        pressed.session,
        sender=pressed.sender,
        action=action,
        settings=pressed.settings,
        now=pressed.now,
    )
    return engine.Outcome(replies)


__all__ = [
    "button",
    "circle",
    "nudge",
    "review",
    "review_button",
    "summary",
    "weekly_digest",
    "who",
]
