"""Start the Telegram door for ``circles run``: poll (or take webhook calls) and send the outbox.

The runner in :mod:`circles_cli.run` composes the parts; everything that speaks to
Telegram while it does so lives here, so no module outside this folder imports PTB.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from fastapi import FastAPI
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
from circles.loops import refresh_accounts, watch_accounts
from circles.models import Channel
from circles.services.channels import extra_accounts
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
    reload: asyncio.Event | None = None,
) -> None:
    """Poll Telegram (or take its webhook calls) until ``stop``; retry start-up meanwhile.

    The default bot (``CIRCLES_TELEGRAM_TOKEN``) and every extra bot of ``circles
    channel`` run side by side, one PTB application each; one outbox sender sends each
    row through the bot of the recipient's circle. Bots added, changed or removed while
    this runs are started or stopped within ``circles.loops.ACCOUNTS_REFRESH`` seconds, or at once
    when ``reload`` is set (``circles run`` sets it on SIGHUP).
    """
    app = build_application(settings, sessions, clock)
    if not await _initialize(app, stop, "CIRCLES_TELEGRAM_TOKEN"):
        return
    webhook = settings.webhook_url and settings.webhook_secret is not None and api_app is not None
    limits = app.bot.rate_limiter
    assert isinstance(limits, TelegramLimits)
    sender = OutboxSender(
        app.bot, sessions, clock, limits, default_language=settings.default_language
    )
    bots = _Bots(settings, sessions, clock, app, sender, api_app if webhook else None, stop)
    await bots.start(None, None, app)
    await refresh_accounts(bots.refresh)
    sending = asyncio.create_task(sender.run(stop), name="outbox")
    watching = asyncio.create_task(
        watch_accounts(bots.refresh, stop, reload), name="telegram accounts"
    )
    try:
        await stop.wait()
    finally:
        await sending
        await watching
        await bots.stop_all()


@dataclass
class _Running:
    """One bot running in this process."""

    account_id: int | None
    token: str = field(repr=False)
    app: CirclesApplication
    inbox: asyncio.Task[None] | None = None


class _Bots:
    """The bots this process runs: the default one and the extra bots of the database."""

    def __init__(
        self,
        settings: Settings,
        sessions: SessionMaker,
        clock: Clock,
        default: CirclesApplication,
        sender: OutboxSender,
        api_app: FastAPI | None,
        stop: asyncio.Event,
    ) -> None:
        self.settings, self.sessions, self.clock = settings, sessions, clock
        self.default, self.sender, self.api_app, self.stop = default, sender, api_app, stop
        #: By account name (None: the default bot).
        self.running: dict[str | None, _Running] = {}
        self.complained: set[str] = set()
        self.rejected: set[tuple[str, str]] = set()
        if api_app is not None:
            api_app.state.telegram_accounts = {}
            api_app.state.telegram_account_inboxes = {}

    async def refresh(self) -> None:
        """Start the extra bots added (or whose token changed), stop those removed."""
        found = await extra_accounts(
            self.settings, self.sessions, Channel.telegram, self.complained
        )
        wanted = {a.name: a for a in found}
        for name in [n for n in self.running if n is not None]:
            account = wanted.get(name)
            current = self.running[name]
            if account is None or (account.id, account.token) != (
                current.account_id,
                current.token,
            ):
                await self.stop_one(name)
        for name, account in wanted.items():
            if name in self.running or (name, account.token) in self.rejected:
                continue
            other = build_application(
                self.settings,
                self.sessions,
                self.clock,
                token=account.token,
                account=account.id,
                write_lock=self.default.bot_data.write_lock,
            )
            other.bot_data.default_username = self.default.bot.username
            if await _initialize(other, self.stop, f"the token of channel account {name}"):
                await self.start(name, account.id, other, account.token)
            elif not self.stop.is_set():  # Telegram refused the token: not again until changed
                self.rejected.add((name, account.token))

    async def start(
        self,
        name: str | None,
        account_id: int | None,
        running: CirclesApplication,
        token: str = "",
    ) -> None:
        """Start an initialized bot: its webhook (or polling), its inbox, its sending."""
        assert running.updater is not None
        await running.start()
        entry = _Running(account_id, token, running)
        settings = self.settings
        if self.api_app is not None:
            assert settings.webhook_url is not None and settings.webhook_secret is not None
            await running.bot.set_webhook(
                account_webhook_url(settings.webhook_url, name),
                allowed_updates=ALLOWED_UPDATES,
                secret_token=settings.webhook_secret.get_secret_value(),
            )
            # Each bot handles its own rows of the inbox (``receiver``: its account name).
            inbox = UpdateInbox(running, self.sessions, self.clock, receiver=name)
            state = self.api_app.state
            if name is None:
                state.telegram_inbox = inbox
                state.telegram = running
            else:
                state.telegram_accounts[name] = running
                state.telegram_account_inboxes[name] = inbox
            entry.inbox = asyncio.create_task(inbox.run(self.stop), name=f"telegram inbox {name}")
            path = account_webhook_url(webhook_path(settings), name)
            mode = f"takes updates by webhook at {path}"
        else:
            await running.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            mode = "is polling for updates"
        if account_id is not None:
            assert isinstance(running.bot.rate_limiter, TelegramLimits)
            self.sender.accounts[account_id] = (running.bot, running.bot.rate_limiter)
        self.running[name] = entry
        await publish_commands(running)
        log.info("bot @%s %s", running.bot.username, mode)

    async def stop_one(self, name: str | None) -> None:
        """Stop one bot; its rows wait in the outbox, its updates in the inbox."""
        entry = self.running.pop(name)
        if entry.account_id is not None:
            self.sender.accounts.pop(entry.account_id, None)
        if self.api_app is not None and name is not None:
            self.api_app.state.telegram_accounts.pop(name, None)
            self.api_app.state.telegram_account_inboxes.pop(name, None)
        if entry.inbox is not None:
            entry.inbox.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await entry.inbox
        running = entry.app
        assert running.updater is not None
        if running.updater.running:
            await running.updater.stop()
        await running.stop()
        await running.shutdown()
        if name is not None:
            log.info("the bot of channel account %s stopped", name)

    async def stop_all(self) -> None:
        """Stop every bot, the extra ones first (``stop`` is set: the inboxes end)."""
        for entry in self.running.values():
            if entry.inbox is not None:
                await entry.inbox
                entry.inbox = None
        for name in sorted(self.running, key=lambda n: n is None):
            await self.stop_one(name)


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
