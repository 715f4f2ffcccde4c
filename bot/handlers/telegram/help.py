"""``/help``: what this person can do."""

from __future__ import annotations

from telegram import Update

from bot.flows import joining
from bot.handlers.telegram.common import handle_once, sender_of
from bot.handlers.telegram.context import CirclesContext


async def show_help(update: Update, context: CirclesContext) -> None:
    """List the person's circles and the commands open to them."""
    sender = sender_of(update)
    if sender is None:
        return
    await handle_once(
        update,
        context,
        lambda session: joining.help_text(session, sender=sender, settings=context.deps.settings),
    )
