"""A client told that something was written finds it: the commit comes before the answer."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import Message, Receive, Scope, Send
from support.world import World

from api.app import create_app
from circles.clock import FakeClock
from circles.db import SessionMaker
from circles.models import Circle
from circles.settings import Settings


async def test_a_created_circle_is_committed_before_the_client_hears_201(
    world: World, settings: Settings, engine: AsyncEngine, clock: FakeClock, sessions: SessionMaker
) -> None:
    app = create_app(settings, engine, clock)
    seen_at_answer: list[bool] = []

    async def watching(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_after_looking(message: Message) -> None:
            if message["type"] == "http.response.start":
                async with sessions() as other:  # another connection, as another client's
                    found = await other.scalar(select(Circle).where(Circle.name == "Recife 9"))
                seen_at_answer.append(found is not None)
            await send(message)

        await app(scope, receive, send_after_looking)

    body = {"name": "Recife 9", "country": "BR", "language": "pt_BR", "timezone": "America/Recife"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=watching),
        base_url="http://api",
        headers={"Authorization": f"Bearer {world.secrets['admin']}"},
    ) as client:
        response = await client.post("/v1/circles", json=body)
    assert response.status_code == 201
    assert seen_at_answer == [True]
