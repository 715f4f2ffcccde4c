"""Run the API, the bot and the scheduler in one asyncio process, and stop them cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from enum import StrEnum

import uvicorn
from telegram.error import InvalidToken, NetworkError, TelegramError

from api.app import create_app
from bot.app import build_application, publish_commands
from bot.ratelimit import TelegramLimits
from bot.sender import OutboxSender
from circles.clock import SystemClock
from circles.db import SessionMaker, create_engine, create_sessionmaker
from circles.migrate import upgrade
from circles.settings import Settings
from scheduler.app import build_scheduler
from scheduler.leader import Leadership

log = logging.getLogger(__name__)

#: How long to wait before asking Telegram again when it cannot be reached at start-up.
BOT_RETRY_DELAYS = (2, 5, 15, 30, 60)


class Part(StrEnum):
    """The parts ``circles run`` can start."""

    api = "api"
    bot = "bot"
    scheduler = "scheduler"


class _Server(uvicorn.Server):
    """Uvicorn without its own signal handling: the runner owns SIGINT and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run(settings: Settings, parts: set[Part]) -> None:
    """Migrate, start ``parts``, wait for SIGINT/SIGTERM, then stop everything."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        log.info("database is at the latest schema")
        sessions = create_sessionmaker(engine)
        clock = SystemClock()
        tasks: list[asyncio.Task[None]] = []
        if Part.api in parts:
            app = create_app(settings, engine, clock)
            config = uvicorn.Config(
                app,
                host=settings.api_host,
                port=settings.api_port,
                log_config=None,
                access_log=False,
                lifespan="off",
            )
            server = _Server(config)
            tasks.append(asyncio.create_task(_serve_api(server, stop), name="api"))
            log.info(
                "admin API on http://%s:%s (docs at /docs)", settings.api_host, settings.api_port
            )
        leadership = Leadership(engine)
        if Part.scheduler in parts:
            scheduler = build_scheduler(sessions, clock, leadership)
            scheduler.start()
            log.info("scheduler started with %d jobs", len(scheduler.get_jobs()))
        if Part.bot in parts:
            if settings.telegram_token is None:
                log.warning(
                    "CIRCLES_TELEGRAM_TOKEN is not set, so the Telegram bot is not running. "
                    "Get a token from @BotFather, put CIRCLES_TELEGRAM_TOKEN=<token> in .env "
                    "and start again."
                )
            else:
                tasks.append(asyncio.create_task(_run_bot(settings, sessions, stop), name="bot"))
        await stop.wait()
        log.info("stopping")
        if Part.scheduler in parts:
            scheduler.shutdown(wait=False)
            await leadership.release()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=10)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await engine.dispose()
        log.info("stopped")


async def _serve_api(server: uvicorn.Server, stop: asyncio.Event) -> None:
    serving = asyncio.create_task(server.serve())
    stopping = asyncio.create_task(stop.wait())
    done, _pending = await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if serving in done:
        # The server ended by itself (the port is taken, say): stop the whole process.
        stopping.cancel()
        if serving.exception() is not None or not server.started:
            log.error("the admin API could not start on port %s", server.config.port)
        stop.set()
        return
    server.should_exit = True
    await serving


async def _run_bot(settings: Settings, sessions: SessionMaker, stop: asyncio.Event) -> None:
    """Poll Telegram until ``stop``; retry start-up while Telegram cannot be reached."""
    if settings.webhook_url:
        log.warning(
            "CIRCLES_WEBHOOK_URL is set, but webhook mode is not implemented yet; "
            "the bot uses long polling"
        )
    app = build_application(settings, sessions)
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
    await app.updater.start_polling(
        allowed_updates=["message", "edited_message", "callback_query", "my_chat_member"]
    )
    await publish_commands(app)
    log.info("bot @%s is polling for updates", app.bot.username)
    limits = app.bot.rate_limiter
    assert isinstance(limits, TelegramLimits)
    sender = OutboxSender(app.bot, sessions, SystemClock(), limits)
    sending = asyncio.create_task(sender.run(stop), name="outbox")
    try:
        await stop.wait()
    finally:
        await sending
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
