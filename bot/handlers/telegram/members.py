"""Commands (``/start``, ``/checkin``, ``/summary``, ``/broadcast`` …): one handler for all.

Every command of :data:`bot.flows.door.COMMANDS` is answered by the door in a private
chat; in a group, a command gets a pointer to a private chat instead, so that answers
stay private. Telegram alone has groups, so ``/linkgroup`` (only in a group) lives here,
and so does deleting the message that carried a coordinator token.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.flows import joining, meetings
from bot.flows.door import Inbound
from bot.flows.events import Say
from bot.flows.visit import Replies, Visit
from bot.handlers.telegram.common import handle_once
from bot.handlers.telegram.context import CirclesContext
from circles.text import t

log = logging.getLogger(__name__)


async def command(update: Update, context: CirclesContext) -> None:
    """Answer ``/<name> [words]`` through the door (in a group: point to a private chat)."""
    await _command(update, context)


async def _command(update: Update, context: CirclesContext) -> bool:
    """False if the update has no command in a chat (nothing was answered)."""
    message, chat = update.effective_message, update.effective_chat
    inbound = Inbound.command_of(message.text or "") if message else None
    if inbound is None or chat is None:
        return False

    async def redirect(_visit: Visit) -> Replies:
        return joining.group_redirect(bot_username=context.bot.username)

    private = chat.type == ChatType.PRIVATE
    await handle_once(update, context, inbound, None if private else redirect)
    return True


async def link_group(update: Update, context: CirclesContext) -> None:
    """``/linkgroup``: link the circle's Telegram group (only in a group)."""
    chat = update.effective_chat
    if chat is None:
        return

    async def answer(visit: Visit) -> Replies:
        if chat.type == ChatType.PRIVATE:
            return [Say(t("Send /linkgroup in your circle's Telegram group."))]
        return await meetings.link_group(visit, str(chat.id))

    await handle_once(update, context, Inbound(command="linkgroup"), answer)


async def link_coordinator(update: Update, context: CirclesContext) -> None:
    """``/coordinator <token>``: link this account; the message with the token is deleted."""
    message = update.effective_message
    if message is None:
        return
    answered = await _command(update, context)
    if answered and context.args:
        try:
            await message.delete()
        except TelegramError:
            log.warning("could not delete the message that carried a token")
