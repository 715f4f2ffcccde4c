"""The Telegram door: all handler wiring in one place."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.handlers.telegram import conversation
from bot.handlers.telegram.context import CirclesApplication
from bot.handlers.telegram.errors import on_error
from bot.handlers.telegram.help import show_help
from bot.handlers.telegram.members import (
    MEMBER_COMMANDS,
    link_coordinator,
    link_group,
    member_command,
    search_practices,
)
from bot.handlers.telegram.start import start


def register(app: CirclesApplication) -> None:
    """Attach every handler and the error handler to ``app``."""
    commands = filters.UpdateType.MESSAGE  # an edited old command does not run again
    app.add_handler(CommandHandler("start", start, filters=commands))
    app.add_handler(CommandHandler("help", show_help, filters=commands))
    app.add_handler(CommandHandler("linkgroup", link_group, filters=commands))
    app.add_handler(CommandHandler("coordinator", link_coordinator, filters=commands))
    app.add_handler(CommandHandler("practices", search_practices, filters=commands))
    for name in MEMBER_COMMANDS:
        app.add_handler(CommandHandler(name, member_command(name), filters=commands))
    private = filters.ChatType.PRIVATE
    app.add_handler(
        MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, conversation.edited)
    )
    app.add_handler(MessageHandler(private & filters.COMMAND, conversation.unknown_command))
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, conversation.answer))
    app.add_handler(CallbackQueryHandler(conversation.press))
    app.add_error_handler(on_error)
