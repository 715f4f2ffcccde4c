"""Partners on WhatsApp: a request reaches a teacher whose 24-hour window has closed as its
template, its quick reply accepts it, and messages go both ways — as the ``partner_message``
template when the window is closed — with the writer's name, never their number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support.fakecloud import FakeCloud, quick_reply
from support.places import add_circle

from bot.handlers.whatsapp.sender import WhatsAppSender
from circles.db import transaction
from circles.models import Inquiry, Membership, Person, Phase, Role, Strategy

from .conftest import whatsapp_teacher

NOON = datetime(2026, 9, 8, 12, 0, tzinfo=UTC)


async def _piloting(sessions, clock, wa_id: str, name: str, circle_id: int, wrote_ago) -> None:
    person_id = await whatsapp_teacher(sessions, clock, wa_id, wrote_ago=wrote_ago)
    async with transaction(sessions) as session:
        person = await session.get_one(Person, person_id)
        person.display_name, person.subjects = name, "Mathematics"
        session.add(Membership(person_id=person_id, circle_id=circle_id, role=Role.teacher))
        session.add(
            Inquiry(
                person_id=person_id,
                circle_id=circle_id,
                phase=Phase.pilot,
                strategy=Strategy.peer_assessment,
                practice=f"{name}'s peer marking with two stars and a wish.",
                started_at=clock.now(),
            )
        )


async def test_a_request_and_a_message_go_as_templates_and_their_quick_replies_answer(
    sessions, clock, cloud: FakeCloud, wa_sender: WhatsAppSender, accra, wa_phone
) -> None:
    clock.set(NOON)
    ama, lucia = wa_phone("Ama Mensah"), wa_phone("Lucía Pérez")
    async with transaction(sessions) as session:
        montevideo = await add_circle(session, "Montevideo 1", now=clock.now(), country="UY")
    await _piloting(sessions, clock, ama.wa_id, "Ama Mensah", accra.circle_id, timedelta(0))
    await _piloting(sessions, clock, lucia.wa_id, "Lucía Pérez", montevideo.id, timedelta(days=3))

    texts = await ama.send("/partner")
    assert texts[0].startswith("A teacher of Montevideo 1 (Uruguay) also pilots a practice")
    await ama.tap("Ask to be introduced")
    await wa_sender.drain()
    (request,) = cloud.sent_to(lucia.wa_id)
    template = request["template"]
    assert (template["name"], template["language"]["code"]) == ("partner_request", "en")
    assert template["components"][0]["parameters"][0]["text"].startswith(
        "Ama Mensah, a teacher of Accra 1 (Ghana), also pilots a practice of “Peer assessment”"
    )
    accept, _decline = [c["parameters"][0]["payload"] for c in template["components"][1:]]
    texts = await lucia.deliver(quick_reply(lucia.wa_id, accept, "Accept"))
    assert texts[0].startswith("Meet your partner Ama Mensah, a teacher of Accra 1 (Ghana).")
    await wa_sender.drain()
    assert cloud.sent_to(ama.wa_id)[-1]["type"] == "interactive"  # her window is open

    await ama.tap("Write to Lucía")
    assert await ama.send("Do you mark in pairs?") == ["Lucía Pérez will get your message."]
    await wa_sender.drain()
    assert lucia.labels() == ["Reply"]
    await lucia.tap("Reply")
    assert await lucia.send("Yes, always.") == ["Ama Mensah will get your message."]
    await wa_sender.drain()
    assert "“Yes, always.”" in cloud.sent_to(ama.wa_id)[-1]["interactive"]["body"]["text"]

    clock.advance(timedelta(days=2))  # Lucía's window closes again
    await ama.tap("Reply")
    await ama.send("Shall we share our rubrics?")
    await wa_sender.drain()
    template = cloud.sent_to(lucia.wa_id)[-1]["template"]
    assert template["name"] == "partner_message"
    words = template["components"][0]["parameters"][0]["text"]
    assert words == "Ama Mensah (Ghana), your partner, writes: “Shall we share our rubrics?”"
    assert ama.wa_id not in words
    (reply,) = [c["parameters"][0]["payload"] for c in template["components"][1:]]
    texts = await lucia.deliver(quick_reply(lucia.wa_id, reply, "Reply"))
    assert texts[0].startswith("Your message goes to your partner, Ama Mensah:")
    assert cloud.refused == []
