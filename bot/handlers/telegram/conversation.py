"""Messages that are not commands, button presses, edits and unknown commands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update

from bot.flows import teacher
from bot.flows.engine import Outcome, Shown
from bot.flows.events import Say
from bot.handlers.telegram.common import handle_once, input_of, sender_of
from bot.handlers.telegram.context import CirclesContext
from circles.text import t


async def answer(update: Update, context: CirclesContext) -> None:
    """Take a private message as the answer to the open question."""
    await _take_message(update, context, update.message, teacher.message)


async def press(update: Update, context: CirclesContext) -> None:
    """Take a button press."""
    sender, query = sender_of(update), update.callback_query
    if sender is None or query is None:
        return
    deps = context.deps

    async def work(session: AsyncSession) -> Outcome:
        return await teacher.button(
            session,
            sender=sender,
            data=query.data or "",
            settings=deps.settings,
            now=deps.clock.now(),
        )

    await handle_once(update, context, work)


async def edited(update: Update, context: CirclesContext) -> None:
    """Update the answer of an edited message while its check-in is open."""
    await _take_message(update, context, update.edited_message, teacher.edited_message)


async def _take_message(
    update: Update,
    context: CirclesContext,
    message: Message | None,
    flow: Callable[..., Awaitable[list[Shown]]],
) -> None:
    sender = sender_of(update)
    if sender is None or message is None:
        return
    deps = context.deps

    async def work(session: AsyncSession) -> list[Shown]:
        return await flow(
            session,
            sender=sender,
            message=input_of(message),
            settings=deps.settings,
            now=deps.clock.now(),
        )

    await handle_once(update, context, work)


async def unknown_command(update: Update, context: CirclesContext) -> None:
    """Say that the command is unknown and where the list is."""
    message = update.effective_message
    if message is None or not message.text:
        return
    command = message.text.split()[0].split("@")[0]

    async def work(_session: AsyncSession) -> list[Shown]:
        return [
            Say(
                t(
                    "I do not know the command {command}. Send /help to see what you can do.",
                    command=command,
                )
            )
        ]

    await handle_once(update, context, work)
