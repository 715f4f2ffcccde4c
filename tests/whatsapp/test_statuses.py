"""WhatsApp's status webhooks: each sent message keeps the furthest it got (delivered,
read), whatever the order and however often they come; a failure is acted on as a
refusal at send time would be; coordinators see delivered and read counts."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select
from support.fakecloud import FakeCloud, encoded, status, webhook

from bot.flows.events import Say
from bot.handlers.whatsapp.sender import WhatsAppSender
from circles.db import transaction
from circles.models import (
    Circle,
    Delivery,
    DeliveryState,
    Identity,
    OutboxState,
    Person,
    TokenRole,
)
from circles.services import broadcasts
from circles.services.broadcasts import Audience
from circles.services.meetings import schedule_meeting
from circles.services.privacy import export_person_data, forget_person
from circles.services.tokens import create_token
from scheduler.jobs import meeting_sweep

from .conftest import outbox_rows, queue_for, whatsapp_teacher

AMA, KOFI, EFUA = "233200000901", "233200000902", "233200000903"


async def _statuses(post, *statuses: dict) -> None:
    response = await post(encoded(webhook(statuses=list(statuses))))
    assert response.status_code == 200, response.text


async def _broadcast_to(sessions, clock, accra, wa_ids, *, wrote_ago=timedelta(hours=2)) -> int:
    """A broadcast to Accra 1, whose teachers ``wa_ids`` are on WhatsApp; its id."""
    for wa_id in wa_ids:
        await whatsapp_teacher(
            sessions, clock, wa_id, wrote_ago=wrote_ago, circle_id=accra.circle_id
        )
    async with transaction(sessions) as session:
        broadcast = await broadcasts.create_broadcast(
            session,
            variants={"en": "Regional hub on Friday at 15:00."},
            default_language="en",
            audience=Audience(circle_ids=(accra.circle_id,)),
            created_by="test",
            now=clock.now(),
        )
        await broadcasts.fan_out(session, broadcast=broadcast, now=clock.now())
        return broadcast.id


def _wamid(cloud: FakeCloud, wa_id: str) -> str:
    return cloud.sent_to(wa_id)[-1]["_id"]


async def test_delivered_and_read_counts_survive_disorder_duplicates_and_skipped_reports(
    sessions, clock, cloud, wa_sender: WhatsAppSender, accra, post, api
) -> None:
    broadcast_id = await _broadcast_to(sessions, clock, accra, [AMA, KOFI, EFUA])
    assert await wa_sender.drain() == 3
    ama, kofi, efua = (_wamid(cloud, wa_id) for wa_id in (AMA, KOFI, EFUA))
    read_at = clock.advance(timedelta(minutes=5))
    await _statuses(post, status(ama, AMA, "read"), status(ama, AMA, "delivered"))
    await _statuses(post, status(kofi, KOFI, "read"))  # "delivered" never came
    await _statuses(post, status(efua, EFUA, "delivered"), status(efua, EFUA, "sent"))
    clock.advance(timedelta(minutes=5))
    await _statuses(post, status(ama, AMA, "read"), status(efua, EFUA, "delivered"))

    rows = {row.address: row for row in await outbox_rows(sessions)}
    assert (rows[AMA].delivered_at, rows[AMA].read_at) == (read_at, read_at)
    assert (rows[KOFI].delivered_at, rows[KOFI].read_at) == (read_at, read_at)
    assert (rows[EFUA].delivered_at, rows[EFUA].read_at) == (read_at, None)
    assert {row.state for row in rows.values()} == {OutboxState.sent}

    async with transaction(sessions) as session:
        token = await create_token(
            session, role=TokenRole.coordinator, name="hub", actor="test", now=clock.now()
        )
    response = await api.get(
        f"/v1/broadcasts/{broadcast_id}", headers={"Authorization": f"Bearer {token.secret}"}
    )
    assert response.status_code == 200, response.text
    counts = response.json()["counts"]
    assert (counts["sent"], counts["delivered"], counts["read"]) == (3, 3, 2)


async def test_failed_outside_the_window_the_message_goes_again_as_its_template_once(
    sessions, clock, cloud, wa_sender: WhatsAppSender, accra, post
) -> None:
    broadcast_id = await _broadcast_to(sessions, clock, accra, [AMA])
    await wa_sender.drain()
    first = _wamid(cloud, AMA)
    failed = status(first, AMA, "failed", error=131047)
    await _statuses(post, failed, failed)  # duplicated
    await wa_sender.drain()
    await _statuses(post, failed)  # and once more, late
    await wa_sender.drain()

    text, template = cloud.sent_to(AMA)
    assert text["type"] == "text" and template["type"] == "template"
    assert template["template"]["name"] == "broadcast"
    (row,) = await outbox_rows(sessions)
    assert (row.state, row.template, row.sent_message_id) == (
        OutboxState.sent,
        "broadcast",
        template["_id"],
    )
    async with sessions() as session:
        delivery = await session.scalar(
            select(Delivery).where(Delivery.broadcast_id == broadcast_id)
        )
    assert delivery.state is DeliveryState.sent


async def test_a_reply_refused_for_the_window_waits_for_it(
    sessions, clock, cloud, wa_sender: WhatsAppSender, post
) -> None:
    await whatsapp_teacher(sessions, clock, AMA, wrote_ago=timedelta(hours=23))
    await queue_for(sessions, clock, AMA, Say("Thanks, saved."), "reply-7")
    await wa_sender.drain()
    await _statuses(post, status(_wamid(cloud, AMA), AMA, "failed", error=131047))
    clock.advance(timedelta(hours=2))  # the window is closed now by our clock too
    await wa_sender.drain()
    assert len(cloud.sent_to(AMA)) == 1
    (row,) = await outbox_rows(sessions)
    assert (row.state, row.template, row.sent_message_id) == (OutboxState.pending, None, None)


async def test_failed_because_the_number_cannot_receive_marks_it_unreachable(
    sessions, clock, cloud, wa_sender: WhatsAppSender, accra, post
) -> None:
    await _broadcast_to(sessions, clock, accra, [AMA])
    await wa_sender.drain()
    await _statuses(post, status(_wamid(cloud, AMA), AMA, "failed", error=131026))
    (row,) = await outbox_rows(sessions)
    assert row.state is OutboxState.unreachable
    async with sessions() as session:
        identity = await session.scalar(select(Identity).where(Identity.address == AMA))
        delivery = await session.scalar(select(Delivery))
    assert identity.unreachable_at == clock.now()
    assert delivery.state is DeliveryState.unreachable


@pytest.mark.parametrize("code", [131053, 131000, 130429, 131056])
async def test_a_passing_failure_sends_the_message_again_after_a_backoff(
    sessions, clock, cloud, wa_sender: WhatsAppSender, accra, post, code
) -> None:
    await _broadcast_to(sessions, clock, accra, [AMA])
    await wa_sender.drain()
    await _statuses(post, status(_wamid(cloud, AMA), AMA, "failed", error=code))
    await wa_sender.drain()
    assert len(cloud.sent_to(AMA)) == 1  # not at once
    clock.advance(timedelta(seconds=5))
    await wa_sender.drain()
    first, again = cloud.sent_to(AMA)
    assert again["text"] == first["text"]
    (row,) = await outbox_rows(sessions)
    assert (row.state, row.attempts, row.sent_message_id) == (OutboxState.sent, 1, again["_id"])


async def test_a_failure_reported_after_delivery_changes_nothing(
    sessions, clock, cloud, wa_sender: WhatsAppSender, accra, post
) -> None:
    await _broadcast_to(sessions, clock, accra, [AMA])
    await wa_sender.drain()
    wamid = _wamid(cloud, AMA)
    await _statuses(
        post, status(wamid, AMA, "delivered"), status(wamid, AMA, "failed", error=131047)
    )
    clock.advance(timedelta(hours=1))
    await wa_sender.drain()
    assert len(cloud.sent_to(AMA)) == 1
    (row,) = await outbox_rows(sessions)
    assert (row.state, row.delivered_at) == (OutboxState.sent, clock.now() - timedelta(hours=1))


async def test_statuses_of_messages_the_outbox_does_not_know_are_ignored(post, sessions) -> None:
    await _statuses(
        post, status("wamid.unknown", AMA, "read"), status("wamid.x", AMA, "failed", error=131026)
    )
    assert await outbox_rows(sessions) == []


async def test_a_refused_token_stops_the_sender_with_one_log_line(
    sessions, clock, cloud, wa_sender: WhatsAppSender, accra, caplog
) -> None:
    caplog.set_level(logging.INFO)
    await _broadcast_to(sessions, clock, accra, [AMA, KOFI, EFUA])
    cloud.token = "a-new-token-the-sender-lacks"  # Meta revoked the old one
    await wa_sender.drain()
    clock.advance(timedelta(minutes=5))
    await wa_sender.drain()
    assert cloud.sent == []
    rows = await outbox_rows(sessions)
    assert {row.state for row in rows} == {OutboxState.pending}
    (line,) = [r for r in caplog.records if "190" in r.getMessage()]
    assert line.levelno == logging.ERROR and "CIRCLES_WHATSAPP_TOKEN" in line.getMessage()
    assert "fake-whatsapp-token" not in caplog.text


async def test_facilitators_see_how_many_meeting_reminders_were_delivered_and_read(
    sessions, clock, cloud, wa_sender: WhatsAppSender, accra, post, api
) -> None:
    for wa_id in (AMA, KOFI):
        await whatsapp_teacher(
            sessions, clock, wa_id, wrote_ago=timedelta(hours=1), circle_id=accra.circle_id
        )
    async with transaction(sessions) as session:
        circle = await session.get(Circle, accra.circle_id)
        meeting = await schedule_meeting(
            session,
            circle=circle,
            starts_at=clock.now() + timedelta(days=3),
            place="Staff room",
            agenda=None,
            created_by=None,
            now=clock.now(),
        )
        token = await create_token(
            session,
            role=TokenRole.facilitator,
            name="Grace",
            actor="test",
            now=clock.now(),
            circle=circle,
        )
    clock.advance(timedelta(days=2, hours=1))  # a day before: the reminder is due
    await meeting_sweep(sessions, clock)
    await wa_sender.drain()
    await _statuses(
        post,
        status(_wamid(cloud, AMA), AMA, "delivered"),
        status(_wamid(cloud, KOFI), KOFI, "read"),
    )
    response = await api.get(
        f"/v1/circles/{accra.circle_id}/meetings/{meeting.id}",
        headers={"Authorization": f"Bearer {token.secret}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["reminders"] == {"sent": 2, "delivered": 2, "read": 1}


async def test_mydata_shows_when_a_message_was_read_and_forgetme_erases_it(
    sessions, clock, cloud, wa_sender: WhatsAppSender, accra, post, settings
) -> None:
    await _broadcast_to(sessions, clock, accra, [AMA])
    await wa_sender.drain()
    await _statuses(post, status(_wamid(cloud, AMA), AMA, "read"))
    async with transaction(sessions) as session:
        ama = await session.scalar(select(Person).join(Identity).where(Identity.address == AMA))
        (message,) = (await export_person_data(session, person=ama, media_dir=settings.media_dir))[
            "messages"
        ]
        assert message["read_at"] == "2026-09-07T08:00:00Z"
        await forget_person(session, person=ama, now=clock.now(), media_dir=settings.media_dir)
    assert await outbox_rows(sessions) == []
