"""Start the Telegram door for ``circles run``: poll (or take webhook calls) and send the outbox.

The runner in :mod:`circles_cli.run` composes the parts; everything that speaks to
Telegram while it does so lives here, so no module outside this folder imports PTB.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import FastAPI
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.handlers.telegram.app import build_application, publish_commands
from bot.handlers.telegram.ratelimit import TelegramLimits
from bot.handlers.telegram.sender import OutboxSender
from bot.handlers.telegram.webhook import webhook_path
from circles.clock import Clock
from circles.db import SessionMaker
from circles.settings import Settings

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
#: How long to wait before asking Telegram again when it cannot be reached at start-up.
BOT_RETRY_DELAYS = (2, 5, 15, 30, 60)


class TelegramUnavailable(Exception):
    """Telegram did not answer a one-off question (the message says why)."""


async def run_bot(
    settings: Settings,
    sessions: SessionMaker,
    clock: Clock,
    stop: asyncio.Event,
    api_app: FastAPI | None,
) -> None:
    """Poll Telegram (or take its webhook calls) until ``stop``; retry start-up meanwhile."""
    app = build_application(settings, sessions, clock)
    for attempt in range(10_000):
        try:
            await app.initialize()
            break
        except InvalidToken:
            log.error(
                "Telegram rejected CIRCLES_TELEGRAM_TOKEN; the bot is not running. "
                "Check the token from @BotFather."
            )
            return
        except (NetworkError, TelegramError) as exc:
            delay = BOT_RETRY_DELAYS[min(attempt, len(BOT_RETRY_DELAYS) - 1)]
            log.warning(
                "cannot reach the Telegram Bot API (%s); retrying in %ss", type(exc).__name__, delay
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            if stop.is_set():
                return
    assert app.updater is not None
    await app.start()
    if settings.webhook_url and settings.webhook_secret is not None and api_app is not None:
        await app.bot.set_webhook(
            settings.webhook_url,
            allowed_updates=ALLOWED_UPDATES,
            secret_token=settings.webhook_secret.get_secret_value(),
        )
        api_app.state.telegram = app
        mode = f"takes updates by webhook at {webhook_path(settings)}"
    else:
        await app.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        mode = "is polling for updates"
    await publish_commands(app)
    log.info("bot @%s %s", app.bot.username, mode)
    limits = app.bot.rate_limiter
    assert isinstance(limits, TelegramLimits)
    sender = OutboxSender(
        app.bot, sessions, clock, limits, default_language=settings.default_language
    )
    sending = asyncio.create_task(sender.run(stop), name="outbox")
    try:
        await stop.wait()
    finally:
        await sending
        if app.updater.running:
            await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def fetch_username(settings: Settings, token: str | None = None) -> str | None:
    """The username of the bot of ``token`` (default: ``CIRCLES_TELEGRAM_TOKEN``), or None
    without a token; :class:`TelegramUnavailable` on no answer."""
    if token is None and settings.telegram_token is None:
        return None
    api = settings.telegram_api_url
    bot = Bot(
        token or settings.telegram_token.get_secret_value(),  # type: ignore[union-attr]
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
    )
    try:
        async with bot:
            return bot.username
    except TelegramError as exc:
        raise TelegramUnavailable(str(exc)) from exc
