"""A live server for the browser tests: the real app on uvicorn, in a thread, on a free port.

The browser is Debian's Chromium (``make chromium`` installs it), driven by Playwright;
no browser is ever downloaded. Screenshots of each page go to
``$CIRCLES_TEST_SCREENSHOTS`` (default ``artifacts/screenshots/`` in the repository).
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import uvicorn

from api.app import create_app
from circles.clock import FakeClock
from circles.db import create_engine
from circles.settings import Settings

CHROMIUM = Path(os.environ.get("CIRCLES_TEST_CHROMIUM", "/usr/bin/chromium"))
ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Server(uvicorn.Server):
    """uvicorn that says when it listens."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


class LiveServer(threading.Thread):
    """The app served by uvicorn on its own event loop and database engine."""

    def __init__(self, settings: Settings, clock: FakeClock) -> None:
        super().__init__(daemon=True, name="live-server")
        self.settings, self.clock = settings, clock
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.ready = threading.Event()

    def run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        engine = create_engine(self.settings.database_url)
        app = create_app(self.settings, engine, self.clock)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, access_log=False, lifespan="off"
        )
        self.server = _Server(config, self.ready)
        try:
            await self.server.serve()
        finally:
            await engine.dispose()

    def stop(self) -> None:
        """Ask uvicorn to finish and wait for it."""
        if self.server is not None:
            self.server.should_exit = True
        self.join(timeout=10)


@pytest.fixture
def live_server(settings: Settings, clock: FakeClock, world) -> Iterator[LiveServer]:
    """The app on the world's database, at the world's time."""
    server = LiveServer(settings, clock)
    server.start()
    assert server.ready.wait(timeout=15), "the live server did not start"
    yield server
    server.stop()


@pytest.fixture
def screenshots() -> Path:
    """Where the screenshots of the pages go (a test artifact, not in git)."""
    folder = Path(os.environ.get("CIRCLES_TEST_SCREENSHOTS") or ROOT / "artifacts" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium; the browser tests are skipped, saying why, when it is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make chromium` (Debian's package)")
    return CHROMIUM


@pytest.fixture
async def browser_page(chromium: Path) -> AsyncIterator:
    """A fresh page in headless Debian Chromium, phone-sized."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        context = await browser.new_context(viewport={"width": 412, "height": 915}, locale="en-US")
        page = await context.new_page()
        page.set_default_timeout(10_000)
        yield page
        await context.close()
        await browser.close()
