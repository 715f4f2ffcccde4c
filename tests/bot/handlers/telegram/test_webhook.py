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

from api.app import create_app
from bot.handlers.telegram import webhook
from bot.handlers.telegram.context import CirclesApplication
from circles.clock import FakeClock
from circles.settings import Settings

SECRET = "s3cret-token"
URL = "https://bot.example.org/telegram/hook"


@pytest.fixture
async def post(
    settings: Settings, engine, clock: FakeClock, app: CirclesApplication
) -> AsyncIterator:
    """Post a raw body to the webhook with the right secret; returns the response."""
    hooked = settings.model_copy(update={"webhook_url": URL, "webhook_secret": SecretStr(SECRET)})
    api = create_app(hooked, engine, clock)
    webhook.install(api, hooked)
    api.state.telegram = app
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


def _queued(app: CirclesApplication) -> list:
    items = []
    while not app.update_queue.empty():
        items.append(app.update_queue.get_nowait())
    return items


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
    post, app: CirclesApplication, body: bytes
) -> None:
    response = await post(body)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert _queued(app) == []


async def test_a_wrong_secret_is_refused_whatever_the_body(post, app: CirclesApplication) -> None:
    assert (await post(b'{"update_id": 1}', secret="wrong")).status_code == 403
    assert _queued(app) == []


async def test_an_update_over_the_body_limit_is_refused(post, app: CirclesApplication) -> None:
    big = json.dumps({"update_id": 1, "padding": "x" * 2_000_000}).encode()
    assert (await post(big)).status_code == 413
    assert _queued(app) == []


async def test_odd_but_well_formed_updates_are_queued_and_handled_without_a_crash(
    post, app: CirclesApplication
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
    updates = _queued(app)
    assert [update.update_id for update in updates] == [7, 8, 9]
    for update in updates:
        await app.process_update(update)  # the app fixture fails the test on any crash
