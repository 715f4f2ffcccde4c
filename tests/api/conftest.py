"""Fixtures for admin API tests: the two-circle world, the app on it, a client per token."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine
from support.world import WEDNESDAY_W35, World, build_world

from api.app import create_app
from bot.handlers.whatsapp.preview import install as install_whatsapp_look
from circles.clock import FakeClock
from circles.db import SessionMaker
from circles.settings import Settings

PSEUDONYM_KEY = "test-pseudonym-key-0123456789abcdef"


@pytest.fixture
async def world(sessions: SessionMaker, clock: FakeClock) -> World:
    """Circles A (Brazil, from the demo's data) and B (Ghana), a token per role; W35's Wednesday."""
    built = await build_world(sessions)
    clock.set(WEDNESDAY_W35)
    return built


@pytest.fixture
async def api(
    settings: Settings, engine: AsyncEngine, clock: FakeClock
) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """Make a client of the admin API, authenticated with ``token`` if given."""
    app = create_app(
        settings.model_copy(update={"pseudonym_key": SecretStr(PSEUDONYM_KEY)}), engine, clock
    )
    install_whatsapp_look(app)  # as `circles run` does
    clients: list[httpx.AsyncClient] = []

    def client(token: str | None = None, **headers: str) -> httpx.AsyncClient:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        made = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api", headers=headers
        )
        clients.append(made)
        return made

    yield client
    for made in clients:
        await made.aclose()


@pytest.fixture
def as_role(world: World, api) -> Callable[[str], httpx.AsyncClient]:
    """A client with the world's token for ``role`` (admin, facilitator_a, …)."""

    def client(role: str, **headers: str) -> httpx.AsyncClient:
        return api(world.secrets[role], **headers)

    return client
