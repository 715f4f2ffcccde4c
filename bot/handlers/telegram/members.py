"""Member commands (``/checkin``, ``/journey``, ``/pause``, ``/mydata`` …), one handler each."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.flows import coordinator, facilitator, joining, meetings, teacher
from bot.flows.events import Event, Say
from bot.flows.messages import Sender
from bot.handlers.telegram.common import handle_once, sender_of
from bot.handlers.telegram.context import CirclesContext
from circles.settings import Settings
from circles.text import t

log = logging.getLogger(__name__)

CommandFlow = Callable[..., Awaitable[Sequence[Event]]]

#: Each member command and the flow function that answers it: the teachers' own (shared
#: with the web simulator), then facilitators' and coordinators'.
MEMBER_COMMANDS: dict[str, CommandFlow] = {
    **teacher.COMMANDS,
    "summary": facilitator.summary,
    "who": facilitator.who,
    "nudge": facilitator.nudge,
    "circle": facilitator.circle,
    "review": facilitator.review,
    "broadcast": coordinator.broadcast,
    "broadcasts": coordinator.overview,
    "meeting": meetings.schedule,
    "meetings": meetings.overview,
}


def member_command(name: str) -> Callable[[Update, CirclesContext], Awaitable[None]]:
    """A handler for ``/<name>``: private chats get the flow, groups a pointer to one."""
    flow = MEMBER_COMMANDS[name]

    async def handle(update: Update, context: CirclesContext) -> None:
        await _in_private(update, context, flow)

    handle.__doc__ = f"Answer /{name}."
    return handle


async def _in_private(
    update: Update, context: CirclesContext, flow: CommandFlow, **given: object
) -> bool:
    """Answer with ``flow`` in a private chat, with a pointer to one in a group.

    False if the update has no sender or chat (nothing was answered).
    """
    sender, chat = sender_of(update), update.effective_chat
    if sender is None or chat is None:
        return False
    settings: Settings = context.deps.settings
    now: datetime = context.deps.clock.now()

    async def work(session: AsyncSession) -> Sequence[Event]:
        if chat.type != ChatType.PRIVATE:
            return _redirect(context, sender, settings)
        return await flow(session, sender=sender, settings=settings, now=now, **given)

    await handle_once(update, context, work)
    return True


def _redirect(context: CirclesContext, sender: Sender, settings: Settings) -> list[Event]:
    return joining.group_redirect(
        bot_username=context.bot.username, language_code=sender.language_code, settings=settings
    )


async def link_group(update: Update, context: CirclesContext) -> None:
    """``/linkgroup``: link the circle's Telegram group (only in a group)."""
    sender, chat = sender_of(update), update.effective_chat
    if sender is None or chat is None:
        return
    settings: Settings = context.deps.settings
    now: datetime = context.deps.clock.now()

    async def work(session: AsyncSession) -> Sequence[Event]:
        if chat.type == ChatType.PRIVATE:
            return [Say(t("Send /linkgroup in your circle's Telegram group."))]
        return await meetings.link_group(
            session, sender=sender, group=str(chat.id), settings=settings, now=now
        )

    await handle_once(update, context, work)


async def search_practices(update: Update, context: CirclesContext) -> None:
    """``/practices [words]``: search or browse the evidence repository (private chats)."""
    await _in_private(update, context, teacher.search_practices, words=" ".join(context.args or []))


async def link_coordinator(update: Update, context: CirclesContext) -> None:
    """``/coordinator <token>``: link this account; the message with the token is deleted."""
    message = update.effective_message
    if message is None:
        return
    secret = context.args[0] if context.args else None
    answered = await _in_private(update, context, coordinator.link, secret=secret)
    if answered and secret:
        try:
            await message.delete()
        except TelegramError:
            log.warning("could not delete the message that carried a token")
