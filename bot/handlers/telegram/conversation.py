"""Messages that are not commands, button presses, edits and unknown commands."""

from __future__ import annotations

from telegram import Update

from bot.flows.door import Inbound
from bot.handlers.telegram.common import handle_once, input_of
from bot.handlers.telegram.context import CirclesContext


async def answer(update: Update, context: CirclesContext) -> None:
    """Take a private message as the answer to the open question."""
    if update.message is not None:
        await handle_once(update, context, Inbound(message=input_of(update.message)))


async def press(update: Update, context: CirclesContext) -> None:
    """Take a button press."""
    if update.callback_query is not None:
        await handle_once(update, context, Inbound(data=update.callback_query.data or ""))


async def edited(update: Update, context: CirclesContext) -> None:
    """Update the answer of an edited message while its check-in is open."""
    if update.edited_message is not None:
        message = input_of(update.edited_message)
        await handle_once(update, context, Inbound(message=message, edited=True))


async def unknown_command(update: Update, context: CirclesContext) -> None:
    """Say that the command is unknown and where the list is."""
    message = update.effective_message
    if message is not None and message.text:
        await handle_once(update, context, Inbound.of(input_of(message)))
