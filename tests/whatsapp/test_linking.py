"""One person on both apps: a Telegram member who joins with their invite on WhatsApp is
asked, proves it with a code sent to Telegram, and keeps one history; never silently."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import func, select
from support.people import add_person

from bot.flows import door
from bot.flows.door import Inbound
from bot.flows.inputs import Input, InputKind
from bot.flows.messages import Sender
from circles.db import SessionMaker, transaction
from circles.models import (
    Channel,
    Consent,
    Identity,
    IdentityLink,
    Outbox,
    Person,
    Role,
)
from circles.services.invites import redeem_invite
from circles.text import render

TELEGRAM_ID = 5_001


async def _telegram_member(sessions: SessionMaker, clock, code: str, *, uid=TELEGRAM_ID) -> int:
    """Ama, who joined with ``code`` on Telegram and consented; her person's id."""
    async with transaction(sessions) as session:
        ama = await add_person(
            session,
            telegram=uid,
            display_name="Ama Mensah",
            consent=Consent.given,
            consent_at=clock.now(),
            created_at=clock.now(),
        )
        await redeem_invite(session, code=code, person=ama, now=clock.now())
        return ama.id


async def _code_sent(sessions: SessionMaker, channel: Channel, address: str) -> str:
    """The code in the newest message queued for (``channel``, ``address``)."""
    async with sessions() as session:
        row = await session.scalar(
            select(Outbox)
            .where(Outbox.channel == channel, Outbox.address == address)
            .order_by(Outbox.id.desc())
        )
    assert row is not None and row.idempotency_key.startswith("link-")
    return re.search(r"\b(\d{6})\b", json.dumps(row.payload)).group(1)


async def _asked_for_a_code(wa_phone, accra, sessions: SessionMaker, clock):
    """Ama on Telegram joins on WhatsApp and says yes: her phone and the code sent."""
    await _telegram_member(sessions, clock, accra.codes[Role.teacher])
    phone = wa_phone("Ama")
    await phone.send(f"JOIN {accra.codes[Role.teacher]}")
    await phone.tap("Yes, link them")
    return phone, await _code_sent(sessions, Channel.telegram, str(TELEGRAM_ID))


async def _whatsapp_owner(sessions: SessionMaker, wa_id: str) -> int | None:
    async with sessions() as session:
        return await session.scalar(
            select(Identity.person_id).where(
                Identity.channel == Channel.whatsapp, Identity.address == wa_id
            )
        )


async def _count(sessions: SessionMaker, model) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_a_telegram_member_links_whatsapp_with_the_code_sent_to_telegram(
    wa_phone, accra, sessions, clock
) -> None:
    ama_id = await _telegram_member(sessions, clock, accra.codes[Role.teacher])
    people = await _count(sessions, Person)
    phone = wa_phone("Ama")
    texts = await phone.send(f"JOIN {accra.codes[Role.teacher]}")
    assert texts[0].startswith(
        "Someone who joined Accra 1 with this invite uses Telegram. Is that you?"
    )
    assert phone.labels() == ["Yes, link them", "No"]
    assert await _whatsapp_owner(sessions, phone.wa_id) is None  # nothing merged by asking

    texts = await phone.tap("Yes, link them")
    assert texts == ["I sent a 6-digit code to you on Telegram. Type it here within 15 minutes."]
    code = await _code_sent(sessions, Channel.telegram, str(TELEGRAM_ID))
    async with sessions() as session:
        link = await session.scalar(select(IdentityLink))
    assert link.code_hash is not None and code not in link.code_hash  # hashed at rest

    texts = await phone.send(code)
    assert texts[0].startswith("Linked! You can now use WhatsApp as well")
    assert await _whatsapp_owner(sessions, phone.wa_id) == ama_id
    assert await _count(sessions, Person) == people  # one person, one history
    assert await _count(sessions, IdentityLink) == 0
    # The code's message is gone from the outbox: no code is kept in plain text.
    async with sessions() as session:
        assert (
            await session.scalar(
                select(Outbox.id).where(Outbox.idempotency_key.startswith("link-"))
            )
            is None
        )
    texts = await phone.send("/help")
    assert texts[0].startswith("You are a teacher in Accra 1.")


async def test_three_wrong_codes_end_the_attempt_and_change_nothing(
    wa_phone, accra, sessions, clock
) -> None:
    phone, code = await _asked_for_a_code(wa_phone, accra, sessions, clock)
    wrong = "000000" if code != "000000" else "111111"
    assert await phone.send(wrong) == ["That is not the code. You can try 2 more times."]
    assert await phone.send(wrong) == ["That is not the code. You can try 1 more time."]
    texts = await phone.send(wrong)
    assert texts == [
        "That code was wrong three times, so linking ended and nothing was changed. "
        "Please go on using Telegram."
    ]
    assert await _count(sessions, IdentityLink) == 0
    await phone.send(code)  # the right code, too late
    assert await _whatsapp_owner(sessions, phone.wa_id) is None


