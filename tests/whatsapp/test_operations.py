"""Running the WhatsApp door: ``circles run`` starts it when configured, invites print a
wa.me link, settings say what is missing, queued messages respect the 24-hour window, and
a message the door cannot handle is given up with an apology, never lost silently."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from support.fakecloud import FakeCloud, encoded, sign, text, webhook
from support.service import start_circles
from typer.testing import CliRunner

from bot.flows import door
from bot.flows.events import Say
from bot.handlers.whatsapp.sender import WhatsAppSender
from circles.clock import FakeClock
from circles.db import SessionMaker
from circles.models import Identity, Inbox, Outbox, OutboxState
from circles.settings import SettingsError, load_settings
from circles.text import t
from circles_cli.main import app as cli_app

from .conftest import APP_SECRET, outbox_rows, queue_for, whatsapp_teacher


async def _until(condition, within: float = 20.0) -> None:
    """Wait for another process (``circles run``) to make ``condition`` true."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_circles_run_takes_whatsapp_messages_on_the_api_port(
    database_url: str, cloud: FakeCloud
) -> None:
    service = await start_circles(
        database_url,
        CIRCLES_WHATSAPP_TOKEN=cloud.token,
        CIRCLES_WHATSAPP_PHONE_NUMBER_ID=cloud.phone_number_id,
        CIRCLES_WHATSAPP_API_URL=cloud.api_url,
        CIRCLES_WHATSAPP_APP_SECRET=APP_SECRET,
        CIRCLES_WHATSAPP_VERIFY_TOKEN="verify-me",
    )
    try:
        for ready in ("the WhatsApp door takes messages at /whatsapp/webhook", "Uvicorn running"):
            if ready not in service.log:
                await service.wait_for_log(ready)
        url = f"http://127.0.0.1:{service.port}/whatsapp/webhook"
        body = encoded(webhook(text("233200000123", "hello")))
        async with httpx.AsyncClient() as client:
            refused = await client.post(url, content=body, headers={"x-hub-signature-256": "x"})
            assert refused.status_code == 403
            signed = {"x-hub-signature-256": sign(body, APP_SECRET)}
            assert (await client.post(url, content=body, headers=signed)).status_code == 200
            assert (await client.post(url, content=body, headers=signed)).status_code == 200
        await _until(lambda: cloud.sent_to("233200000123"))
        assert await service.stop() == 0
        (reply,) = cloud.sent_to("233200000123")  # the redelivery was handled once
        assert reply["text"]["body"].startswith("You are not in a circle yet.")
        assert cloud.token not in service.log
    finally:
        if service.process.returncode is None:
            service.process.kill()
            await service.process.wait()


def test_invite_create_prints_the_wa_me_link(database_url: str, monkeypatch) -> None:
    monkeypatch.setenv("CIRCLES_DATABASE_URL", database_url)
    for name, value in {
        "CIRCLES_WHATSAPP_TOKEN": "t",
        "CIRCLES_WHATSAPP_PHONE_NUMBER_ID": "1",
        "CIRCLES_WHATSAPP_APP_SECRET": "s",
        "CIRCLES_WHATSAPP_VERIFY_TOKEN": "v",
        "CIRCLES_WHATSAPP_NUMBER": "+1 555 000 0000",
    }.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    created = runner.invoke(
        cli_app,
        "circle create --name Accra1 --country GH --language en --timezone UTC".split(),
    )
    assert created.exit_code == 0, created.output
    invited = runner.invoke(cli_app, "invite create --circle Accra1 --role teacher".split())
    assert invited.exit_code == 0, invited.output
    code = re.search(r"Invite code: (\S+)", invited.stdout).group(1)
    assert f"WhatsApp: https://wa.me/15550000000?text=JOIN%20{code}" in invited.stdout


def test_a_token_without_the_webhook_keys_is_refused_naming_what_is_missing() -> None:
    with pytest.raises(SettingsError, match=r"^CIRCLES_WHATSAPP_APP_SECRET: required"):
        load_settings(
            _env_file=None,
            whatsapp_token="t",
            whatsapp_phone_number_id="1",
            whatsapp_verify_token="v",
        )
    assert not load_settings(_env_file=None).whatsapp_configured


