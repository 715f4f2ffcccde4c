"""What every handler shares: one transaction per update, once, then show the outcome."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

from telegram import Message, Update
from telegram.error import TelegramError

from bot.flows import door
from bot.flows.door import Inbound
from bot.flows.inputs import Input, InputKind
from bot.flows.messages import Arrival, Sender
from bot.flows.visit import Replies, Visit
from bot.handlers.telegram import render
from bot.handlers.telegram.context import CirclesContext
from circles.db import transaction
from circles.i18n import use_language
from circles.models import Channel

log = logging.getLogger(__name__)


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


def update_key(update: Update, account: int | None) -> str:
    """The update's id as processed updates keep it: each bot counts its own update ids,
    so an extra bot's carry its account (``a<id>:<update id>``)."""
    return str(update.update_id) if account is None else f"a{account}:{update.update_id}"


def arrival_of(context: CirclesContext) -> Arrival:
    """The bot the update came in on, and the default bot's username."""
    deps = context.deps
    default = deps.default_username
    if deps.account is None:
        default = default or context.bot.username
    return Arrival(deps.account, default)


async def handle_once(
    update: Update,
    context: CirclesContext,
    inbound: Inbound,
    answer: Callable[[Visit], Awaitable[Replies]] | None = None,
) -> None:
    """Take ``inbound`` through the door in one transaction that also claims the update
    id, then show what it answered.

    A redelivered update finds its id claimed and does nothing. If the work fails, the
    claim rolls back with everything else, so a redelivery is handled again. The events
    are rendered after the work, in the reader's language as it is then (a language chosen
    by this update is the one its replies are in), and go out only after the commit, so
    nothing is shown that was not saved. ``answer`` stands in for the door's dispatch
    where Telegram alone has something to say (groups).
    """
    deps = context.deps
    sender = sender_of(update)
    if sender is None:
        return
    turn = deps.write_lock or contextlib.nullcontext()
    with use_language(sender.language_code, deps.settings.default_language):
        async with turn, transaction(deps.sessions) as session:
            handled = await door.take(
                session,
                update_id=update_key(update, deps.account),
                sender=sender,
                inbound=inbound,
                settings=deps.settings,
                now=deps.clock.now(),
                answer=answer,
                arrival=arrival_of(context),
            )
            if handled is None:
                log.info("update %s was already handled; skipping", update.update_id)
                if update.callback_query is not None:
                    try:
                        await update.callback_query.answer()
                    except TelegramError as exc:  # answered the first time already
                        log.info("could not answer a repeated button press: %s", exc)
                return
            shown = render.fitted(handled.outcome.events, handled.language)
    try:
        await render.show(update, context.bot, shown)
    except TelegramError as exc:
        # The work is saved; the error handler's "not saved" would be wrong here.
        log.warning(
            "update %s was saved but its reply could not be sent (%s)",
            update.update_id,
            type(exc).__name__,
        )
