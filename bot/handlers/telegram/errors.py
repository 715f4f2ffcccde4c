"""The one error handler: log first, then tell the person in their language."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError
from telegram import Update
from telegram.error import TelegramError

from bot.handlers.telegram.context import CirclesContext
from circles.i18n import _, use_language

log = logging.getLogger(__name__)

#: What SQLite says when it cannot write: a read-only file or mount, or a full disk.
_REFUSED_WRITES = ("readonly database", "disk is full", "disk i/o error")


def refuses_writes(error: BaseException | None) -> bool:
    """Whether ``error`` says the database can be read but not written."""
    if not isinstance(error, DBAPIError):
        return False
    return any(reason in str(error.orig).lower() for reason in _REFUSED_WRITES)


async def on_error(update: object, context: CirclesContext) -> None:
    """Log the failure with its traceback and apologise to the person, if there is one.

    The update ran in one transaction, so a failure saved nothing: the person is told so.
    A database that refuses writes (read-only, disk full) will not heal in a moment, so
    the log says that plainly and the person is not asked to retry right away.
    """
    update_id = update.update_id if isinstance(update, Update) else None
    error = context.error
    if refuses_writes(error):
        log.error(
            "the database refuses writes (read-only or disk full: %s); update %s was not "
            "saved. Free disk space or make the database writable.",
            str(getattr(error, "orig", error))[:200],
            update_id,
        )
    elif isinstance(error, DBAPIError) and error.connection_invalidated:
        log.error("lost the database connection; update %s was not saved", update_id)
    else:
        log.error("error while handling update %s", update_id, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    with use_language(user.language_code if user else None, context.deps.settings.default_language):
        if refuses_writes(error):
            text = _(
                "Sorry, I cannot save anything right now, so your last message was not "
                "saved. The team has been told; please try again later."
            )
        else:
            text = _(
                "Sorry, something went wrong on our side and your last message was not saved. "
                "Please try again in a moment."
            )
    try:
        await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError:
        log.warning("could not tell chat about the error", exc_info=True)
