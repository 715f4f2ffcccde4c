"""Start the Telegram door for ``circles run``: poll (or take webhook calls) and send the outbox.

The runner in :mod:`circles_cli.run` composes the parts; everything that speaks to
Telegram while it does so lives here, so no module outside this folder imports PTB.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import FastAPI
from sqlalchemy import select
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.handlers.telegram.app import build_application, publish_commands
from bot.handlers.telegram.context import CirclesApplication
from bot.handlers.telegram.inbox import UpdateInbox
from bot.handlers.telegram.ratelimit import TelegramLimits
from bot.handlers.telegram.sender import OutboxSender
from bot.handlers.telegram.webhook import webhook_path
from circles.clock import Clock
from circles.db import SessionMaker
from circles.models import Channel, ChannelAccount
from circles.secrets import SecretsError, vault
from circles.services.channels import credentials
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
    """Poll Telegram (or take its webhook calls) until ``stop``; retry start-up meanwhile.

    The default bot (``CIRCLES_TELEGRAM_TOKEN``) and every extra bot of ``circles
    channel`` run side by side, one PTB application each; one outbox sender sends each
    row through the bot of the recipient's circle.
    """
    app = build_application(settings, sessions, clock)
    if not await _initialize(app, stop, "CIRCLES_TELEGRAM_TOKEN"):
        return
    extra = await _account_apps(settings, sessions, clock, app, stop)
    webhook = settings.webhook_url and settings.webhook_secret is not None and api_app is not None
    handling: list[asyncio.Task[None]] = []
    inboxes: dict[str, UpdateInbox] = {}
    for name, _, running in [(None, None, app), *extra]:
        assert running.updater is not None
        await running.start()
        if webhook:
            assert api_app is not None
            assert settings.webhook_url is not None and settings.webhook_secret is not None
            await running.bot.set_webhook(
                account_webhook_url(settings.webhook_url, name),
                allowed_updates=ALLOWED_UPDATES,
                secret_token=settings.webhook_secret.get_secret_value(),
            )
            # Each bot handles its own rows of the inbox (``receiver``: its account name).
            inbox = UpdateInbox(running, sessions, clock, receiver=name)
            if name is None:
                api_app.state.telegram_inbox = inbox
                api_app.state.telegram = app
            else:
                inboxes[name] = inbox
            handling.append(asyncio.create_task(inbox.run(stop), name=f"telegram inbox {name}"))
            path = account_webhook_url(webhook_path(settings), name)
            mode = f"takes updates by webhook at {path}"
        else:
            await running.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            mode = "is polling for updates"
        await publish_commands(running)
        log.info("bot @%s %s", running.bot.username, mode)
    if webhook:
        assert api_app is not None
        api_app.state.telegram_accounts = {name: other for name, _, other in extra}
        api_app.state.telegram_account_inboxes = inboxes
    limits = app.bot.rate_limiter
    assert isinstance(limits, TelegramLimits)
    routes = {}
    for _, account_id, other in extra:
        assert isinstance(other.bot.rate_limiter, TelegramLimits)
        routes[account_id] = (other.bot, other.bot.rate_limiter)
    sender = OutboxSender(
        app.bot,
        sessions,
        clock,
        limits,
        default_language=settings.default_language,
        accounts=routes,
    )
    sending = asyncio.create_task(sender.run(stop), name="outbox")
    try:
        await stop.wait()
    finally:
        await sending
        for task in handling:
            await task
        for _, _, running in [*extra, (None, None, app)]:
            assert running.updater is not None
            if running.updater.running:
                await running.updater.stop()
            await running.stop()
            await running.shutdown()


def account_webhook_url(url: str, name: str | None) -> str:
    """The webhook URL (or path) of the account ``name``: the default's with ``/<name>``."""
    return url if name is None else f"{url.rstrip('/')}/{name}"


async def _initialize(app: CirclesApplication, stop: asyncio.Event, what: str) -> bool:
    """Ask Telegram who the bot is, retrying while it cannot be reached; False on a bad
    token or when ``stop`` came first."""
    for attempt in range(10_000):
        try:
            await app.initialize()
            return True
        except InvalidToken:
            log.error(
                "Telegram rejected %s; that bot is not running. Check the token from @BotFather.",
                what,
            )
            return False
        except (NetworkError, TelegramError) as exc:
            delay = BOT_RETRY_DELAYS[min(attempt, len(BOT_RETRY_DELAYS) - 1)]
            log.warning(
                "cannot reach the Telegram Bot API (%s); retrying in %ss", type(exc).__name__, delay
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            if stop.is_set():
                return False
    return False


async def _account_apps(
    settings: Settings,
    sessions: SessionMaker,
    clock: Clock,
    default: CirclesApplication,
    stop: asyncio.Event,
) -> list[tuple[str, int, CirclesApplication]]:
    """The extra bots of ``circles channel``, initialized: (name, account id, application)."""
    try:
        async with sessions() as session:
            found = await credentials(session, vault=vault(settings), app=Channel.telegram)
    except SecretsError as exc:
        async with sessions() as session:
            if await session.scalar(select(ChannelAccount.id).limit(1)) is not None:
                log.error("the extra channel accounts are not running: %s", exc)
        return []
    apps = []
    for account in found:
        other = build_application(
            settings,
            sessions,
            clock,
            token=account.token,
            account=account.id,
            write_lock=default.bot_data.write_lock,
        )
        other.bot_data.default_username = default.bot.username
        if await _initialize(other, stop, f"the token of channel account {account.name}"):
            apps.append((account.name, account.id, other))
    return apps


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
