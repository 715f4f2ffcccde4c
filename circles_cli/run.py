"""Run the API, the bot and the scheduler in one asyncio process, and stop them cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from enum import StrEnum

import uvicorn

from api.app import create_app
from bot.handlers.telegram.runner import run_bot
from bot.handlers.telegram.webhook import install as install_webhook
from bot.handlers.whatsapp.preview import install as install_whatsapp_look
from bot.handlers.whatsapp.runner import run_whatsapp
from bot.handlers.whatsapp.webhook import install as install_whatsapp_webhook
from circles.db import create_engine, create_sessionmaker
from circles.migrate import upgrade
from circles.settings import Settings
from circles.testmode import clock_for, stop_sweeping, sweep_on_signal
from scheduler.app import build_scheduler
from scheduler.leader import Leadership

log = logging.getLogger(__name__)


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
    # SIGHUP: look at the channel accounts now (``circles channel add`` in another shell).
    telegram_reload, whatsapp_reload = asyncio.Event(), asyncio.Event()

    def reload_accounts() -> None:
        telegram_reload.set()
        whatsapp_reload.set()

    loop.add_signal_handler(signal.SIGHUP, reload_accounts)
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        log.info("database is at the latest schema")
        sessions = create_sessionmaker(engine)
        clock = clock_for(settings)
        tasks: list[asyncio.Task[None]] = []
        api_app = None
        if Part.api in parts:
            app = api_app = create_app(settings, engine, clock)
            install_webhook(app, settings)
            install_whatsapp_webhook(app, settings)
            install_whatsapp_look(app)
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
            base = f"http://{settings.api_host}:{settings.api_port}"
            if settings.simulator:
                log.info("try it without Telegram: the chat simulator is at %s/simulator", base)
            log.info("facilitator dashboard at %s/dashboard (sign in with an API token)", base)
        leadership = Leadership(engine)
        if Part.scheduler in parts:
            scheduler = build_scheduler(
                sessions, clock, leadership, wave_processes=settings.wave_processes
            )
            scheduler.start()
            log.info("scheduler started with %d jobs", len(scheduler.get_jobs()))
            sweep_on_signal(settings, loop, scheduler)
        if Part.bot in parts:
            if settings.telegram_token is None:
                log.warning(
                    "CIRCLES_TELEGRAM_TOKEN is not set, so the Telegram bot is not running. "
                    "Get a token from @BotFather, put CIRCLES_TELEGRAM_TOKEN=<token> in .env "
                    "and start again."
                )
            elif settings.webhook_url and Part.api not in parts:
                log.error(
                    "webhook mode receives updates on the API's port: run the bot "
                    "together with the API (circles run --only api --only bot)"
                )
            else:
                tasks.append(
                    asyncio.create_task(
                        run_bot(settings, sessions, clock, stop, api_app, telegram_reload),
                        name="bot",
                    )
                )
        if Part.bot in parts:
            if settings.whatsapp_configured:
                tasks.append(
                    asyncio.create_task(
                        run_whatsapp(settings, sessions, clock, stop, api_app, whatsapp_reload),
                        name="whatsapp",
                    )
                )
            else:
                log.info("CIRCLES_WHATSAPP_TOKEN is not set, so the WhatsApp door is not running")
        await stop.wait()
        log.info("stopping")
        if Part.scheduler in parts:
            scheduler.shutdown(wait=False)
            await leadership.release()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=10)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        stop_sweeping(loop)
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