async def test_no_changes_nothing_and_says_how_to_go_on(wa_phone, accra, sessions, clock) -> None:
    await _telegram_member(sessions, clock, accra.codes[Role.teacher])
    people = await _count(sessions, Person)
    phone = wa_phone("Ama")
    await phone.send(f"JOIN {accra.codes[Role.teacher]}")
    texts = await phone.tap("No")
    assert texts == [
        "Nothing was changed. Please go on using Telegram, where you are already a member. "
        "If that is not you, ask your facilitator for an invite of your own."
    ]
    assert await _count(sessions, Person) == people
    assert await _count(sessions, IdentityLink) == 0
    assert await _count(sessions, Outbox) == 0  # no code was sent


async def test_a_code_typed_after_fifteen_minutes_links_nothing(
    wa_phone, accra, sessions, clock
) -> None:
    phone, code = await _asked_for_a_code(wa_phone, accra, sessions, clock)
    clock.advance(timedelta(minutes=16))
    await phone.send(code)
    assert await _whatsapp_owner(sessions, phone.wa_id) is None
    assert await _count(sessions, IdentityLink) == 0


async def test_an_invite_two_telegram_members_used_finds_no_one_to_link(
    wa_phone, accra, sessions, clock
) -> None:
    await _telegram_member(sessions, clock, accra.codes[Role.teacher])
    await _telegram_member(sessions, clock, accra.codes[Role.teacher], uid=5_002)
    phone = wa_phone("Kofi")
    texts = await phone.send(f"JOIN {accra.codes[Role.teacher]}")
    assert texts[0].startswith("Welcome to Accra 1! You joined as teacher.")


async def test_a_whatsapp_member_joining_on_telegram_gets_the_code_on_whatsapp(
    sessions, clock, settings, accra
) -> None:
    """The other way round, through the door: and only while WhatsApp lets us write."""
    wa_id = "233200000077"
    async with transaction(sessions) as session:
        awa = await add_person(
            session, consent=Consent.given, display_name="Awa", created_at=clock.now()
        )
        session.add(
            Identity(
                person_id=awa.id,
                channel=Channel.whatsapp,
                address=wa_id,
                last_inbound_at=clock.now() - timedelta(days=2),
                created_at=clock.now(),
            )
        )
        await redeem_invite(session, code=accra.codes[Role.teacher], person=awa, now=clock.now())
    telegram = Sender(Channel.telegram, "6001", name="Awa", language_code="en")

    async def send(inbound: Inbound) -> list[str]:
        async with transaction(sessions) as session:
            handled = await door.handle(
                session, sender=telegram, inbound=inbound, settings=settings, now=clock.now()
            )
            return [render(e.text, "en") for e in handled.outcome.events]

    texts = await send(Inbound(command="start", argument=accra.codes[Role.teacher]))
    assert texts[0].startswith("Someone who joined Accra 1 with this invite uses WhatsApp.")
    texts = await send(Inbound(data="x:link:1"))
    assert texts[0].startswith("WhatsApp lets me write to you there only within a day")
    async with transaction(sessions) as session:
        identity = await session.scalar(select(Identity).where(Identity.address == wa_id))
        identity.last_inbound_at = clock.now()  # she wrote on WhatsApp
    await send(Inbound(data="x:link:1"))
    code = await _code_sent(sessions, Channel.whatsapp, wa_id)
    texts = await send(Inbound(message=Input(InputKind.text, text=f" {code} ")))
    assert texts[0].startswith("Linked! You can now use Telegram as well")
    async with sessions() as session:
        owner = await session.scalar(
            select(Identity.person_id).where(Identity.channel == Channel.telegram)
        )
    assert owner == awa.id


async def test_joining_again_starts_over_and_the_old_code_goes(
    wa_phone, accra, sessions, clock
) -> None:
    phone, code = await _asked_for_a_code(wa_phone, accra, sessions, clock)
    texts = await phone.send(f"join {accra.codes[Role.teacher]}")
    assert texts[0].startswith("Someone who joined Accra 1 with this invite uses Telegram.")
    assert await _count(sessions, Outbox) == 0  # the old code's message is gone
    texts = await phone.send(code)  # no code is asked for now
    assert texts == ["Are you the member who uses Telegram? Tap Yes to get a code there, or No."]
    assert await _whatsapp_owner(sessions, phone.wa_id) is None
