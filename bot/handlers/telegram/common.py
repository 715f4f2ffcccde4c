"""What every handler shares: one transaction per update, once, then render the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut

from bot.flows.engine import Outcome
from bot.flows.inputs import Input, InputKind
from bot.flows.messages import Reply, Sender, joined
from bot.handlers.telegram.context import CirclesContext
from circles import metrics
from circles.db import transaction
from circles.i18n import use_language
from circles.models import Channel
from circles.services.people import mark_reachable, reader_language
from circles.services.updates import claim_update

log = logging.getLogger(__name__)

#: Seconds to wait before sending a reply again after Telegram answered 5xx or could not
#: be reached. A timeout is not retried: the message may have arrived (never twice).
REPLY_RETRY_DELAYS = (0.5, 1.0, 2.0)

Work = Callable[[AsyncSession], Awaitable[Sequence[Reply] | Outcome]]


def sender_of(update: Update) -> Sender | None:
    """The channel-agnostic sender of ``update``."""
    user = update.effective_user
    if user is None:
        return None
    return Sender(
        Channel.telegram, str(user.id), name=user.full_name, language_code=user.language_code
    )


def input_of(message: Message) -> Input:
    """What the person sent, as the flows see it."""
    ref = str(message.message_id)
    if message.text is not None:
        return Input(InputKind.text, text=message.text, ref=ref)
    if message.photo:
        return Input(
            InputKind.photo, text=message.caption, file_id=message.photo[-1].file_id, ref=ref
        )
    if message.document is not None:
        return Input(
            InputKind.document, text=message.caption, file_id=message.document.file_id, ref=ref
        )
    if message.voice is not None:
        # to_dict() gives the seconds Telegram sent, without PTB's timedelta deprecation path.
        duration = message.voice.to_dict().get("duration")
        return Input(InputKind.voice, file_id=message.voice.file_id, duration=duration, ref=ref)
    if message.sticker is not None:
        return Input(InputKind.sticker, ref=ref)
    if message.location is not None or message.venue is not None:
        return Input(InputKind.location, ref=ref)
    if message.contact is not None:
        return Input(InputKind.contact, ref=ref)
    return Input(InputKind.other, text=message.caption, ref=ref)


async def handle_once(update: Update, context: CirclesContext, work: Work) -> None:
    """Run ``work`` in one transaction that also claims the update id, then render it.

    A redelivered update finds its id claimed and does nothing. If ``work`` fails, the
    claim rolls back with everything else, so a redelivery is handled again. Replies go
    out only after the commit, so nothing is shown that was not saved.
    """
    deps = context.deps
    user = update.effective_user
    turn = deps.write_lock or contextlib.nullcontext()
    with use_language(user.language_code if user else None, deps.settings.default_language):
        async with turn, transaction(deps.sessions) as session:
            if not await claim_update(
                session,
                channel=Channel.telegram,
                update_id=str(update.update_id),
                now=deps.clock.now(),
            ):
                log.info("update %s was already handled; skipping", update.update_id)
                metrics.DUPLICATES.inc()
                if update.callback_query is not None:
                    try:
                        await update.callback_query.answer()
                    except TelegramError as exc:  # answered the first time already
                        log.info("could not answer a repeated button press: %s", exc)
                return
            metrics.UPDATES.inc()
            if user is not None:
                await mark_reachable(
                    session, channel=Channel.telegram, address=str(user.id), now=deps.clock.now()
                )
            result = await work(session)
            outcome = result if isinstance(result, Outcome) else Outcome(replies=list(result))
            if user is not None:
                language = await reader_language(
                    session,
                    channel=Channel.telegram,
                    address=str(user.id),
                    client_language=user.language_code,
                    default=deps.settings.default_language,
                )
                with use_language(language):
                    outcome = outcome.settled()
            else:
                outcome = outcome.settled()
    try:
        await render(update, context, outcome)
    except TelegramError as exc:
        # The work is saved; the error handler's "not saved" would be wrong here.
        log.warning(
            "update %s was saved but its reply could not be sent (%s)",
            update.update_id,
            type(exc).__name__,
        )


async def render(update: Update, context: CirclesContext, outcome: Outcome) -> None:
    """Show an outcome: answer the button press, mark the question, send the replies."""
    query = update.callback_query
    if query is not None:
        try:
            await query.answer(outcome.notice)
        except NetworkError as exc:  # the spinner stops by itself; the replies matter more
            log.info("could not answer the button press: %s", type(exc).__name__)
        message = query.message
        if isinstance(message, Message):
            await _mark_prompt(message, outcome)
    chat = update.effective_chat
    if chat is not None:
        await send_replies(context.bot, chat.id, joined(outcome.replies))


async def _mark_prompt(message: Message, outcome: Outcome) -> None:
    """Show the choice under the question and remove its buttons, or redraw a selection."""
    try:
        if outcome.keyboard is not None:
            await message.edit_reply_markup(keyboard(outcome.keyboard))
        elif outcome.chosen is not None and message.text is not None:
            await message.edit_text(f"{message.text}\n\n→ {outcome.chosen}", reply_markup=None)
    except BadRequest as exc:  # the message is too old to edit, or unchanged
        log.info("could not mark the answered question: %s", exc.message)
    except NetworkError as exc:
        log.info("could not mark the answered question: %s", type(exc).__name__)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Render a reply's buttons as an inline keyboard."""
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in reply.buttons
        ]
    )


async def send_replies(bot: Bot, chat_id: int, replies: Sequence[Reply]) -> None:
    """Send each reply to ``chat_id`` in order, retrying 5xx and unreachable Telegram."""
    for reply in replies:
        for delay in (*REPLY_RETRY_DELAYS, None):
            try:
                await _send_reply(bot, chat_id, reply)
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


async def _send_reply(bot: Bot, chat_id: int, reply: Reply) -> None:
    if reply.attachment is not None:
        document = InputFile(reply.attachment.content, filename=reply.attachment.filename)
        await bot.send_document(chat_id, document, caption=reply.text)
    elif reply.photo is not None:
        await bot.send_photo(chat_id, reply.photo, caption=reply.text or None)
    else:
        await bot.send_message(chat_id, reply.text, reply_markup=keyboard(reply))
