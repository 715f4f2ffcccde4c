"""What every handler shares: one transaction per update, once, then render the replies."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import CirclesContext
from bot.flows.messages import Reply, Sender
from circles.db import transaction
from circles.i18n import use_language
from circles.services.updates import claim_update

log = logging.getLogger(__name__)

Work = Callable[[AsyncSession], Awaitable[Sequence[Reply]]]


def sender_of(update: Update) -> Sender | None:
    """The channel-agnostic sender of ``update``."""
    user = update.effective_user
    if user is None:
        return None
    return Sender(external_id=user.id, name=user.full_name, language_code=user.language_code)


async def handle_once(update: Update, context: CirclesContext, work: Work) -> None:
    """Run ``work`` in one transaction that also claims the update id, then send its replies.

    A redelivered update finds its id claimed and does nothing. If ``work`` fails, the
    claim rolls back with everything else, so a redelivery is handled again.
    """
    deps = context.deps
    user = update.effective_user
    with use_language(user.language_code if user else None, deps.settings.default_language):
        async with transaction(deps.sessions) as session:
            if not await claim_update(session, update_id=update.update_id, now=deps.clock.now()):
                log.info("update %s was already handled; skipping", update.update_id)
                return
            replies = await work(session)
        chat = update.effective_chat
        if chat is not None:
            await send_replies(context, chat.id, replies)


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


async def send_replies(context: CirclesContext, chat_id: int, replies: Sequence[Reply]) -> None:
    """Send each reply to ``chat_id`` in order."""
    for reply in replies:
        await context.bot.send_message(chat_id, reply.text, reply_markup=keyboard(reply))
