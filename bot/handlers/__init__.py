"""All handler wiring in one place."""

from __future__ import annotations

from telegram.ext import CommandHandler

from bot.context import CirclesApplication
from bot.handlers.errors import on_error
from bot.handlers.help import show_help
from bot.handlers.start import start


def register(app: CirclesApplication) -> None:
    """Attach every handler and the error handler to ``app``."""
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", show_help))
    app.add_error_handler(on_error)
