"""Operators can tell whether the API is alive and whether it can reach its database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from circles.db import create_engine
from circles.settings import Settings


@pytest.fixture
async def client(settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield client


async def test_healthz_and_readyz_answer_ok(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


async def test_readyz_is_503_problem_when_the_database_is_unreachable(settings: Settings) -> None:
    engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/nothing")
    app = create_app(settings, engine)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            response = await client.get("/readyz")
    finally:
        await engine.dispose()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The database cannot be reached."
    assert "postgresql" not in response.text  # no connection details leak


async def test_unknown_paths_and_methods_are_problem_documents(client: httpx.AsyncClient) -> None:
    missing = await client.get("/no/such/thing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["status"] == 404
    wrong_method = await client.post("/healthz")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["title"] == "Method Not Allowed"
    assert "allow" in wrong_method.headers


async def test_openapi_schema_is_served(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert {"/healthz", "/readyz"} <= set(schema["paths"])
    assert (await client.get("/docs")).status_code == 200


async def test_metrics_are_served_for_prometheus(client: httpx.AsyncClient) -> None:
    from circles import metrics

    metrics.SENT.labels("bulk").inc()
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for name in (
        "circles_updates_handled_total",
        "circles_messages_sent_total",
        "circles_telegram_429_total",
        "circles_outbox_pending",
        "circles_scheduler_lag_seconds",
    ):
        assert name in text
    assert 'circles_messages_sent_total{priority="bulk"}' in text
    assert "circles_outbox_pending 0.0" in text
