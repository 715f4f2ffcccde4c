"""The webhook: only WhatsApp (signing with the app secret) gets in; every message is stored
before the 200 and handled once, by its message id, in each person's order."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from support.fakecloud import encoded, sign, status, text, voice, webhook

from bot.handlers.whatsapp.worker import InboxWorker
from circles.db import SessionMaker
from circles.models import Inbox, ProcessedUpdate

from .conftest import VERIFY_TOKEN


async def _inbox(sessions: SessionMaker) -> list[Inbox]:
    async with sessions() as session:
        return list(await session.scalars(select(Inbox).order_by(Inbox.id)))


async def test_meta_verifies_the_webhook_with_the_verify_token(api) -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    response = await api.get("/whatsapp/webhook", params=query)
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {},
    ],
)
async def test_verification_without_the_verify_token_is_refused(api, query) -> None:
    response = await api.get("/whatsapp/webhook", params=query)
    assert response.status_code == 403


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=" + "0" * 64, "sha1=abc", "sha256=", "SHA256=whatever"],
    ids=["missing", "wrong", "other-algorithm", "empty", "garbage"],
)
async def test_a_call_without_the_right_signature_is_refused_and_nothing_is_stored(
    post, sessions, signature
) -> None:
    body = encoded(webhook(text("233200000001", "join abcdefgh")))
    response = await post(body, signature=signature)
    assert response.status_code == 403
    assert await _inbox(sessions) == []


async def test_a_body_signed_with_another_secret_is_refused(post, sessions) -> None:
    body = encoded(webhook(text("233200000001", "hello")))
    response = await post(body, signature=sign(body, "not-the-app-secret"))
    assert response.status_code == 403
    assert await _inbox(sessions) == []


@pytest.mark.parametrize("body", [b"{not json", b"[" * 100_000 + b"]" * 100_000, b"\xff"])
async def test_a_signed_body_that_is_not_json_is_refused_without_a_500(post, body) -> None:
    response = await post(body)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "payload",
    [
        {},
        [],
        {"entry": "x"},
        {"entry": [{"changes": [{"value": {"messages": [{"id": 5}]}}]}]},
        {"entry": [{"changes": [{"value": {"messages": "x", "contacts": [{"profile": 1}]}}]}]},
        webhook(statuses=[status("wamid.out1", "233200000001", "read")]),
    ],
)
async def test_calls_without_messages_are_answered_200_and_store_nothing(
    post, sessions, payload
) -> None:
    response = await post(encoded(payload))
    assert response.status_code == 200
    assert await _inbox(sessions) == []


async def test_too_large_a_body_is_refused_before_it_is_read(post, sessions) -> None:
    response = await post(b"{" + b" " * (2 * 1024 * 1024) + b"}")
    assert response.status_code == 413
    assert await _inbox(sessions) == []


async def test_messages_are_stored_before_the_200_and_handled_by_the_worker(
    post, sessions, worker: InboxWorker, cloud
) -> None:
    response = await post(encoded(webhook(text("233200000001", "hello"))))
    assert response.status_code == 200
    (row,) = await _inbox(sessions)
    assert row.processed_at is None and row.message is not None  # stored, not yet handled
    assert cloud.sent == []

    await worker.drain()
    (row,) = await _inbox(sessions)
    assert row.processed_at is not None
    assert row.message is None  # what they wrote is not kept in the inbox once handled
    (answer,) = cloud.sent_to("233200000001")
    assert answer["text"]["body"].startswith("You are not in a circle yet.")


async def test_the_same_call_delivered_twice_is_handled_once(
    wa_phone, accra, post, sessions, worker: InboxWorker, cloud
) -> None:
    ama = wa_phone()
    body = encoded(webhook(text(ama.wa_id, f"JOIN {accra.codes['teacher']}", message_id="wamid.A")))
    assert (await post(body)).status_code == 200
    await worker.drain()
    sent = len(cloud.sent_to(ama.wa_id))
    assert sent == 1  # the welcome with the consent question
    # WhatsApp did not get the 200 in time and delivers again, before and after handling.
    assert (await post(body)).status_code == 200
    assert (await post(body)).status_code == 200
    await worker.drain()
    assert len(cloud.sent_to(ama.wa_id)) == sent
    assert len(await _inbox(sessions)) == 1
    async with sessions() as session:
        claimed = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    assert claimed == 1


async def test_a_message_stored_but_not_handled_is_handled_after_a_restart(
    wa_settings, accra, post, sessions, clock, cloud
) -> None:
    from bot.handlers.whatsapp.runner import client_for

    wa_id = "233200000009"
    body = encoded(webhook(text(wa_id, f"join {accra.codes['teacher']}")))
    assert (await post(body)).status_code == 200  # the process stops before its worker ran
    assert cloud.sent == []

    client = client_for(wa_settings)  # a new process: a new worker on the same database
    try:
        restarted = InboxWorker(wa_settings, sessions, clock, client)
        assert await restarted.drain() == 1
    finally:
        await client.aclose()
    (welcome,) = cloud.sent_to(wa_id)
    assert welcome["interactive"]["body"]["text"].startswith("Welcome to Accra 1!")


async def test_one_call_with_two_peoples_messages_keeps_each_persons_order(
    wa_phone, accra, post, worker: InboxWorker, cloud
) -> None:
    ama, kofi = wa_phone("Ama"), wa_phone("Kofi")
    code = accra.codes["teacher"]
    body = encoded(
        webhook(
            text(ama.wa_id, f"join {code}"),
            text(kofi.wa_id, "hello?"),
            text(ama.wa_id, "/help"),
            text(kofi.wa_id, f"JOIN {code} please"),
            voice(kofi.wa_id, "media-v1"),
            names={ama.wa_id: "Ama", kofi.wa_id: "Kofi"},
            statuses=[status("wamid.out0", ama.wa_id, "delivered")],
        )
    )
    assert (await post(body)).status_code == 200
    await worker.drain()
    ama_saw = [
        m.get("text", {}).get("body") or m["interactive"]["body"]["text"]
        for m in cloud.sent_to(ama.wa_id)
    ]
    kofi_saw = [
        m.get("text", {}).get("body") or m["interactive"]["body"]["text"]
        for m in cloud.sent_to(kofi.wa_id)
    ]
    assert ama_saw[0].startswith("Welcome to Accra 1!")
    assert len(ama_saw) == 2  # /help before consent: back to the consent question
    assert kofi_saw[0].startswith("You are not in a circle yet.")
    assert kofi_saw[1].startswith("Welcome to Accra 1!")
    assert len(kofi_saw) == 3


async def test_an_unknown_number_without_a_code_is_told_how_to_join(wa_phone) -> None:
    stranger = wa_phone("Stranger")
    (answer,) = await stranger.send("Hello, is this the circles bot?")
    assert answer.startswith("You are not in a circle yet.")


async def test_a_wrong_code_is_answered_politely(wa_phone) -> None:
    stranger = wa_phone("Stranger")
    (answer,) = await stranger.send("JOIN nosuchcode123")
    assert answer.startswith("I do not know this invite code.")


async def test_forgetme_erases_what_the_inbox_holds_of_the_number(
    wa_phone, accra, sessions
) -> None:
    ama = wa_phone()
    await ama.send(f"join {accra.codes['teacher']}")
    await ama.tap("I agree")
    await ama.send("/forgetme")
    erase, _keep = ama.labels()
    texts = await ama.tap(erase)
    assert texts[-1] == "Everything about you is erased. Thank you for taking part."
    assert [row for row in await _inbox(sessions) if row.wa_id == ama.wa_id] == []
    # Writing again, they are someone new.
    (again,) = await ama.send("hello")
    assert again.startswith("You are not in a circle yet.")
