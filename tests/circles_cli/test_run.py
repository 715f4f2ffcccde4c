"""``circles run`` serves the API without a bot token and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from support.service import Running, start_circles


@pytest.fixture
async def running(database_url: str) -> AsyncIterator[Running]:
    service = await start_circles(database_url)
    yield service
    if service.process.returncode is None:
        service.process.kill()
        await service.process.wait()


async def test_run_without_token_serves_health_and_stops_on_sigterm(running: Running) -> None:
    await running.wait_for_log("Uvicorn running")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.port}") as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        assert (await client.get("/readyz")).json() == {"status": "ready"}
        assert (await client.get("/simulator")).status_code == 200
    assert await running.stop() == 0
    log = "".join(running.lines)
    assert f"127.0.0.1:{running.port}/simulator" in log  # usable without Telegram at once
    assert "CIRCLES_TELEGRAM_TOKEN is not set" in log
    assert "@BotFather" in log
    assert "stopped" in log
    events = [json.loads(line) for line in running.lines if line.startswith("{")]
    assert events and all("event" in event and "level" in event for event in events)


async def test_run_only_api_does_not_start_the_scheduler(database_url: str) -> None:
    service = await start_circles(database_url, "--only", "api")
    try:
        await service.wait_for_log("Uvicorn running")
        assert await service.stop() == 0
    finally:
        if service.process.returncode is None:
            service.process.kill()
    log = "".join(service.lines)
    assert "scheduler started" not in log
    assert "CIRCLES_TELEGRAM_TOKEN" not in log


async def test_run_with_a_token_polls_the_bot_api_and_answers(database_url: str) -> None:
    from support.fakebotapi import FakeBotApi, FakeUser
    from support.places import add_circle
    from support.seeds import writing

    from circles.clock import SystemClock
    from circles.models import Role
    from circles.services.invites import create_invite

    async with writing(database_url) as session:
        circle = await add_circle(session, "Montevideo 1", now=SystemClock().now(), country="UY")
        invite = await create_invite(
            session, circle=circle, role=Role.teacher, now=SystemClock().now()
        )
    async with FakeBotApi() as fake:
        service = await start_circles(
            database_url,
            "--only",
            "bot",
            CIRCLES_TELEGRAM_TOKEN=fake.token,
            CIRCLES_TELEGRAM_API_URL=fake.base_url,
        )
        try:
            await service.wait_for_log("is polling for updates")
            lucia = FakeUser(id=4242, first_name="Lucía", language_code="es")
            fake.user_message(lucia, f"/start {invite.code}")
            # The welcome and the consent question arrive as one message, with its buttons.
            [first] = await fake.wait_for_messages(lucia.id, 1, timeout=20)
            welcome, consent = first["text"].split("\n\n", 1)
            assert welcome.startswith("¡")  # Spanish, from the phone's language
            assert "Montevideo 1" in welcome
            assert consent.startswith("Antes de empezar")
            assert len(fake.buttons(first)) == 2
            menus = fake.calls_for("setMyCommands")
            assert len(menus) == 8  # one menu per language
            assert "checkin" in str(menus[0].params["commands"])
            assert await service.stop() == 0
        finally:
            if service.process.returncode is None:
                service.process.kill()
                await service.process.wait()


async def test_webhook_mode_checks_the_secret_and_answers(database_url: str) -> None:
    import httpx
    from support.fakebotapi import FakeBotApi, FakeUser

    async with FakeBotApi() as fake:
        service = await start_circles(
            database_url,
            "--only",
            "api",
            "--only",
            "bot",
            CIRCLES_TELEGRAM_TOKEN=fake.token,
            CIRCLES_TELEGRAM_API_URL=fake.base_url,
            CIRCLES_WEBHOOK_URL="https://bot.example.org/telegram/hook",
            CIRCLES_WEBHOOK_SECRET="s3cret-token",
        )
        try:
            await service.wait_for_log("takes updates by webhook at /telegram/hook")
            assert fake.webhook_url == "https://bot.example.org/telegram/hook"
            assert fake.webhook_secret == "s3cret-token"
            local = f"http://127.0.0.1:{service.port}/telegram/hook"
            ana = FakeUser(id=5151, first_name="Ana", language_code="en")
            update = fake.user_message(ana, "/help", enqueue=False)
            assert await fake.deliver_webhook(update, url=local, secret="wrong") == 403
            assert await fake.deliver_webhook(update, url=local, secret="") == 403
            assert fake.sent_to(ana.id) == []
            assert await fake.deliver_webhook(update, url=local) == 200
            assert await fake.deliver_webhook(update, url=local) == 200  # a redelivery
            [reply] = await fake.wait_for_messages(ana.id, 1, timeout=20)
            assert "You are not in a circle yet" in reply["text"]
            async with httpx.AsyncClient() as client:
                huge = await client.post(
                    local,
                    content=b"{" + b" " * 1_100_000 + b"}",
                    headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"},
                )
            assert huge.status_code == 413
            assert await service.stop() == 0
            assert len(fake.sent_to(ana.id)) == 1  # the redelivered update ran once
        finally:
            if service.process.returncode is None:
                service.process.kill()
                await service.process.wait()
