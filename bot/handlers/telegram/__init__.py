"""The Telegram door: all handler wiring in one place."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.flows.door import COMMANDS
from bot.handlers.telegram import conversation
from bot.handlers.telegram.context import CirclesApplication
from bot.handlers.telegram.errors import on_error
from bot.handlers.telegram.members import command, link_coordinator, link_group


def register(app: CirclesApplication) -> None:
    """Attach every handler and the error handler to ``app``."""
    commands = filters.UpdateType.MESSAGE  # an edited old command does not run again
    app.add_handler(CommandHandler("linkgroup", link_group, filters=commands))
    app.add_handler(CommandHandler("coordinator", link_coordinator, filters=commands))
    for name in COMMANDS:
        app.add_handler(CommandHandler(name, command, filters=commands))
    private = filters.ChatType.PRIVATE
    app.add_handler(
        MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, conversation.edited)
    )
    app.add_handler(MessageHandler(private & filters.COMMAND, conversation.unknown_command))
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, conversation.answer))
    app.add_handler(CallbackQueryHandler(conversation.press))
    app.add_error_handler(on_error)
