"""Member commands: journey, skip, pause and resume, language, timezone, cancel, groups."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from support.people import on_telegram
from support.phone import Phone
from support.story import MONDAY_EVENING, identify, pilot_week
from telegram import Update

from circles.clock import FakeClock
from circles.db import transaction
from circles.models import Channel, CheckIn, CheckInStatus, Identity, Person, Role


async def _person(sessions, phone: Phone) -> Person:
    async with sessions() as session:
        return await on_telegram(session, phone.user.id)


async def test_journey_shows_phase_practice_weeks_and_trend(ama: Phone, clock: FakeClock) -> None:
    await identify(ama)
    for week, rating in zip(MONDAY_EVENING[:2], ("2", "4"), strict=True):
        clock.set(week)
        await pilot_week(ama, rating)
    [text] = await ama.send("/journey")
    assert text.splitlines() == [
        "Your journey",
        "Phase: pilot",
        "Practice: Mini whiteboards for every student on one hinge question per lesson.",
        "Pilot weeks: 2",
        "Ratings: 2 → 4 ↗",
    ]
    assert ama.labels() == ["Codify my practice"]


async def test_checkin_twice_in_one_week_says_when_the_next_opens(ama: Phone, clock) -> None:
    await identify(ama)
    clock.set(MONDAY_EVENING[0])
    await pilot_week(ama, "3")
    texts = await ama.send("/checkin")
    assert texts == [
        "You have already checked in this week. Your next check-in opens on "
        "Mon, Sep 14, 2026, 4:00\u202fPM."
    ]


async def test_skip_this_week_with_a_reason(ama: Phone, clock, sessions) -> None:
    await identify(ama)
    clock.set(MONDAY_EVENING[0])
    texts = await ama.send("/skip")
    assert texts[0].startswith("Why are you skipping this week?")
    texts = await ama.send("School trip all week")
    assert texts == ["This week is skipped. I will ask you again next week."]
    async with sessions() as session:
        checkin = await session.scalar(select(CheckIn))
    assert (checkin.status, checkin.skip_reason) == (CheckInStatus.skipped, "School trip all week")
    assert (await ama.send("/skip"))[0].startswith("This week's check-in is already answered")


async def test_skip_without_a_reason_has_no_skip_button_to_skip_the_skip(
    ama: Phone, clock, sessions
) -> None:
    await identify(ama)
    clock.set(MONDAY_EVENING[0])
    texts = await ama.send("/skip")
    assert "If you would rather not say, tap “No reason”." in texts[0]
    assert ama.labels() == ["No reason"]
    texts = await ama.tap("No reason")
    assert texts == ["This week is skipped. I will ask you again next week."]
    async with sessions() as session:
        checkin = await session.scalar(select(CheckIn))
    assert (checkin.status, checkin.skip_reason) == (CheckInStatus.skipped, None)


async def test_pause_and_resume(ama: Phone, clock: FakeClock, sessions) -> None:
    texts = await ama.send("/pause")
    assert texts == ["For how long should I pause your check-ins and reminders?"]
    assert ama.labels() == ["7 days", "14 days", "28 days", "Until I send /resume"]
    texts = await ama.tap("14 days")
    assert texts == [
        "Paused until Mon, Sep 21, 2026, 8:00\u202fAM. Send /resume to come back earlier."
    ]
    assert (await _person(sessions, ama)).paused_until == clock.now() + timedelta(days=14)
    texts = await ama.send("/resume")
    assert texts[0].startswith("Welcome back!")
    assert (await _person(sessions, ama)).paused_until is None
    assert await ama.send("/resume") == ["Your check-ins are not paused."]


async def test_changing_timezone_mid_checkin_then_continuing(ama: Phone, sessions) -> None:
    await ama.send("Students copy answers.")  # identify's first answer
    texts = await ama.send("/timezone")
    assert "\n\nWhich timezone are you in?" in texts[0]
    texts = await ama.send("Europe/Zurich")
    done, question = texts[0].split("\n\n", 1)
    assert done == "Europe/Zurich, now 10:00\u202fAM. I will remind you at this local time."
    assert question.startswith("Which students does it affect?")  # back where we were
    assert (await _person(sessions, ama)).timezone == "Europe/Zurich"


async def test_timezone_shows_the_zone_in_use_and_confirms_a_typed_city(
    ama: Phone, sessions
) -> None:
    await ama.send("/cancel")
    texts = await ama.send("/timezone")
    assert texts[0].startswith(
        "Your timezone now: Africa/Accra, where it is 8:00\u202fAM.\n\nWhich timezone are you in?"
    )
    texts = await ama.send("Accra")
    assert texts == ["Africa/Accra, now 8:00\u202fAM. I will remind you at this local time."]
    await ama.send("/language")
    await ama.tap("Français")
    texts = await ama.send("/timezone")
    texts = await ama.send("zurich")  # in the reader's locale: 24-hour time
    assert texts[0].startswith("Europe/Zurich") and "10:00" in texts[0]
    assert (await _person(sessions, ama)).timezone == "Europe/Zurich"


async def test_timezone_buttons_offer_the_zone_of_the_whatsapp_numbers_country(
    ama: Phone, sessions
) -> None:
    async with transaction(sessions) as session:
        person = await on_telegram(session, ama.user.id)
        session.add(Identity(person_id=person.id, channel=Channel.whatsapp, address="41791234567"))
    await ama.send("/cancel")
    await ama.send("/timezone")
    # the circle's (Ghana has one zone), then the one of the number's country (+41)
    assert ama.labels() == ["Africa/Accra", "Europe/Zurich"]


async def test_language_command_offers_every_language(ama: Phone, sessions) -> None:
    await ama.send("/language")
    assert ama.labels() == [
        "✓ English",
        "Français",
        "Português (Brasil)",
        "Español",
        "한국어",
        "Bahasa Melayu",
        "Deutsch",
        "Italiano",
    ]
    await ama.tap("Deutsch")
    assert (await _person(sessions, ama)).language == "de"


async def test_cancel_keeps_answers_and_checkin_resumes(ama: Phone) -> None:
    await ama.send("Students copy answers.")
    texts = await ama.send("/cancel")
    assert texts == ["Stopped. Your answers so far are saved; send /checkin to finish later."]
    texts = await ama.send("/checkin")
    assert texts[0].startswith("Let's continue where you stopped.\n\nWhich students does it")
    assert await ama.send("/cancel") and await ama.send("/cancel") == [
        "There is nothing to cancel."
    ]


async def test_member_commands_in_a_group_point_to_a_private_chat(ama: Phone, fake) -> None:
    group = fake.group_chat(-100300, "Accra 1 circle")
    for text in ("/checkin", "/mydata", "Here is my answer"):
        update = fake.user_message(ama.user, text, chat=group, enqueue=False)
        await ama.app.process_update(Update.de_json(update, ama.app.bot))
    replies = fake.texts_to(-100300)
    assert len(replies) == 2  # the plain message is not answered in the group
    assert all("private chat" in reply for reply in replies)


async def test_facilitators_get_no_checkins(phone, accra) -> None:
    grace = phone("Grace")
    await grace.send(f"/start {accra.codes[Role.facilitator]}")
    await grace.tap("I agree")
    await grace.tap("✓ English")
    await grace.tap("Africa/Accra")
    await grace.send("Grace O.")
    await grace.send("Mathematics")
    texts = await grace.tap("Primary")
    assert texts == ["You are all set, Grace O.! Send /help to see what you can do."]
    texts = await grace.send("/checkin")
    assert texts == [
        "Check-ins are for the teachers of a circle. Send /help to see what you can do."
    ]


async def test_declining_consent_stores_nothing_but_the_refusal(phone, accra, sessions) -> None:
    ama = phone("Ama")
    await ama.send(f"/start {accra.codes[Role.teacher]}")
    texts = await ama.tap("No, thank you")
    assert texts[0].startswith("Understood. I keep nothing about you except that you declined.")
    person = await _person(sessions, ama)
    assert person.consent.value == "refused"
    assert person.display_name is None
    async with sessions() as session:
        from circles.models import Answer

        assert (await session.scalars(select(Answer))).all() == []
    texts = await ama.send("/checkin")
    assert texts[0].startswith("You have not agreed to let me store your answers")
    texts = await ama.send("/start")  # changing their mind
    assert texts[0].startswith("Before we start: your answers are personal data.")
