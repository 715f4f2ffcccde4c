"""``/start [code]``: join a circle, or learn how to."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.constants import ChatType

from bot.flows import joining
from bot.flows.events import Event
from bot.handlers.telegram.common import handle_once, sender_of
from bot.handlers.telegram.context import CirclesContext


async def start(update: Update, context: CirclesContext) -> None:
    """Join the circle of the invite code, or explain how to get one."""
    sender = sender_of(update)
    chat = update.effective_chat
    if sender is None or chat is None:
        return
    deps = context.deps
    code = context.args[0] if context.args else None

    async def work(session: AsyncSession) -> list[Event]:
        if chat.type != ChatType.PRIVATE:
            return joining.group_redirect(
                bot_username=context.bot.username,
                language_code=sender.language_code,
                settings=deps.settings,
            )
        return await joining.start(
            session, sender=sender, code=code, settings=deps.settings, now=deps.clock.now()
        )

    await handle_once(update, context, work)