async def _queued_for(sessions: SessionMaker, clock: FakeClock, wa_id: str, *, wrote_ago):
    await whatsapp_teacher(sessions, clock, wa_id, wrote_ago=wrote_ago, language="fr")
    await queue_for(sessions, clock, wa_id, Say(t("Send /help to see what you can do.")), "hello")


async def _row(sessions: SessionMaker) -> Outbox:
    (row,) = await outbox_rows(sessions)
    return row


async def test_a_queued_message_goes_out_within_the_window_in_the_readers_language(
    sessions, clock, cloud, wa_sender: WhatsAppSender
) -> None:
    await _queued_for(sessions, clock, "233200000555", wrote_ago=timedelta(hours=3))
    assert await wa_sender.drain() == 1
    row = await _row(sessions)
    assert row.state is OutboxState.sent
    (sent,) = cloud.sent_to("233200000555")
    assert row.sent_message_id == sent["_id"]
    assert sent["text"]["body"] == "Envoyez /help pour voir ce que vous pouvez faire."


async def test_outside_the_window_a_queued_message_waits_and_is_not_sent(
    sessions, clock, cloud, wa_sender: WhatsAppSender, caplog
) -> None:
    caplog.set_level(logging.INFO)
    await _queued_for(sessions, clock, "233200000556", wrote_ago=timedelta(hours=25))
    await wa_sender.drain()
    row = await _row(sessions)
    assert row.state is OutboxState.pending
    assert row.not_before > clock.now()
    assert cloud.sent == []
    assert "24-hour WhatsApp window is closed" in caplog.text


async def test_whatsapp_refusing_outside_the_window_keeps_the_message(
    sessions, clock, cloud, wa_sender: WhatsAppSender
) -> None:
    await _queued_for(sessions, clock, "233200000557", wrote_ago=timedelta(hours=23))
    cloud.fail_next(131047)
    await wa_sender.drain()
    row = await _row(sessions)
    assert row.state is OutboxState.pending and row.not_before > clock.now()


async def test_a_number_that_cannot_receive_is_marked_unreachable(
    sessions, clock, cloud, wa_sender: WhatsAppSender
) -> None:
    await _queued_for(sessions, clock, "233200000558", wrote_ago=timedelta(hours=1))
    cloud.fail_next(131026)
    await wa_sender.drain()
    assert (await _row(sessions)).state is OutboxState.unreachable
    async with sessions() as session:
        identity = await session.scalar(select(Identity).where(Identity.address == "233200000558"))
    assert identity.unreachable_at is not None


async def test_a_message_that_keeps_failing_is_given_up_with_an_apology(
    post, worker, sessions, cloud, monkeypatch
) -> None:
    async def broken(*args, **kwargs):
        raise RuntimeError("the database said no")

    monkeypatch.setattr(door, "handle", broken)
    assert (await post(encoded(webhook(text("233200000600", "hello"))))).status_code == 200
    await worker.drain()
    assert cloud.sent == []  # tried again on the next passes, not at once
    await worker.drain()
    await worker.drain()
    async with sessions() as session:
        (row,) = await session.scalars(select(Inbox))
    assert row.processed_at is not None and row.attempts == 3
    assert row.last_error == "RuntimeError"
    (apology,) = cloud.sent_to("233200000600")
    assert apology["text"]["body"].startswith("Sorry, something went wrong on our side")


async def test_handled_inbox_rows_are_forgotten_after_two_weeks_unhandled_ones_never(
    post, worker, sessions, clock
) -> None:
    from scheduler.jobs import prune_updates

    await post(encoded(webhook(text("233200000700", "hello"))))
    await worker.drain()
    await post(encoded(webhook(text("233200000701", "stored, never handled"))))
    clock.advance(timedelta(days=15))
    await prune_updates(sessions, clock)
    async with sessions() as session:
        left = list(await session.scalars(select(Inbox.address)))
    assert left == ["233200000701"]
