"""Distributed leadership on WhatsApp: the invitation to co-facilitate reaches a teacher
whose 24-hour window has closed as its template, its quick reply accepts it, and the
monthly check-in of the new facilitator opens from its template's quick reply too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from support.fakecloud import FakeCloud, quick_reply

from bot.handlers.whatsapp.sender import WhatsAppSender
from circles.db import transaction
from circles.models import Inquiry, Membership, Person, Phase, Role
from circles.services import leadership
from circles.services.access import scope_of_member
from scheduler.jobs import facilitator_sweep

from .conftest import whatsapp_teacher


async def test_the_invitation_and_the_monthly_checkin_go_as_templates_and_their_quick_replies_work(
    sessions, clock, cloud: FakeCloud, wa_sender: WhatsAppSender, accra, wa_phone
) -> None:
    kofi = wa_phone("Kofi Boateng")
    kofi_id = await whatsapp_teacher(
        sessions, clock, kofi.wa_id, wrote_ago=timedelta(days=3), circle_id=accra.circle_id
    )
    async with transaction(sessions) as session:
        (await session.get_one(Person, kofi_id)).display_name = "Kofi Boateng"
        session.add(Inquiry(person_id=kofi_id, circle_id=accra.circle_id, phase=Phase.done))
        grace = await session.scalar(select(Person).where(Person.display_name == "Grace Owusu"))
        await leadership.invite(
            session,
            scope=scope_of_member(grace.id, accra.circle_id, Role.facilitator),
            circle_id=accra.circle_id,
            person_id=kofi_id,
            to_circle_id=None,
            now=clock.now(),
        )
    await wa_sender.drain()

    (sent,) = cloud.sent_to(kofi.wa_id)
    template = sent["template"]
    assert (template["name"], template["language"]["code"]) == ("cofacilitation_invitation", "en")
    assert template["components"][0]["parameters"][0]["text"].startswith(
        "Grace Owusu invites you to co-facilitate the learning circle Accra 1"
    )
    accept, decline = [c["parameters"][0]["payload"] for c in template["components"][1:]]
    assert (accept[:4], decline[:4]) == ("l:y:", "l:n:")
    texts = await kofi.deliver(quick_reply(kofi.wa_id, accept, "Accept"))
    assert texts[0].startswith("Welcome as a facilitator of Accra 1!")
    async with sessions() as session:
        role = await session.scalar(select(Membership.role).where(Membership.person_id == kofi_id))
    assert role is Role.facilitator

    # A month on, his window has closed again: the monthly check-in goes as its template.
    clock.set(datetime(2026, 10, 5, 16, 0, tzinfo=UTC))
    assert (await facilitator_sweep(sessions, clock)).opened == 1
    await wa_sender.drain()
    opened = cloud.sent_to(kofi.wa_id)[-1]["template"]
    assert opened["name"] == "facilitator_checkin"
    [button] = [c["parameters"][0]["payload"] for c in opened["components"]]
    texts = await kofi.deliver(quick_reply(kofi.wa_id, button, "Open my check-in"))
    assert "What went well in your circle this month?" in texts[-1]
    assert cloud.refused == []
