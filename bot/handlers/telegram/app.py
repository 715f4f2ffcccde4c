"""Build the PTB application from settings: Bot API URL, typed context, handlers."""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl

import httpx
from telegram import BotCommand
from telegram.ext import ApplicationBuilder, ContextTypes
from telegram.request import HTTPXRequest

from bot.flows.commands import commands_for
from bot.handlers.telegram import register
from bot.handlers.telegram.context import BotData, CirclesApplication, CirclesContext
from bot.handlers.telegram.ratelimit import TelegramLimits
from bot.handlers.telegram.updates import CONCURRENT_UPDATES, PerPersonOrder
from circles.clock import Clock, SystemClock
from circles.db import SessionMaker
from circles.i18n import translate
from circles.models import Role
from circles.settings import SUPPORTED_LANGUAGES, Settings

log = logging.getLogger(__name__)

#: Connections the bot's requests may hold at once (PTB's own default): replies of the
#: updates in progress, button answers and the outbox senders.
CONNECTION_POOL_SIZE = 256


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for the process: each new one reads the CA bundle (about 30 ms)."""
    return httpx.create_ssl_context()


def telegram_requests(pool_size: int = CONNECTION_POOL_SIZE) -> HTTPXRequest:
    """An HTTP client for the Bot API that shares the process's TLS context."""
    return HTTPXRequest(connection_pool_size=pool_size, httpx_kwargs={"verify": tls_context()})


def build_application(
    settings: Settings,
    sessions: SessionMaker,
    clock: Clock | None = None,
    limits: TelegramLimits | None = None,
    *,
    token: str | None = None,
    account: int | None = None,
    write_lock: asyncio.Lock | None = None,
) -> CirclesApplication:
    """A ready-to-initialize application talking to ``CIRCLES_TELEGRAM_API_URL``.

    Every request goes through ``limits`` (Telegram's rate limits), replies and outbox alike.
    Several people's updates run at once, each person's in order. On SQLite, which has one
    writer, their transactions take turns (``BotData.write_lock``) while replies overlap.
    ``token`` and ``account`` make it an extra channel account's bot (``circles channel``);
    its applications share the default bot's ``write_lock``.
    """
    if token is None and settings.telegram_token is None:
        raise ValueError("CIRCLES_TELEGRAM_TOKEN is not set")
    api = settings.telegram_api_url
    app: CirclesApplication = (
        ApplicationBuilder()
        .token(token or settings.telegram_token.get_secret_value())  # type: ignore[union-attr]
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .request(telegram_requests())
        .get_updates_request(telegram_requests(pool_size=1))
        .context_types(ContextTypes(context=CirclesContext, bot_data=BotData))
        .rate_limiter(limits or TelegramLimits(private_gap=settings.telegram_chat_gap))
        .concurrent_updates(PerPersonOrder(CONCURRENT_UPDATES))
        .build()
    )
    app.bot_data.settings = settings
    app.bot_data.sessions = sessions
    app.bot_data.clock = clock or SystemClock()
    app.bot_data.write_lock = write_lock or (asyncio.Lock() if settings.is_sqlite else None)
    app.bot_data.account = account
    register(app)
    return app


async def publish_commands(app: CirclesApplication) -> None:
    """Show the teachers' command menu in each supported language (2-letter codes)."""
    for language in SUPPORTED_LANGUAGES:
        commands = [
            BotCommand(c.name, translate(c.description, language))
            for c in commands_for({Role.teacher})
        ]
        code = None if language == "en" else language.split("_")[0]
        await app.bot.set_my_commands(commands, language_code=code)
