"""Meetings: a facilitator schedules, members answer, reminders come, attendees reflect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from support.story import MONDAY_EVENING, identify, onboard_facilitator, pilot_week
from telegram import Update

from circles.models import Identity, Meeting, MeetingStatus, Outbox, Reflection, Rsvp
from scheduler.jobs import meeting_sweep

STARTS = datetime(2026, 9, 17, 16, 30, tzinfo=UTC)  # Thursday 16:30 in Accra


async def _schedule(
    grace,
    date: str = "2026-09-17",
    at: str = "16:30",
    place: str = "https://meet.example.org/circle",
) -> list[str]:
    await grace.send("/meeting")
    await grace.send(date)
    await grace.send(at)
    await grace.send(place)
    return await grace.tap("Skip")


async def test_a_meeting_from_invitation_to_reflection(
    phone, accra, ama, clock, sessions, sender, fake
) -> None:
    grace = await onboard_facilitator(phone, accra)
    texts = await _schedule(grace)
    assert texts == ["The meeting is set for Thu, Sep 17, 2026, 4:30\u202fPM. 2 members are told."]
    await sender.drain()
    invitation = ama.messages()[-1]
    assert invitation["text"] == (
        "New circle meeting: Thu, Sep 17, 2026, 4:30\u202fPM.\n"
        "Online: https://meet.example.org/circle"
    )
    assert ama.labels(invitation) == ["Yes", "Maybe", "No"]
    assert await ama.tap("Yes", invitation) == ["Thank you! See you at the meeting."]

    [overview] = await grace.send("/meetings")
    assert "Coming (1): Ama M." in overview
    assert "Not coming (0): —" in overview

    reminders = []
    for when in (
        STARTS - timedelta(hours=25),
        STARTS - timedelta(hours=24),
        STARTS - timedelta(hours=23),
        STARTS - timedelta(minutes=60),
        STARTS - timedelta(minutes=30),
    ):
        clock.set(when)
        await meeting_sweep(sessions, clock)
        await sender.drain()
        reminders.append([t for t in fake.texts_to(ama.chat_id) if t.startswith("Reminder")])
    assert [len(r) for r in reminders] == [0, 1, 1, 2, 2]
    assert reminders[-1][0].startswith("Reminder: circle meeting tomorrow, Thu, Sep 17")
    assert reminders[-1][1].startswith("Reminder: the circle meeting starts in one hour")

    clock.set(STARTS + timedelta(hours=2))
    await meeting_sweep(sessions, clock)
    await meeting_sweep(sessions, clock)  # a second run adds nothing
    await sender.drain()
    asks = [t for t in fake.texts_to(ama.chat_id) if t.startswith("Thank you for taking part")]
    assert len(asks) == 1
    assert not [t for t in fake.texts_to(grace.chat_id) if t.startswith("Thank you for taking")]
    texts = await ama.tap("Start my reflection")
    assert texts[0].startswith("A short reflection on your circle meeting: four questions.\n\n")
    assert "\n\nWhat did you learn in the meeting?" in texts[0]
    await ama.send("Hinge questions need practice.")
    await ama.send("Plan them with a colleague.")
    await ama.send("Inspiring")
    await ama.tap("The facilitators")
    async with sessions() as session:
        reflection = await session.scalar(select(Reflection))
        meeting = await session.scalar(select(Meeting))
    assert reflection.meeting_id == meeting.id
    assert await ama.tap_data(ama.messages()[-1], f"x:reflect:{meeting.id}") == []


async def test_members_who_say_no_get_no_reminders(
    phone, accra, ama, clock, sessions, sender, fake
) -> None:
    grace = await onboard_facilitator(phone, accra)
    await _schedule(grace)
    await sender.drain()
    await ama.tap("No", ama.messages()[-1])
    clock.set(STARTS - timedelta(hours=6))  # 10:30 in Accra, outside quiet hours
    await meeting_sweep(sessions, clock)
    await sender.drain()
    assert not [t for t in fake.texts_to(ama.chat_id) if t.startswith("Reminder")]
    assert [t for t in fake.texts_to(grace.chat_id) if t.startswith("Reminder")]


async def test_moving_and_cancelling_tell_everyone(
    phone, accra, ama, clock, sessions, sender
) -> None:
    grace = await onboard_facilitator(phone, accra)
    await _schedule(grace)
    await sender.drain()
    await ama.tap("Yes", ama.messages()[-1])
    await grace.send("/meetings")
    await grace.tap("Move")
    await grace.send("24.09.2026")
    await grace.send("17h")
    await grace.send("Room 4, Central School")
    texts = await grace.tap("Skip")
    assert texts[0].startswith("The meeting is set for Thu, Sep 24, 2026, 5:00")
    await sender.drain()
    moved = ama.messages()[-1]["text"]
    assert moved == (
        "The circle meeting has moved to Thu, Sep 24, 2026, 5:00\u202fPM.\n"
        "Place: Room 4, Central School"
    )
    async with sessions() as session:
        assert (await session.scalars(select(Rsvp))).all() == []  # asked again
    await grace.send("/meetings")
    texts = await grace.tap("Cancel")
    assert texts[0].startswith("The meeting on Thu, Sep 24, 2026")
    await sender.drain()
    assert ama.messages()[-1]["text"].startswith("The circle meeting on Thu, Sep 24, 2026")
    async with sessions() as session:
        assert (await session.scalar(select(Meeting))).status is MeetingStatus.cancelled


async def test_bad_dates_and_times_are_explained(phone, accra, ama) -> None:
    grace = await onboard_facilitator(phone, accra)
    await grace.send("/meeting")
    assert (await grace.send("next thursday")) == [
        "Please send a date such as 2026-10-15 or 15.10.2026.\n\n"
        "On which date? (for example 2026-10-15 or 15.10.2026)"
    ]
    assert (await grace.send("31.02.2026"))[0].startswith("Please send a date")
    await grace.send("2026-09-17")
    assert (await grace.send("half past four")) == [
        "Please send a time such as 16:30.\n\nAt what time does it start? (for example 16:30)"
    ]
    await grace.send("16:30")
    await grace.send("Library")
    texts = await grace.tap("Skip")
    assert texts[0].startswith("The meeting is set")


async def test_a_meeting_in_the_past_is_refused(phone, accra, ama) -> None:
    grace = await onboard_facilitator(phone, accra)
    texts = await _schedule(grace, date="2026-09-01")
    assert texts == ["The meeting must be in the future. Send /meeting to try again."]


async def test_only_facilitators_schedule(ama) -> None:
    assert await ama.send("/meeting") == ["Only the facilitators of a circle can do this."]


async def test_a_linked_group_hears_announcements_and_reminders(
    phone, accra, ama, clock, sessions, sender, fake, pace
) -> None:
    grace = await onboard_facilitator(phone, accra)
    group = fake.group_chat(-100555, "Accra 1 teachers")
    update = fake.user_message(grace.user, "/linkgroup", chat=group, enqueue=False)
    await grace.app.process_update(Update.de_json(update, grace.app.bot))
    assert fake.texts_to(-100555)[-1].startswith("This group is now linked to Accra 1")
    update = fake.user_message(ama.user, "/linkgroup", chat=group, enqueue=False)
    await ama.app.process_update(Update.de_json(update, ama.app.bot))
    assert fake.texts_to(-100555)[-1] == "Only the facilitators of a circle can do this."
    await _schedule(grace)
    for when in (STARTS - timedelta(hours=23), STARTS - timedelta(minutes=30)):
        clock.set(when)
        await meeting_sweep(sessions, clock)
        for _ in range(3):  # a group takes one message every three seconds
            await sender.drain()
            clock.advance(timedelta(seconds=3))
            pace.advance(3)
    posted = fake.texts_to(-100555)
    assert any(t.startswith("New circle meeting") for t in posted)
    assert any(t.startswith("Reminder: circle meeting tomorrow") for t in posted)
    assert any(t.startswith("Reminder: the circle meeting starts in one hour") for t in posted)


async def test_a_meeting_on_the_last_day_of_the_calendar_is_refused(phone, accra, ama) -> None:
    grace = await onboard_facilitator(phone, accra)
    texts = await _schedule(grace, date="9999-12-31", at="23:30")
    assert texts == ["A meeting can be planned at most a year ahead. Send /meeting to try again."]


async def test_two_members_copies_of_a_meetings_news_carry_one_key_naming_neither(
    phone, accra, ama, clock, sessions, sender
) -> None:
    grace = await onboard_facilitator(phone, accra)
    await _schedule(grace)
    await sender.drain()
    for member in (ama, grace):
        await member.tap("Yes", member.messages()[-1])
    for when in (STARTS - timedelta(hours=24), STARTS - timedelta(minutes=60)):
        clock.set(when)
        await meeting_sweep(sessions, clock)
    clock.set(STARTS + timedelta(hours=2))
    await meeting_sweep(sessions, clock)
    await meeting_sweep(sessions, clock)  # a second run queues nothing twice
    async with sessions() as session:
        rows = (await session.execute(select(Outbox.address, Outbox.idempotency_key))).all()
        chats = list(await session.scalars(select(Identity.address)))
    keys = {
        chat: sorted(key for to, key in rows if to == str(chat) and key.startswith("meeting-"))
        for chat in (ama.chat_id, grace.chat_id)
    }
    assert len(keys[ama.chat_id]) == 4  # the news, two reminders, the reflection
    # The facilitator's copies carry the same keys, and the meeting pack is hers alone.
    pack = [key for key in keys[grace.chat_id] if "-pack-" in key]
    assert len(pack) == 1
    assert keys[ama.chat_id] == [key for key in keys[grace.chat_id] if key not in pack]
    assert not [key for _to, key in rows for chat in chats if chat in key]


async def test_facilitators_get_the_meeting_pack_the_day_before(
    phone, accra, ama, clock, sessions, sender, fake
) -> None:
    grace = await onboard_facilitator(phone, accra)
    await identify(ama)
    for week, rating in zip(MONDAY_EVENING[:2], ("3", "4"), strict=True):
        clock.set(week)
        await pilot_week(ama, rating)
    await _schedule(grace)
    await sender.drain()

    def packs(chat_id: int) -> list[str]:
        return [t for t in fake.texts_to(chat_id) if t.startswith("Your meeting pack")]

    for hours in (25, 24, 23):
        clock.set(STARTS - timedelta(hours=hours))
        await meeting_sweep(sessions, clock)
        await sender.drain()
    [pack] = packs(grace.chat_id)
    assert not packs(ama.chat_id)  # teachers get reminders, not the pack
    assert pack.splitlines() == [
        "Your meeting pack for Accra 1, for the meeting on Thu, Sep 17, 2026, 4:30\u202fPM:",
        "1 of 1 teacher tried their practice since Thu, Aug 20, 2026, 4:30\u202fPM.",
        "Ama M.: tried it 2 of 2 weeks · ratings 3 → 4",
        "0 requests for help",
        "0 answers on what got in the way",
        "0 reflections you may read",
        "0 practices await your review",
        "The whole pack, with the evidence of student work, is on the dashboard.",
    ]

    await grace.send("/meetings")
    await grace.tap("Move")
    await grace.send("2026-09-24")
    await grace.send("16:30")
    await grace.send("Room 4, Central School")
    await grace.tap("Skip")
    await sender.drain()
    clock.set(STARTS + timedelta(days=7) - timedelta(hours=20))
    await meeting_sweep(sessions, clock)
    await sender.drain()
    assert len(packs(grace.chat_id)) == 2  # the moved meeting gets its own pack
