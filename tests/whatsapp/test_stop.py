"""WhatsApp's opt-in and opt-out: joining names WhatsApp and the organisation; "STOP"
alone pauses everything sent unasked at once, "START" brings it back."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from support.fakecloud import text

from bot.handlers.whatsapp.inbound import keyword
from circles.db import SessionMaker
from circles.models import Channel, Identity, Person, Role

WA = "233200000001"


async def _paused_until(sessions: SessionMaker, wa_id: str):
    async with sessions() as session:
        return await session.scalar(
            select(Person.paused_until)
            .join(Identity, Identity.person_id == Person.id)
            .where(Identity.channel == Channel.whatsapp, Identity.address == wa_id)
        )


async def test_joining_on_whatsapp_names_whatsapp_the_organisation_and_stop(
    wa_phone, accra
) -> None:
    ama = wa_phone()
    texts = await ama.send(f"JOIN {accra.codes[Role.teacher]}")
    assert (
        "Learning Circles will send you messages about your learning circle here on "
        "WhatsApp: check-ins, reminders and announcements. Send STOP at any time to stop "
        "them, and START to have them back."
    ) in texts[0]
    assert ama.labels() == ["I agree", "No, thank you"]  # consent follows


async def test_stop_pauses_at_once_and_start_resumes(wa_phone, accra, sessions, clock) -> None:
    ama = wa_phone()
    await ama.join(accra.codes[Role.teacher])
    texts = await ama.send("Stop")
    assert texts == [
        "Stopped: I will send you no check-ins, reminders or announcements until you send "
        "START. Your answers stay saved; /forgetme erases them."
    ]
    assert await _paused_until(sessions, ama.wa_id) > clock.now()
    texts = await ama.send(" START! ")
    assert texts[0].startswith("Welcome back! Your check-ins and reminders are on again.")
    assert await _paused_until(sessions, ama.wa_id) is None


async def test_stop_from_someone_unknown_explains_how_to_join(wa_phone) -> None:
    stranger = wa_phone("Stranger")
    texts = await stranger.send("STOP")
    assert texts and "Stopped" not in texts[0]


@pytest.mark.parametrize(
    ("body", "command"),
    [
        ("STOP", "stop"),
        ("stop.", "stop"),
        ("  Stop  ", "stop"),
        ("start", "resume"),
        ("Please stop", None),
        ("stop the reminders", None),
        ("starting", None),
        ("/stop", None),
    ],
)
def test_only_the_word_alone_stops_or_starts(body, command) -> None:
    assert keyword(text(WA, body)) == command
