"""The webhook: only Telegram (with the secret) gets in, and no body it is sent breaks the bot.

Bodies that are not Telegram updates are answered 400 and never reach the bot; oversized
ones are cut off by the API's body limit (413).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from api.app import create_app
from bot.handlers.telegram import webhook
from bot.handlers.telegram.context import CirclesApplication
from bot.handlers.telegram.inbox import UpdateInbox
from circles.clock import FakeClock
from circles.db import SessionMaker
from circles.models import Inbox
from circles.settings import Settings

SECRET = "s3cret-token"
URL = "https://bot.example.org/telegram/hook"


@pytest.fixture
async def post(
    settings: Settings, engine, clock: FakeClock, app: CirclesApplication, inbox: UpdateInbox
) -> AsyncIterator:
    """Post a raw body to the webhook with the right secret; returns the response."""
    hooked = settings.model_copy(update={"webhook_url": URL, "webhook_secret": SecretStr(SECRET)})
    api = create_app(hooked, engine, clock)
    webhook.install(api, hooked)
    api.state.telegram = app
    api.state.telegram_inbox = inbox
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api), base_url="http://api"
    ) as client:

        async def send(body: bytes, secret: str = SECRET) -> httpx.Response:
            return await client.post(
                "/telegram/hook",
                content=body,
                headers={"content-type": "application/json", webhook.SECRET_HEADER: secret},
            )

        yield send


@pytest.fixture
def inbox(app: CirclesApplication, sessions: SessionMaker, clock: FakeClock) -> UpdateInbox:
    return UpdateInbox(app, sessions, clock)


async def _stored(sessions: SessionMaker) -> list[Inbox]:
    """What the webhook stored for the bot: the inbox's Telegram rows, in order."""
    async with sessions() as session:
        return list(await session.scalars(select(Inbox).order_by(Inbox.id)))


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b"5",
        b'"x"',
        b"null",
        b"{not json",
        b"\xff\xfe",
        b"{}",
        b'{"update_id": "5"}',
        b'{"update_id": true}',
        b'{"update_id": 5, "message": 5}',
        b'{"update_id": 5, "message": {"text": "hi"}}',
        b'{"update_id": 5, "callback_query": []}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"update_id": 5, "message": ' + b'{"a":' * 50_000 + b"1" + b"}" * 50_001,
    ],
    ids=lambda body: body[:30].decode(errors="replace"),
)
async def test_a_body_that_is_not_an_update_is_refused_and_never_reaches_the_bot(
    post, sessions: SessionMaker, body: bytes
) -> None:
    response = await post(body)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert await _stored(sessions) == []


async def test_a_wrong_secret_is_refused_whatever_the_body(post, sessions: SessionMaker) -> None:
    assert (await post(b'{"update_id": 1}', secret="wrong")).status_code == 403
    assert await _stored(sessions) == []


async def test_an_update_over_the_body_limit_is_refused(post, sessions: SessionMaker) -> None:
    big = json.dumps({"update_id": 1, "padding": "x" * 2_000_000}).encode()
    assert (await post(big)).status_code == 413
    assert await _stored(sessions) == []


async def test_odd_but_well_formed_updates_are_stored_and_handled_without_a_crash(
    post, sessions: SessionMaker, inbox: UpdateInbox
) -> None:
    bodies = [
        {"update_id": 7},
        {"update_id": 8, "unknown_kind": {"x": 1}},
        {
            "update_id": 9,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 4242, "type": "private"},
                "from": {"id": 4242, "is_bot": False, "first_name": "Eve"},
                "text": "/help",
            },
        },
    ]
    for body in bodies:
        assert (await post(json.dumps(body).encode())).status_code == 200
    assert (await post(json.dumps(bodies[2]).encode())).status_code == 200  # a redelivery
    stored = await _stored(sessions)
    assert [(row.message_id, row.address) for row in stored] == [
        ("7", ""),
        ("8", ""),
        ("9", "4242"),
    ]
    assert stored[2].message == bodies[2]
    # The app fixture fails the test on any crash of a handler.
    assert await inbox.drain() == 3
    assert all(row.processed_at and row.message is None for row in await _stored(sessions))
