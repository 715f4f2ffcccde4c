"""Exchange sessions across circles: three timezones, a DST change, answers, reminders,
reflections, and what a cancelled session's old buttons say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from support.fakebotapi import FakeUser
from support.people import add_person
from support.phone import Phone
from support.places import add_circle

from circles.db import transaction
from circles.models import (
    Circle,
    Consent,
    ExchangeSession,
    Membership,
    Outbox,
    Reflection,
    Role,
    RsvpResponse,
    SessionRsvp,
    TokenRole,
)
from circles.services import exchange_sessions, hubs, reflections
from circles.services.access import Scope
from circles.services.broadcasts import Audience
from circles.services.privacy import export_person_data, forget_person
from scheduler.jobs import session_sweep

#: Scheduled while Zurich is on summer time (UTC+2); the session is after the change
#: back to winter time on 25 October (UTC+1): 11:00 UTC is 12:00 there, not 13:00.
SCHEDULED = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
STARTS = datetime(2026, 11, 5, 11, 0, tzinfo=UTC)
COORDINATOR = Scope("token:1", TokenRole.coordinator)


async def _teacher(session, *, circle, name, user_id, language, timezone):
    person = await add_person(
        session,
        telegram=user_id,
        display_name=name,
        language=language,
        timezone=timezone,
        consent=Consent.given,
        consent_at=SCHEDULED,
    )
    session.add(Membership(person_id=person.id, circle_id=circle.id, role=Role.teacher))
    return person


@pytest.fixture
async def world(sessions, clock, fake, app):
    """Three circles in a hub (Accra, Zurich, Seoul) with one teacher each on Telegram,
    and one circle outside the hub."""
    clock.set(SCHEDULED)
    async with transaction(sessions) as session:
        accra = await add_circle(session, "Accra 1", now=SCHEDULED)
        zurich = await add_circle(session, "Zürich 1", country="CH", now=SCHEDULED)
        seoul = await add_circle(session, "Seoul 1", country="KR", now=SCHEDULED)
        elsewhere = await add_circle(session, "Kumasi 1", now=SCHEDULED)
        hub = await hubs.create_hub(
            session, scope=COORDINATOR, name="Exchange hub", kind="regional", now=SCHEDULED
        )
        for circle in (accra, zurich, seoul):
            await hubs.add_circle(
                session, scope=COORDINATOR, hub_id=hub.id, circle_id=circle.id, now=SCHEDULED
            )
        people = {
            "ama": await _teacher(
                session,
                circle=accra,
                name="Ama",
                user_id=3001,
                language="en",
                timezone="Africa/Accra",
            ),
            "lea": await _teacher(
                session,
                circle=zurich,
                name="Lea",
                user_id=3002,
                language="de",
                timezone="Europe/Zurich",
            ),
            "minji": await _teacher(
                session,
                circle=seoul,
                name="Minji",
                user_id=3003,
                language="ko",
                timezone="Asia/Seoul",
            ),
            "kofi": await _teacher(
                session,
                circle=elsewhere,
                name="Kofi",
                user_id=3004,
                language="en",
                timezone="Africa/Accra",
            ),
        }
        ids = {name: person.id for name, person in people.items()}
        circle_ids = {"accra": accra.id, "zurich": zurich.id, "seoul": seoul.id}
    phones = {
        name: Phone(fake, app, FakeUser(id=3001 + n, first_name=name.title()))
        for n, name in enumerate(("ama", "lea", "minji", "kofi"))
    }
    return {"hub": hub.id, "ids": ids, "circles": circle_ids, "phones": phones}


async def _schedule(sessions, clock, hub_id: int, starts: datetime = STARTS) -> int:
    from bot.flows.exchange_sessions import announce

    async with transaction(sessions) as session:
        found = await exchange_sessions.create_session(
            session,
            scope=COORDINATOR,
            title="Feedback that moves learning",
            audience=Audience(hub_ids=(hub_id,)),
            starts_at=starts,
            ends_at=starts + timedelta(minutes=90),
            place="https://meet.example.org/exchange",
            now=clock.now(),
        )
        told = await announce(session, found=found, kind="new", now=clock.now())
        assert told == 3  # the hub's three teachers, not Kumasi's
        return found.id


def _since(fake, phone, before: int) -> list[str]:
    return fake.texts_to(phone.chat_id)[before:]


async def test_each_teacher_sees_their_own_time_after_the_clocks_change(
    world, sessions, clock, sender, fake
) -> None:
    phones = world["phones"]
    await _schedule(sessions, clock, world["hub"])
    await sender.drain()
    ama, lea, minji, kofi = (phones[n].messages() for n in ("ama", "lea", "minji", "kofi"))
    assert ama[-1]["text"] == (
        "New exchange session across circles: Feedback that moves learning, "
        "Thu, Nov 5, 2026, 11:00\u202fAM.\nOnline: https://meet.example.org/exchange"
    )
    # Zurich is back on winter time (UTC+1) on the day: 12:00, not summer time's 13:00.
    assert lea[-1]["text"] == (
        "Neue Austauschsitzung zwischen Zirkeln: Feedback that moves learning, "
        "Do., 5. Nov. 2026, 12:00.\nOnline: https://meet.example.org/exchange"
    )
    assert minji[-1]["text"] == (
        "새 서클 간 교류 세션: Feedback that moves learning, 2026년 11월 5일 (목) 오후 8:00.\n"
        "온라인: https://meet.example.org/exchange"
    )
    assert phones["ama"].labels(ama[-1]) == ["Yes", "Maybe", "No"]
    assert phones["lea"].labels(lea[-1]) == ["Ja", "Vielleicht", "Nein"]
    assert kofi == []


async def test_reminders_come_a_day_and_an_hour_before_in_every_timezone(
    world, sessions, clock, sender, fake
) -> None:
    phones = world["phones"]
    await _schedule(sessions, clock, world["hub"])
    await sender.drain()
    assert await phones["minji"].tap_nth(2, phones["minji"].messages()[-1])  # 아니요: no
    names = ("ama", "lea", "minji")
    before = {n: len(fake.texts_to(phones[n].chat_id)) for n in names}
    counts = []
    for moment in (
        STARTS - timedelta(hours=24, minutes=1),
        STARTS - timedelta(hours=24),
        STARTS - timedelta(hours=2),
        STARTS - timedelta(hours=1),
        STARTS - timedelta(minutes=10),
    ):
        clock.set(moment)
        await session_sweep(sessions, clock)
        await sender.drain()
        counts.append(tuple(len(_since(fake, phones[n], before[n])) for n in names))
    # Minji said no: no reminders for her; the others get one at each instant, once.
    assert counts == [(0, 0, 0), (1, 1, 0), (1, 1, 0), (2, 2, 0), (2, 2, 0)]
    day, hour = _since(fake, phones["ama"], before["ama"])
    assert day == (
        "Reminder: exchange session Feedback that moves learning on "
        "Thu, Nov 5, 2026, 11:00\u202fAM.\nOnline: https://meet.example.org/exchange"
    )
    assert hour.startswith(
        "Reminder: the exchange session Feedback that moves learning starts in one hour, "
        "Thu, Nov 5, 2026, 11:00\u202fAM."
    )
    day, hour = _since(fake, phones["lea"], before["lea"])
    assert day.startswith(
        "Erinnerung: Austauschsitzung Feedback that moves learning am Do., 5. Nov. 2026, 12:00."
    )
    assert hour.startswith("Erinnerung: Die Austauschsitzung Feedback that moves learning beginnt")
    async with sessions() as session:
        rows = (await session.scalars(select(Outbox).where(Outbox.address == "3001"))).all()
    sent = {
        row.idempotency_key.rsplit("-", 2)[1]: row.sent_at
        for row in rows
        if "h-" in row.idempotency_key
    }
    assert sent == {"24h": STARTS - timedelta(hours=24), "1h": STARTS - timedelta(hours=1)}


async def test_answers_reflections_and_attendance_per_circle_and_country(
    world, sessions, clock, sender, fake
) -> None:
    phones = world["phones"]
    session_id = await _schedule(sessions, clock, world["hub"])
    await sender.drain()
    assert await phones["ama"].tap("Yes", phones["ama"].messages()[-1]) == [
        "Thank you! See you at the session."
    ]
    await phones["lea"].tap("Vielleicht", phones["lea"].messages()[-1])
    await phones["minji"].tap_nth(2, phones["minji"].messages()[-1])
    [listed] = await phones["ama"].send("/sessions")
    assert listed.startswith("Feedback that moves learning: Thu, Nov 5, 2026, 11:00")
    assert "Your answer: Yes" in listed
    assert await phones["kofi"].send("/sessions") == [
        "No exchange sessions across circles are planned for you."
    ]

    clock.set(STARTS + timedelta(hours=2))
    await session_sweep(sessions, clock)
    await session_sweep(sessions, clock)  # a second run adds nothing
    await sender.drain()
    asks = [t for t in fake.texts_to(phones["ama"].chat_id) if t.startswith("Thank you for")]
    assert asks == [
        "Thank you for taking part in the exchange session Feedback that moves learning. "
        "A short reflection: four questions, about three minutes."
    ]
    assert not [t for t in fake.texts_to(phones["minji"].chat_id) if "성찰" in t]
    texts = await phones["ama"].tap("Start my reflection")
    assert "What did you learn in the meeting?" in texts[0]
    await phones["ama"].send("Other countries use hinge questions too.")
    await phones["ama"].send("Share exit tickets with Zurich.")
    await phones["ama"].send("Wide")
    await phones["ama"].tap("The facilitators")
    async with sessions() as session:
        reflection = await session.scalar(select(Reflection))
    assert (reflection.session_id, reflection.circle_id) == (
        session_id,
        world["circles"]["accra"],
    )
    async with sessions() as session:
        accra = await session.get_one(Circle, world["circles"]["accra"])
        facilitator = Scope("person:9", TokenRole.facilitator, circle_ids=frozenset({accra.id}))
        grouped = await reflections.list_reflections(
            session, scope=facilitator, circle=accra, cursor=None, limit=10, session_id=session_id
        )
        other = await reflections.list_reflections(
            session, scope=facilitator, circle=accra, cursor=None, limit=10, session_id=999
        )
    assert [row.reflection.learnt for row in grouped.items] == [
        "Other countries use hinge questions too."
    ]
    assert other.items == []
    again = phones["ama"].messages()[-1]
    assert await phones["ama"].tap_data(again, f"x:sreflect:{session_id}") == []
    assert phones["ama"].last_notice() == "This question is already closed."

    async with sessions() as session:
        seen = await exchange_sessions.attendance(session, scope=COORDINATOR, session_id=session_id)
    by_circle = {line.name: line for line in seen.circles}
    assert by_circle["Accra 1"].responses[RsvpResponse.yes] == 1
    assert by_circle["Accra 1"].reflections == 1
    assert by_circle["Zürich 1"].responses[RsvpResponse.maybe] == 1
    assert by_circle["Seoul 1"].responses[RsvpResponse.no] == 1
    assert [(c.country, c.invited) for c in seen.countries] == [("CH", 1), ("GH", 1), ("KR", 1)]


async def test_moving_and_cancelling_tell_invitees_and_old_buttons_say_so(
    world, sessions, clock, sender, fake
) -> None:
    from bot.flows.exchange_sessions import announce

    phones = world["phones"]
    session_id = await _schedule(sessions, clock, world["hub"])
    await sender.drain()
    first = phones["ama"].messages()[-1]
    await phones["ama"].tap("Yes", first)
    async with transaction(sessions) as session:
        found, moved = await exchange_sessions.change_session(
            session,
            scope=COORDINATOR,
            session_id=session_id,
            starts_at=STARTS + timedelta(days=1),
            now=clock.now(),
        )
        assert moved
        await announce(session, found=found, kind="moved", now=clock.now())
    await sender.drain()
    assert (
        phones["ama"]
        .messages()[-1]["text"]
        .startswith(
            "The exchange session Feedback that moves learning has moved to Fri, Nov 6, 2026"
        )
    )
    async with sessions() as session:
        assert (await session.scalars(select(SessionRsvp))).all() == []  # asked again
    async with transaction(sessions) as session:
        found = await exchange_sessions.cancel_session(
            session, scope=COORDINATOR, session_id=session_id, now=clock.now()
        )
        await announce(session, found=found, kind="cancelled", now=clock.now())
    await sender.drain()
    cancelled = phones["ama"].messages()[-1]
    assert cancelled["text"].startswith("The exchange session Feedback that moves learning on")
    assert phones["ama"].fake.buttons(cancelled) == []
    await phones["ama"].tap_data(first, f"x:srsvp:{session_id}:yes")
    assert phones["ama"].last_notice() == "This session was cancelled."
    # Someone outside the audience pressing a forged button learns nothing.
    await phones["kofi"].tap_data(first, f"x:srsvp:{session_id}:yes")
    assert phones["kofi"].last_notice() == "This question is already closed."


async def test_answers_are_exported_and_erased(world, sessions, clock, sender, tmp_path) -> None:
    phones = world["phones"]
    await _schedule(sessions, clock, world["hub"])
    await sender.drain()
    await phones["ama"].tap("Yes", phones["ama"].messages()[-1])
    async with transaction(sessions) as session:
        from circles.models import Person

        ama = await session.get_one(Person, world["ids"]["ama"])
        exported = await export_person_data(session, person=ama, media_dir=tmp_path)
        assert [r["response"] for r in exported["session_rsvps"]] == ["yes"]
        await forget_person(session, person=ama, now=clock.now(), media_dir=tmp_path)
    async with sessions() as session:
        assert (await session.scalars(select(SessionRsvp))).all() == []
        assert (await session.scalar(select(ExchangeSession))) is not None


async def test_a_day_reminder_in_the_night_waits_for_the_morning_the_hour_one_does_not(
    world, sessions, clock, sender
) -> None:
    # 13:00 UTC is 22:00 in Seoul (quiet from 21:00): the day-before reminder, due at
    # 22:00 there, waits for 07:00; the hour-before one, at 21:00, goes at once.
    late = datetime(2026, 11, 5, 13, 0, tzinfo=UTC)
    session_id = await _schedule(sessions, clock, world["hub"], starts=late)
    for moment in (late - timedelta(hours=24), late - timedelta(hours=1)):
        clock.set(moment)
        await session_sweep(sessions, clock)
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(Outbox).where(
                    Outbox.idempotency_key.like(f"session-{session_id}-%h-%"),
                    Outbox.address == "3003",
                )
            )
        ).all()
    held = {row.idempotency_key.split("-")[2]: row.not_before for row in rows}
    assert held == {
        "24h": datetime(2026, 11, 4, 22, 0, tzinfo=UTC),  # 07:00 on the 5th in Seoul
        "1h": late - timedelta(hours=1),
    }
