"""The one error handler: log first, then tell the person in their language."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import CirclesContext
from circles.i18n import _, use_language

log = logging.getLogger(__name__)


async def on_error(update: object, context: CirclesContext) -> None:
    """Log the failure with its traceback and apologise to the person, if there is one."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    with use_language(user.language_code if user else None, context.deps.settings.default_language):
        text = _(
            "Sorry, something went wrong on our side and your last message was not saved. "
            "Please try again in a moment."
        )
    try:
        await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError:
        log.warning("could not tell chat about the error", exc_info=True)
