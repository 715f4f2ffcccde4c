"""Outside the 24-hour window: what the bot starts itself goes as its approved template,
in the reader's language; tapping the template opens the same step; a refusal for the
window switches the message to its template; nothing is dropped, nothing goes twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support.fakecloud import FakeCloud, quick_reply

from bot.flows.events import Photo, Say
from bot.handlers.whatsapp.sender import WhatsAppSender
from circles.models import OutboxPriority, OutboxState
from circles.text import t
from scheduler.jobs import checkin_sweep

from .conftest import outbox_rows, queue_for, shown, whatsapp_teacher, wrote_now

#: Monday 7 September 2026, 16:00 in Accra: Accra 1's check-ins open.
OPENS = datetime(2026, 9, 7, 16, 0, tzinfo=UTC)


async def test_the_invitation_goes_as_its_template_and_its_quick_reply_opens_the_checkin(
    sessions, clock, cloud: FakeCloud, wa_sender: WhatsAppSender, accra, wa_phone
) -> None:
    ama = wa_phone("Ama Mensah")
    clock.set(OPENS)
    await whatsapp_teacher(
        sessions, clock, ama.wa_id, wrote_ago=timedelta(days=3), circle_id=accra.circle_id
    )
    assert (await checkin_sweep(sessions, clock)).opened == 1
    assert await wa_sender.drain() == 1

    (invitation,) = cloud.sent_to(ama.wa_id)
    assert invitation["type"] == "template"
    template = invitation["template"]
    assert (template["name"], template["language"]["code"]) == ("checkin_invitation", "en")
    (row,) = await outbox_rows(sessions)
    assert (row.state, row.template, row.sent_message_id) == (
        OutboxState.sent,
        "checkin_invitation",
        invitation["_id"],
    )
    (button,) = [c for c in template["components"] if c["type"] == "button"]
    tap = button["parameters"][0]["payload"]

    # The quick reply opens the check-in at its first question, as the Telegram button does.
    texts = await ama.deliver(quick_reply(ama.wa_id, tap, "Open my check-in"))
    question = template["components"][0]["parameters"][0]["text"]
    assert question.startswith("What challenge do you see in your classroom?")
    (opened,) = texts
    assert opened.startswith("Let's find the classroom challenge") and question in opened
    assert cloud.refused == []


async def test_a_template_is_in_the_readers_language(
    sessions, clock, cloud: FakeCloud, wa_sender: WhatsAppSender
) -> None:
    await whatsapp_teacher(
        sessions, clock, "233200000801", wrote_ago=timedelta(hours=30), language="fr"
    )
    await queue_for(sessions, clock, "233200000801", Say("Hello everyone"), "broadcast-4")
    await wa_sender.drain()
    (sent,) = cloud.sent_to("233200000801")
    assert (sent["template"]["name"], sent["template"]["language"]["code"]) == ("broadcast", "fr")
    assert cloud.refused == []


async def test_a_reply_outside_the_window_waits_and_goes_as_it_is_once_they_write(
    sessions, clock, cloud: FakeCloud, wa_sender: WhatsAppSender
) -> None:
    await whatsapp_teacher(sessions, clock, "233200000802", wrote_ago=timedelta(hours=25))
    await queue_for(
        sessions,
        clock,
        "233200000802",
        Say(t("Send /help to see what you can do.")),
        "reply-1",
        priority=OutboxPriority.reply,
    )
    await wa_sender.drain()
    assert cloud.sent == []
    await wrote_now(sessions, clock, "233200000802")
    clock.advance(timedelta(hours=1))
    await wa_sender.drain()
    (sent,) = cloud.sent_to("233200000802")
    assert sent["type"] == "text"
    (row,) = await outbox_rows(sessions)
    assert (row.state, row.template) == (OutboxState.sent, None)


async def test_refused_for_the_window_at_send_time_the_message_goes_as_its_template_once(
    sessions, clock, cloud: FakeCloud, wa_sender: WhatsAppSender
) -> None:
    # Our clock says the window is open; WhatsApp knows better.
    await whatsapp_teacher(sessions, clock, "233200000803", wrote_ago=timedelta(hours=23))
    await queue_for(sessions, clock, "233200000803", Say("Hello everyone"), "broadcast-5")
    cloud.fail_next(131047)
    await wa_sender.drain()
    clock.advance(timedelta(hours=2))
    await wa_sender.drain()
    ((refused, _why),) = cloud.refused
    assert refused["type"] == "text"
    (sent,) = cloud.sent_to("233200000803")
    assert sent["template"]["name"] == "broadcast"
    (row,) = await outbox_rows(sessions)
    assert (row.state, row.template, row.sent_message_id) == (
        OutboxState.sent,
        "broadcast",
        sent["_id"],
    )


async def test_a_photo_goes_as_a_template_first_and_itself_once_the_window_opens(
    sessions, clock, cloud: FakeCloud, wa_sender: WhatsAppSender
) -> None:
    cloud.known_media.add("media-poster")
    await whatsapp_teacher(sessions, clock, "233200000804", wrote_ago=timedelta(days=2))
    await queue_for(
        sessions, clock, "233200000804", Photo("media-poster", "Hello everyone"), "broadcast-6"
    )
    await wa_sender.drain()
    clock.advance(timedelta(hours=3))
    await wa_sender.drain()  # still outside: the template is not sent again
    (template,) = cloud.sent_to("233200000804")
    assert template["type"] == "template"
    (row,) = await outbox_rows(sessions)
    assert (row.state, row.template) == (OutboxState.pending, template["template"]["name"])

    await wrote_now(sessions, clock, "233200000804")
    clock.advance(timedelta(hours=1))
    await wa_sender.drain()
    _template, photo = cloud.sent_to("233200000804")
    assert photo["type"] == "image" and shown(photo) == "Hello everyone"
    (row,) = await outbox_rows(sessions)
    assert (row.state, row.sent_message_id) == (OutboxState.sent, photo["_id"])
    clock.advance(timedelta(hours=2))
    await wa_sender.drain()
    assert len(cloud.sent_to("233200000804")) == 2
