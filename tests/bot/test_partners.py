"""Partnerships between teachers of different circles: Ama (Accra) asks to be introduced
to Lucía (Montevideo), who pilots the same strategy; they write to each other through the
bot, then one ends it or leaves."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from support.people import add_person
from support.places import add_circle
from support.story import identify, onboard_facilitator

from circles.db import transaction
from circles.models import (
    Consent,
    Inquiry,
    Membership,
    PartnerMessage,
    Partnership,
    PartnershipStatus,
    Person,
    Phase,
    Role,
    Strategy,
)
from circles.services.privacy import export_person_data

#: 12:00 in Accra, 09:00 in Montevideo: nobody's quiet hours.
NOON = datetime(2026, 9, 8, 12, 0, tzinfo=UTC)
PRACTICE = "Mini whiteboards for every student on one hinge question per lesson."
THEIRS = "Traffic-light cups on every desk while students solve problems."


async def _teacher(
    sessions,
    clock,
    phone,
    name: str,
    circle_name: str,
    *,
    country: str = "UY",
    strategy: Strategy = Strategy.eliciting_evidence,
    phase: Phase = Phase.pilot,
    subjects: str = "Mathematics",
    grade_level: str = "lower_secondary",
    username: str | None = None,
    demo: bool = False,
):
    """A teacher of a new circle on Telegram, piloting a practice of ``strategy``."""
    first, _, last = name.partition(" ")
    teacher = phone(first)
    teacher.user.last_name, teacher.user.username = last or None, username
    async with transaction(sessions) as session:
        circle = await add_circle(session, circle_name, now=clock.now(), country=country)
        circle.demo = demo
        person = await add_person(
            session,
            telegram=teacher.user.id,
            display_name=name,
            consent=Consent.given,
            subjects=subjects,
            grade_level=grade_level,
            timezone="America/Montevideo",
            created_at=clock.now(),
        )
        session.add(Membership(person_id=person.id, circle_id=circle.id, role=Role.teacher))
        session.add(
            Inquiry(
                person_id=person.id,
                circle_id=circle.id,
                phase=phase,
                strategy=strategy,
                practice=THEIRS,
                started_at=clock.now(),
            )
        )
    teacher.person_id = person.id
    return teacher


async def _piloting(ama, clock) -> None:
    await identify(ama)  # Ama chooses "Eliciting evidence of learning" and starts piloting
    clock.set(NOON)


async def _partners(ama, lucia, sender) -> None:
    """Ama asks, Lucía accepts; both are introduced."""
    await ama.send("/partner")
    await ama.tap("Ask to be introduced")
    await sender.drain()
    await lucia.tap("Accept")
    await sender.drain()


async def test_two_teachers_are_introduced_write_both_ways_and_end_it(
    phone, accra, ama, sender, sessions, clock
) -> None:
    ama.user.username = "ama_accra_private"
    await _piloting(ama, clock)
    lucia = await _teacher(
        sessions, clock, phone, "Lucía Pérez", "Montevideo 1", username="lucia_uy_private"
    )

    texts = await ama.send("/partner")
    assert texts == [
        "A teacher of Montevideo 1 (Uruguay) also pilots a practice of “Eliciting evidence "
        "of learning”.\nThey teach the same subject as you.\nThey teach at the same school "
        "level as you.\nIf you ask, they are asked whether they agree. Once you both do, "
        "the bot introduces you and passes on your messages, without phone numbers or "
        "usernames."
    ]
    assert "Lucía" not in texts[0]  # no name before both agree
    assert ama.labels() == ["Ask to be introduced"]
    texts = await ama.tap("Ask to be introduced")
    assert texts[0].startswith("Asked. If they agree, you will both get an introduction here.")

    await sender.drain()
    request = lucia.messages()[-1]
    assert request["text"] == (
        "Ama M., a teacher of Accra 1 (Ghana), also pilots a practice of “Eliciting evidence "
        f"of learning” and would like to be introduced to you:\n“{PRACTICE}”\nIf you accept, "
        "the bot introduces you to each other and passes on your messages, without your "
        "phone number or username."
    )
    assert lucia.labels(request) == ["Accept", "Decline"]
    texts = await lucia.tap("Accept", request)
    assert texts[0] == (
        "Meet your partner Ama M., a teacher of Accra 1 (Ghana). Their practice of “Eliciting "
        f"evidence of learning”:\n“{PRACTICE}”\nWrite to them with the button below; the bot "
        "passes your messages on with your name only. /partner stop ends the partnership."
    )
    await sender.drain()
    intro = ama.messages()[-1]
    assert intro["text"].startswith(
        "Meet your partner Lucía Pérez, a teacher of Montevideo 1 (Uruguay)."
    )
    assert THEIRS in intro["text"]

    texts = await ama.tap("Write to Lucía", intro)
    assert texts[0].startswith("Your message goes to your partner, Lucía Pérez:")
    texts = await ama.send("How do your students show the cups while they work in pairs?")
    assert texts == ["Lucía Pérez will get your message."]
    await sender.drain()
    relayed = lucia.messages()[-1]
    assert relayed["text"] == (
        "Ama M. (Ghana), your partner, writes:\n“How do your students show the cups while "
        "they work in pairs?”"
    )
    await lucia.tap("Reply", relayed)
    assert await lucia.send("Red on top means: come to me now.") == [
        "Ama M. will get your message."
    ]
    await sender.drain()
    assert ama.messages()[-1]["text"] == (
        "Lucía Pérez (Uruguay), your partner, writes:\n“Red on top means: come to me now.”"
    )
    assert ama.labels(ama.messages()[-1]) == ["Reply"]

    for chat, other in ((ama, lucia), (lucia, ama)):  # nobody sees the other's handle or id
        shown = "\n".join(chat.everything_shown())
        assert other.user.username not in shown
        assert str(other.user.id) not in shown

    texts = await ama.send("/partner")
    assert texts[0] == (
        "Your partners:\nLucía Pérez, Montevideo 1 (Uruguay)\n/partner stop ends a partnership."
    )
    assert ama.labels() == ["Write to Lucía", "Find another partner"]
    texts = await ama.send("/partner stop")
    assert texts[0] == "Which partnership do you want to end?\nLucía Pérez, Montevideo 1 (Uruguay)"
    texts = await ama.tap("End with Lucía")
    assert texts == ["Your partnership with Lucía Pérez has ended; they are told."]
    await sender.drain()
    assert lucia.messages()[-1]["text"] == (
        "Ama M. has ended your partnership. Thank you for the exchange! Send /partner to find "
        "another partner."
    )
    await lucia.tap_data(relayed, lucia.button_data("Reply", relayed))
    assert lucia.last_notice() == "This partnership is no longer open to you."
    # An ended pair is not proposed again.
    assert (await ama.send("/partner"))[0].startswith("No teacher of another circle who pilots")

    async with sessions() as session:
        messages = list(await session.scalars(select(PartnerMessage).order_by(PartnerMessage.id)))
        partnership = await session.scalar(select(Partnership))
    assert [m.text for m in messages] == [
        "How do your students show the cups while they work in pairs?",
        "Red on top means: come to me now.",
    ]
    assert partnership.status is PartnershipStatus.ended


async def test_a_declined_request_is_told_without_a_reason_and_not_proposed_again(
    phone, accra, ama, sender, sessions, clock
) -> None:
    await _piloting(ama, clock)
    lucia = await _teacher(sessions, clock, phone, "Lucía Pérez", "Montevideo 1")
    diego = await _teacher(sessions, clock, phone, "Diego Suárez", "Salto 1", subjects="History")

    texts = await ama.send("/partner")
    assert texts[0].startswith("A teacher of Montevideo 1 (Uruguay)")  # same subject first
    assert ama.labels() == ["Ask to be introduced", "Show another"]
    texts = await ama.tap("Show another")
    assert texts[0].startswith("A teacher of Salto 1 (Uruguay)")
    assert "same subject" not in texts[0]
    await ama.send("/partner")
    await ama.tap("Ask to be introduced")
    await sender.drain()
    request = lucia.messages()[-1]
    accept = lucia.button_data("Accept", request)
    texts = await lucia.tap("Decline", request)
    assert texts == ["Declined. They will not be proposed to you again, nor you to them."]
    await lucia.tap_data(request, accept)
    assert lucia.last_notice() == "This partnership is no longer open to you."
    await sender.drain()
    assert ama.messages()[-1]["text"] == (
        "The teacher you asked to be introduced to cannot take a partner now. Send /partner "
        "to see other teachers."
    )
    texts = await ama.send("/partner")
    assert texts[0].startswith("A teacher of Salto 1 (Uruguay)")
    assert ama.labels() == ["Ask to be introduced"]
    assert diego.messages() == []


async def test_who_is_proposed_and_who_is_not(phone, accra, ama, sender, sessions, clock) -> None:
    texts = await ama.send("/partner")  # still identifying
    assert texts[0].startswith("Partnerships are for teachers who pilot a practice")
    await _piloting(ama, clock)
    await _teacher(sessions, clock, phone, "Demo Teacher", "Demo 1", demo=True)
    await _teacher(sessions, clock, phone, "Other Strategy", "Rivera 1", strategy=Strategy.feedback)
    await _teacher(sessions, clock, phone, "Still Identifying", "Paysandú 1", phase=Phase.identify)
    switched = await _teacher(sessions, clock, phone, "Switched Practice", "Colonia 1")
    async with transaction(sessions) as session:  # her newest practice is on feedback
        first = await session.scalar(select(Inquiry).where(Inquiry.person_id == switched.person_id))
        session.add(
            Inquiry(
                person_id=switched.person_id,
                circle_id=first.circle_id,
                phase=Phase.pilot,
                strategy=Strategy.feedback,
                started_at=clock.now(),
            )
        )
    off = await _teacher(sessions, clock, phone, "Opted Out", "Melo 1")
    await off.send("/partner off")
    paused = await _teacher(sessions, clock, phone, "On Pause", "Minas 1")
    await paused.send("/pause")
    await paused.tap("7 days")
    async with transaction(sessions) as session:  # a teacher of Ama's own circle
        kofi = await add_person(
            session, telegram=4242, display_name="Kofi B.", consent=Consent.given
        )
        session.add(Membership(person_id=kofi.id, circle_id=accra.circle_id, role=Role.teacher))
        session.add(
            Inquiry(
                person_id=kofi.id,
                circle_id=accra.circle_id,
                phase=Phase.pilot,
                strategy=Strategy.eliciting_evidence,
            )
        )

    texts = await ama.send("/partner")
    assert texts[0].startswith("No teacher of another circle who pilots “Eliciting evidence")

    await off.send("/partner on")
    texts = await ama.send("/partner")
    assert texts[0].startswith("A teacher of Melo 1 (Uruguay)")


async def test_forged_and_stale_buttons_change_nothing(
    phone, accra, ama, sender, sessions, clock
) -> None:
    await _piloting(ama, clock)
    lucia = await _teacher(sessions, clock, phone, "Lucía Pérez", "Montevideo 1")
    outsider = await _teacher(
        sessions, clock, phone, "Juan Gómez", "Rivera 1", strategy=Strategy.feedback
    )
    await ama.send("/partner")
    proposal = ama.last_with_buttons()
    ask_data = ama.button_data("Ask to be introduced", proposal)
    await ama.tap("Ask to be introduced", proposal)
    await sender.drain()
    request = lucia.messages()[-1]
    accept = lucia.button_data("Accept", request)

    # Someone else presses Accept; the asker presses her own request's Accept; a second ask.
    for presser, data in ((outsider, accept), (ama, accept), (ama, ask_data)):
        await presser.tap_data(request if presser is not ama else proposal, data)
        assert presser.last_notice() in (
            "This partnership is no longer open to you.",
            "This teacher can no longer be introduced to you.",
        )
    # An id that was never proposed to the presser (Juan pilots another strategy).
    await outsider.tap_data(request, ask_data)
    assert outsider.last_notice() == "This teacher can no longer be introduced to you."
    await lucia.tap("Accept", request)
    await sender.drain()
    write = ama.button_data("Write to Lucía", ama.messages()[-1])
    await outsider.tap_data(request, write)
    assert outsider.last_notice() == "This partnership is no longer open to you."
    async with sessions() as session:
        rows = list(await session.scalars(select(Partnership)))
    assert [(r.status, r.answered_at is not None) for r in rows] == [
        (PartnershipStatus.active, True)
    ]
    assert not any("Ama" in text for text in outsider.everything_shown())


async def test_at_most_twenty_messages_a_day(phone, accra, ama, sender, sessions, clock) -> None:
    await _piloting(ama, clock)
    lucia = await _teacher(sessions, clock, phone, "Lucía Pérez", "Montevideo 1")
    await _partners(ama, lucia, sender)
    intro = ama.messages()[-1]
    for n in range(20):
        await ama.tap("Write to Lucía", intro)
        assert await ama.send(f"Note {n}") == ["Lucía Pérez will get your message."]
    texts = await ama.tap("Write to Lucía", intro)
    assert texts == [
        "You have written 20 messages to your partners in the last 24 hours. Please write "
        "again tomorrow."
    ]
    clock.set(NOON + timedelta(days=1, minutes=1))
    assert (await ama.tap("Write to Lucía", intro))[0].startswith(
        "Your message goes to your partner, Lucía"
    )


async def test_erasing_one_side_deletes_their_messages_and_tells_the_partner_without_a_name(
    phone, accra, ama, sender, sessions, clock, settings
) -> None:
    await _piloting(ama, clock)
    lucia = await _teacher(sessions, clock, phone, "Lucía Pérez", "Montevideo 1")
    await _partners(ama, lucia, sender)
    await ama.tap("Write to Lucía", ama.messages()[-1])
    await ama.send("Shall we swap exit tickets?")
    await lucia.tap("Write to Ama", lucia.messages()[-1])
    await lucia.send("Yes, on Friday.")
    await sender.drain()

    async with sessions() as session:
        person = await session.get_one(Person, lucia.person_id)
        exported = await export_person_data(session, person=person, media_dir=settings.media_dir)
    assert [m["text"] for m in exported["partner_messages"]] == ["Yes, on Friday."]
    assert [p["status"] for p in exported["partnerships"]] == ["active"]

    await lucia.send("/forgetme")
    await lucia.tap("Yes, erase everything")
    await sender.drain()
    told = ama.messages()[-1]["text"]
    assert told == (
        "Your partner has left Learning Circles, so your partnership has ended and their "
        "messages are deleted. Send /partner to find another partner."
    )
    async with sessions() as session:
        left = list(await session.scalars(select(PartnerMessage)))
        partnership = await session.scalar(select(Partnership))
        ama_person = await session.scalar(select(Person).where(Person.display_name == "Ama M."))
        mine = await export_person_data(session, person=ama_person, media_dir=settings.media_dir)
    assert [m.text for m in left] == ["Shall we swap exit tickets?"]  # Ama's own stays hers
    assert partnership.status is PartnershipStatus.ended
    assert lucia.person_id not in (partnership.requester_id, partnership.partner_id)
    assert "Lucía" not in json.dumps(mine, ensure_ascii=False, default=str)
    assert "Yes, on Friday." not in json.dumps(mine, ensure_ascii=False, default=str)
    await ama.tap_data(ama.messages()[-2], ama.button_data("Reply", ama.messages()[-2]))
    assert ama.last_notice() == "This partnership is no longer open to you."


async def test_at_most_three_partnerships_or_requests_at_a_time(
    phone, accra, ama, sender, sessions, clock
) -> None:
    await _piloting(ama, clock)
    for n in range(4):
        await _teacher(sessions, clock, phone, f"Teacher {n}", f"Montevideo {n}")
    for _ in range(3):
        await ama.send("/partner")
        assert (await ama.tap("Ask to be introduced"))[0].startswith("Asked.")
    texts = await ama.send("/partner")
    assert texts == [
        "You already have 3 partnerships (or requests). End one with /partner stop first."
    ]
    async with sessions() as session:
        asked = list(await session.scalars(select(Partnership)))
    assert len(asked) == 3


async def test_relayed_messages_never_reach_the_facilitators_summaries(
    phone, accra, ama, sender, sessions, clock
) -> None:
    await _piloting(ama, clock)
    lucia = await _teacher(sessions, clock, phone, "Lucía Pérez", "Montevideo 1")
    await _partners(ama, lucia, sender)
    await ama.tap("Write to Lucía", ama.messages()[-1])
    await ama.send("Between us: the hinge question flopped today.")
    await sender.drain()
    grace = await onboard_facilitator(phone, accra)
    for command in ("/summary", "/circle", "/who"):
        await grace.send(command)
    assert not any("flopped" in text for text in grace.everything_shown())
    assert "flopped" in lucia.messages()[-1]["text"]
