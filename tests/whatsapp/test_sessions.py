"""An exchange session across circles reaches a WhatsApp teacher outside the 24-hour
window as its template; the quick reply answers the session as the Telegram button does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from support.fakecloud import FakeCloud, quick_reply

from bot.flows.exchange_sessions import announce, send_reminders
from bot.handlers.whatsapp.sender import WhatsAppSender
from circles.db import transaction
from circles.models import RsvpResponse, SessionRsvp, TokenRole
from circles.services import exchange_sessions
from circles.services.access import Scope
from circles.services.broadcasts import Audience

from .conftest import whatsapp_teacher

NOW = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
STARTS = datetime(2026, 11, 5, 11, 0, tzinfo=UTC)


async def test_session_news_and_reminders_go_as_templates_and_the_answer_counts(
    sessions, clock, cloud: FakeCloud, wa_sender: WhatsAppSender, accra, wa_phone
) -> None:
    ama = wa_phone("Ama Mensah")
    clock.set(NOW)
    await whatsapp_teacher(
        sessions, clock, ama.wa_id, wrote_ago=timedelta(days=3), circle_id=accra.circle_id
    )
    async with transaction(sessions) as session:
        found = await exchange_sessions.create_session(
            session,
            scope=Scope("token:1", TokenRole.admin),
            title="Feedback that moves learning",
            audience=Audience(circle_ids=(accra.circle_id,)),
            starts_at=STARTS,
            ends_at=STARTS + timedelta(hours=1),
            place="https://meet.example.org/exchange",
            now=clock.now(),
        )
        await announce(session, found=found, kind="new", now=clock.now())
    assert await wa_sender.drain() == 1
    (news,) = cloud.sent_to(ama.wa_id)
    template = news["template"]
    assert template["name"] == "session_news"
    (parameter,) = template["components"][0]["parameters"]
    assert parameter["text"].startswith("Feedback that moves learning")
    assert "11:00" in parameter["text"] and "https://meet.example.org/exchange" in parameter["text"]
    buttons = [c for c in template["components"] if c["type"] == "button"]
    assert len(buttons) == 3
    maybe = buttons[1]["parameters"][0]["payload"]

    texts = await ama.deliver(quick_reply(ama.wa_id, maybe, "Maybe"))
    assert texts == ["Thank you. I will remind you the day before."]
    async with sessions() as session:
        (rsvp,) = (await session.scalars(select(SessionRsvp))).all()
    assert (rsvp.response, rsvp.circle_id) == (RsvpResponse.maybe, accra.circle_id)

    clock.set(STARTS - timedelta(hours=24))  # her window closed long ago
    async with transaction(sessions) as session:
        assert await send_reminders(session, now=clock.now()) == 1
    await wa_sender.drain()
    assert cloud.sent_to(ama.wa_id)[-1]["template"]["name"] == "session_reminder"
    assert cloud.refused == []
