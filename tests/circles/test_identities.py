"""A person on two apps is one person; messages go where they wrote from last."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from support.places import add_circle

from circles.db import SessionMaker, transaction
from circles.models import Channel, Circle, Consent, Identity, Membership, Outbox, Person, Role
from circles.services.groups import circle_of_group, groups_of, link_group
from circles.services.outbox import enqueue, message_payload
from circles.services.people import (
    addresses_of,
    find_person,
    get_or_create_person,
    mark_reachable,
    mark_unreachable,
)
from circles.services.roster import list_members
from circles.services.scheduling import due_teachers

NOW = datetime(2026, 9, 14, 9, 0, tzinfo=UTC)
NUMBER = "5511987654321"


async def _ana_on_both_apps(sessions: SessionMaker) -> int:
    """Ana joined on Telegram and later wrote from WhatsApp too."""
    async with transaction(sessions) as session:
        ana = await get_or_create_person(
            session,
            channel=Channel.telegram,
            address="5001",
            display_name="Ana",
            language_code="pt-BR",
            default_language="en",
            default_timezone="America/Sao_Paulo",
            now=NOW,
        )
        ana.consent = Consent.given
        session.add(
            Identity(person_id=ana.id, channel=Channel.whatsapp, address=NUMBER, created_at=NOW)
        )
        circle = await add_circle(session, "São Paulo 1", now=NOW, country="BR")
        session.add(Membership(person_id=ana.id, circle_id=circle.id, role=Role.teacher))
        return ana.id


async def _send(sessions: SessionMaker, person_id: int, key: str) -> tuple[str, str]:
    async with transaction(sessions) as session:
        person = await session.get_one(Person, person_id)
        assert await enqueue(session, to=person, payload=message_payload("Hi"), key=key, now=NOW)
        row = await session.scalar(select(Outbox).where(Outbox.idempotency_key == key))
        return row.channel, row.address


async def test_messages_follow_the_app_the_teacher_wrote_from_last(
    sessions: SessionMaker,
) -> None:
    ana = await _ana_on_both_apps(sessions)
    assert await _send(sessions, ana, "one") == ("telegram", "5001")  # she wrote there first

    async with transaction(sessions) as session:
        assert await mark_reachable(
            session, channel=Channel.whatsapp, address=NUMBER, now=NOW + timedelta(days=1)
        )
        assert (await find_person(session, channel=Channel.whatsapp, address=NUMBER)).id == ana
        [wave] = await due_teachers(session, now=NOW + timedelta(days=1))
        assert (wave.channel, wave.address) == (Channel.whatsapp, NUMBER)
    assert await _send(sessions, ana, "two") == ("whatsapp", NUMBER)

    # WhatsApp says the number cannot receive: Telegram still reaches her.
    async with transaction(sessions) as session:
        await mark_unreachable(session, channel=Channel.whatsapp, address=NUMBER, now=NOW)
        assert await addresses_of(session, person_ids=[ana]) == {ana: (Channel.telegram, "5001")}
    assert await _send(sessions, ana, "three") == ("telegram", "5001")

    async with transaction(sessions) as session:
        await mark_unreachable(session, channel=Channel.telegram, address="5001", now=NOW)
        person = await session.get_one(Person, ana)
        assert not await enqueue(
            session, to=person, payload=message_payload("Hi"), key="four", now=NOW
        )
        assert await due_teachers(session, now=NOW + timedelta(days=1)) == []


async def test_a_group_belongs_to_one_circle_and_a_circle_has_one_group_per_app(
    sessions: SessionMaker,
) -> None:
    async with transaction(sessions) as session:
        accra, kumasi = [
            await add_circle(session, name, now=NOW) for name in ("Accra 1", "Kumasi 2")
        ]
        await link_group(
            session, circle_id=accra.id, channel=Channel.telegram, address="-100", now=NOW
        )
        await link_group(
            session, circle_id=accra.id, channel=Channel.telegram, address="-200", now=NOW
        )
        assert [g.address for g in await groups_of(session, circle_id=accra.id)] == ["-200"]
        await link_group(
            session, circle_id=kumasi.id, channel=Channel.telegram, address="-200", now=NOW
        )
        assert await groups_of(session, circle_id=accra.id) == []
        found = await circle_of_group(session, channel=Channel.telegram, address="-200")
        assert found is not None and found.id == kumasi.id
        assert await circle_of_group(session, channel=Channel.whatsapp, address="-200") is None


async def test_the_roster_shows_a_member_unreachable_only_when_every_app_refused(
    sessions: SessionMaker,
) -> None:
    ana = await _ana_on_both_apps(sessions)
    async with transaction(sessions) as session:
        circle = await session.scalar(select(Circle))
        session.add(Person(display_name="Seeded", created_at=NOW))  # no identity at all
        await session.flush()
        seeded = await session.scalar(select(Person).where(Person.display_name == "Seeded"))
        session.add(Membership(person_id=seeded.id, circle_id=circle.id, role=Role.teacher))

    async def unreachable() -> dict[int, bool]:
        async with sessions() as session:
            circle = await session.scalar(select(Circle))
            page = await list_members(session, circle=circle, now=NOW, cursor=None, limit=10)
            return {row.person_id: row.unreachable for row in page.items}

    assert await unreachable() == {ana: False, seeded.id: False}
    async with transaction(sessions) as session:
        await mark_unreachable(session, channel=Channel.telegram, address="5001", now=NOW)
    assert await unreachable() == {ana: False, seeded.id: False}  # WhatsApp still works
    async with transaction(sessions) as session:
        await mark_unreachable(session, channel=Channel.whatsapp, address=NUMBER, now=NOW)
    assert await unreachable() == {ana: True, seeded.id: False}
