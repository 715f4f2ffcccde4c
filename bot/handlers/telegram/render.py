"""Telegram's renderer: an update's events, fitted to Telegram, shown with PTB.

The events are fitted (:mod:`bot.flows.fit`) in the reader's language inside the
update's transaction; what is fitted is shown after the commit: the button press is
answered (with the ``Notice``, a toast), the pressed question is marked "→ label" and
loses its buttons (``Done``) or gets its redrawn keyboard (a multiple choice), and the
messages are sent in order — text with an inline keyboard, a photo, a document.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.flows.fit import TELEGRAM, Fitted, Keys, fit
from bot.flows.fit import Message as Outgoing

log = logging.getLogger(__name__)

#: Seconds to wait before sending a reply again after Telegram answered 5xx or could not
#: be reached. A timeout is not retried: the message may have arrived (never twice).
REPLY_RETRY_DELAYS = (0.5, 1.0, 2.0)


def fitted(events: Sequence[object], language: str | None) -> Fitted:
    """``events`` in ``language``, fitted to Telegram."""
    return fit(list(events), language, TELEGRAM)


def keyboard(keys: Keys) -> InlineKeyboardMarkup | None:
    """Rows of (label, data) as an inline keyboard (None: no buttons)."""
    if not keys:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in keys]
    )


async def show(update: Update, bot: Bot, shown: Fitted) -> None:
    """Answer the button press, mark or redraw the pressed question, send the messages."""
    messages = list(shown.messages)
    query = update.callback_query
    if query is not None:
        try:
            await query.answer(shown.notice)
        except NetworkError as exc:  # the spinner stops by itself; the replies matter more
            log.info("could not answer the button press: %s", type(exc).__name__)
        if isinstance(query.message, Message):
            await _edit_pressed(query.message, shown)
    elif shown.notice:  # no button to answer: the note is a message of its own
        messages.insert(0, Outgoing(shown.notice))
    chat = update.effective_chat
    if chat is not None:
        await send(bot, chat.id, messages)


async def _edit_pressed(message: Message, shown: Fitted) -> None:
    """Show the choice under the question and remove its buttons, or redraw a selection."""
    try:
        if shown.redraw is not None:
            await message.edit_reply_markup(keyboard(shown.redraw))
        elif shown.chosen is not None and message.text is not None:
            await message.edit_text(f"{message.text}\n\n→ {shown.chosen}", reply_markup=None)
    except BadRequest as exc:  # the message is too old to edit, or unchanged
        log.info("could not mark the answered question: %s", exc.message)
    except NetworkError as exc:
        log.info("could not mark the answered question: %s", type(exc).__name__)


async def send(bot: Bot, chat_id: int, messages: Sequence[Outgoing]) -> None:
    """Send each message to ``chat_id`` in order, retrying 5xx and unreachable Telegram."""
    for message in messages:
        for delay in (*REPLY_RETRY_DELAYS, None):
            try:
                await _send(bot, chat_id, message)
                break
            except TimedOut:
                raise
            except NetworkError as exc:
                if delay is None:
                    raise
                log.warning(
                    "Telegram failed a reply (%s); retrying in %ss", type(exc).__name__, delay
                )
                await asyncio.sleep(delay)


async def send_events(bot: Bot, chat_id: int, events: Sequence[object], language: str) -> None:
    """Fit ``events`` in ``language`` and send them (a reply outside an update)."""
    await send(bot, chat_id, fitted(events, language).messages)


async def _send(bot: Bot, chat_id: int, message: Outgoing) -> None:
    media = message.media
    if media is not None and media.content is not None:
        upload = InputFile(media.content, filename=media.filename)
        if media.kind == "photo":
            await bot.send_photo(chat_id, upload, caption=message.text or None)
        else:
            await bot.send_document(chat_id, upload, caption=message.text)
    elif media is not None and media.kind == "photo":
        await bot.send_photo(chat_id, media.file_id, caption=message.text or None)
    elif media is not None:
        await bot.send_document(chat_id, media.file_id, caption=message.text or None)
    else:
        await bot.send_message(chat_id, message.text, reply_markup=keyboard(message.keys))
