"""A peer's question reaches a WhatsApp teacher whose 24-hour window has closed as its
template; its quick reply answers it, and the answer reaches the asker with Thank."""

from __future__ import annotations

from datetime import timedelta

from support.fakecloud import FakeCloud, quick_reply

from bot.handlers.whatsapp.sender import WhatsAppSender
from circles.db import transaction
from circles.models import Person, Role

from .conftest import whatsapp_teacher


async def test_a_question_goes_as_its_template_and_its_quick_reply_answers_it(
    sessions, clock, cloud: FakeCloud, wa_sender: WhatsAppSender, accra, wa_phone
) -> None:
    ama, kofi = wa_phone("Ama Mensah"), wa_phone("Kofi Boateng")
    await ama.join(accra.codes[Role.teacher])
    kofi_id = await whatsapp_teacher(
        sessions, clock, kofi.wa_id, wrote_ago=timedelta(days=3), circle_id=accra.circle_id
    )
    async with transaction(sessions) as session:
        (await session.get_one(Person, kofi_id)).display_name = "Kofi Boateng"

    await ama.send("/ask")
    await ama.send("How do you keep exit tickets short?")
    await ama.tap("With my name")
    texts = await ama.tap("Yes")
    assert texts[0].startswith("Sent to 1 teacher of your circle.")
    await wa_sender.drain()

    (sent,) = cloud.sent_to(kofi.wa_id)
    template = sent["template"]
    assert (template["name"], template["language"]["code"]) == ("peer_question", "en")
    assert template["components"][0]["parameters"][0]["text"] == (
        "Ama, a teacher of your circle, asks for help: “How do you keep exit tickets short?”"
    )
    answer, stop = [c["parameters"][0]["payload"] for c in template["components"][1:]]
    texts = await kofi.deliver(quick_reply(kofi.wa_id, answer, "Answer"))
    assert "Type your answer in one message" in texts[0]
    texts = await kofi.send("One hinge question, one line.")
    assert texts[0].startswith("Sent to the teacher who asked.")
    await wa_sender.drain()
    assert ama.labels() == ["Thank"]
    assert await ama.tap("Thank") == ["Kofi will get your thanks."]
    assert cloud.refused == []
    assert stop == "q:off"
