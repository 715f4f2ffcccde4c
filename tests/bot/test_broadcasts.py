"""Broadcasts reach the right people, in their language, once; refusals are reported."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from support.people import add_person
from support.places import add_circle

from bot.handlers.telegram.sender import OutboxSender
from circles.db import create_engine, create_sessionmaker, transaction
from circles.errors import InvalidAnswer
from circles.models import Consent, Delivery, Membership, Person, Role
from circles.services.broadcasts import (
    Audience,
    broadcast_report,
    broadcast_sweep,
    cancel_broadcast,
    count_recipients,
    create_broadcast,
)

VARIANTS = {
    "en": "Regional hub on Friday at 15:00.",
    "fr": "Hub régional vendredi à 15 h.",
    "ko": "금요일 15시 지역 허브 모임.",
}


#: Each person's Telegram chat.
CHAT = {"kwame": 7000, "efua": 7001, "ama": 7002, "awa": 7003, "koffi": 7004}


async def _people(sessions, clock) -> dict[str, Person]:
    """Two circles: Accra (en teachers, a facilitator) and Abidjan (fr teachers)."""
    async with transaction(sessions) as session:
        accra = await add_circle(session, "Accra B", now=clock.now())
        abidjan = await add_circle(session, "Abidjan B", now=clock.now(), country="CI")
        people = {}
        for name, circle, role, language, consent in (
            ("kwame", accra, Role.teacher, "en", Consent.given),
            ("efua", accra, Role.facilitator, "en", Consent.given),
            ("ama", accra, Role.teacher, "ko", Consent.given),
            ("awa", abidjan, Role.teacher, "fr", Consent.given),
            ("koffi", abidjan, Role.teacher, "fr", Consent.pending),
        ):
            person = await add_person(
                session,
                telegram=CHAT[name],
                display_name=name,
                language=language,
                consent=consent,
                created_at=clock.now(),
            )
            session.add(Membership(person_id=person.id, circle_id=circle.id, role=role))
            people[name] = person
        return people


async def _send(sessions, clock, audience, **extra):
    async with transaction(sessions) as session:
        broadcast = await create_broadcast(
            session,
            variants=VARIANTS,
            default_language="en",
            audience=audience,
            created_by="token:1",
            now=clock.now(),
            **extra,
        )
        await broadcast_sweep(session, now=clock.now())
    return broadcast


async def test_each_recipient_gets_their_language_once(sessions, clock, sender, fake) -> None:
    people = await _people(sessions, clock)
    broadcast = await _send(sessions, clock, Audience())
    async with transaction(sessions) as session:  # a second sweep adds nobody
        await broadcast_sweep(session, now=clock.now())
    assert (await sender.drain()).sent == 4
    texts = {name: fake.texts_to(CHAT[name]) for name in people}
    assert texts == {
        "kwame": [VARIANTS["en"]],
        "efua": [VARIANTS["en"]],
        "ama": [VARIANTS["ko"]],
        "awa": [VARIANTS["fr"]],
        "koffi": [],
    }  # no consent, nothing
    async with transaction(sessions) as session:
        await broadcast_sweep(session, now=clock.now())
        report = await broadcast_report(session, broadcast_id=broadcast.id)
    assert report.status.value == "done"
    assert report.counts == {
        "pending": 0,
        "sent": 4,
        "failed": 0,
        "unreachable": 0,
        "skipped": 0,
        "delivered": 0,  # Telegram does not say
        "read": 0,
    }


async def test_audience_filters_combine(sessions, clock) -> None:
    await _people(sessions, clock)
    async with sessions() as session:
        assert await count_recipients(session, audience=Audience()) == 4
        assert await count_recipients(session, audience=Audience(countries=("CI",))) == 1
        assert (
            await count_recipients(
                session, audience=Audience(countries=("GH",), roles=(Role.teacher,))
            )
            == 2
        )
        assert (
            await count_recipients(
                session,
                audience=Audience(countries=("GH",), roles=(Role.teacher,), languages=("ko",)),
            )
            == 1
        )


async def test_refusals_are_reported_with_reasons(sessions, clock, sender, fake, pace) -> None:
    people = await _people(sessions, clock)
    async with transaction(sessions) as session:
        await session.execute(
            update(Person)
            .where(Person.id == people["efua"].id)
            .values(paused_until=clock.now() + timedelta(days=3))
        )
    fake.fail_next(
        "sendMessage",
        status=403,
        chat_id=CHAT["awa"],
        description="Forbidden: bot was blocked by the user",
    )
    fake.fail_next(
        "sendMessage",
        status=400,
        chat_id=CHAT["ama"],
        description="Bad Request: chat not found",
    )
    fake.fail_next("sendMessage", status=429, retry_after=5, chat_id=CHAT["kwame"])
    broadcast = await _send(sessions, clock, Audience())
    await sender.drain()
    async with sessions() as session:
        report = await broadcast_report(session, broadcast_id=broadcast.id)
    assert report.counts == {
        "pending": 1,
        "sent": 0,
        "failed": 1,
        "unreachable": 1,
        "skipped": 1,
        "delivered": 0,
        "read": 0,
    }
    assert report.reasons == {
        "paused": 1,
        "Forbidden: bot was blocked by the user": 1,
        "Chat not found": 1,
    }
    # The 429 held only Kwame's chat; five seconds later he gets it.
    clock.advance(timedelta(seconds=5))
    pace.advance(5)
    await sender.drain()
    assert fake.texts_to(CHAT["kwame"]) == [VARIANTS["en"]]
    # Awa blocked the bot: the next broadcast records her as unreachable without trying.
    second = await _send(sessions, clock, Audience(countries=("CI",)))
    async with sessions() as session:
        report = await broadcast_report(session, broadcast_id=second.id)
    assert report.counts["unreachable"] == 1 and report.reasons == {"blocked the bot": 1}


async def test_a_cancelled_broadcast_sends_nothing_more(sessions, clock, sender, fake) -> None:
    people = await _people(sessions, clock)
    broadcast = await _send(sessions, clock, Audience())
    claimed = await OutboxSender(sender.bot, sessions, clock, sender.limits, batch=1).claim()
    async with transaction(sessions) as session:
        await cancel_broadcast(session, broadcast_id=broadcast.id, by="token:1", now=clock.now())
    await sender.drain()
    assert len(claimed) == 1
    assert all(fake.texts_to(CHAT[name]) == [] for name in people)
    async with sessions() as session:
        report = await broadcast_report(session, broadcast_id=broadcast.id)
    assert report.status.value == "cancelled"
    assert report.counts["skipped"] == 4 and report.reasons == {"cancelled": 4}


async def test_a_scheduled_broadcast_waits_for_its_time(sessions, clock, sender, fake) -> None:
    await _people(sessions, clock)
    await _send(sessions, clock, Audience(), send_at=clock.now() + timedelta(hours=2))
    assert (await sender.drain()).sent == 0
    clock.advance(timedelta(hours=2))
    async with transaction(sessions) as session:
        assert await broadcast_sweep(session, now=clock.now()) == 1
    assert (await sender.drain()).sent == 4
    assert fake.texts_to(CHAT["awa"]) == [VARIANTS["fr"]]


async def test_bad_broadcasts_are_refused(sessions, clock) -> None:
    async with transaction(sessions) as session:
        for bad in (
            dict(variants={}),
            dict(variants={"xx": "hi"}),
            dict(variants={"fr": "salut"}),
            dict(variants={"en": "x" * 5000}),
            dict(audience=Audience(countries=("ZZ",))),
            dict(send_at=clock.now() - timedelta(minutes=1)),
        ):
            fields = (
                dict(
                    variants={"en": "Hello"},
                    default_language="en",
                    audience=Audience(),
                    created_by="t",
                    now=clock.now(),
                )
                | bad
            )
            with pytest.raises(InvalidAnswer):
                await create_broadcast(session, **fields)


async def test_two_senders_deliver_each_recipient_exactly_once(
    database_url, sessions, clock, app, limits, fake
) -> None:
    await _people(sessions, clock)
    await _send(sessions, clock, Audience())
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        senders = [
            OutboxSender(app.bot, create_sessionmaker(e), clock, limits, batch=2) for e in engines
        ]
        reports = await asyncio.gather(*(s.drain() for s in senders))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sum(r.sent for r in reports) == 4
    async with sessions() as session:
        sent = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.state == "sent")
        )
    assert sent == 4
    assert len([c for c in fake.calls_for("sendMessage")]) == 4
