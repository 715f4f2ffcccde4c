"""Bad input gets a clear answer and the question again; nothing half-saved."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from support.phone import Phone
from support.story import MONDAY_EVENING, identify, pilot_week

from circles.clock import FakeClock
from circles.db import SessionMaker
from circles.models import Answer, Channel, Identity

CHALLENGE = "What challenge do you see in your classroom?"


async def _answers(sessions: SessionMaker, phone: Phone) -> int:
    async with sessions() as session:
        return await session.scalar(
            select(func.count())
            .select_from(Answer)
            .join(Identity, Identity.person_id == Answer.person_id)
            .where(Identity.channel == Channel.telegram, Identity.address == str(phone.user.id))
        )


async def test_a_sticker_where_text_is_expected_is_explained(ama: Phone, sessions) -> None:
    before = await _answers(sessions, ama)
    texts = await ama.sticker()
    explanation, question = texts[0].split("\n\n", 1)  # one message: the why, then the question
    assert explanation == "Please answer with text or a voice note."
    assert question.startswith(CHALLENGE)
    assert await _answers(sessions, ama) == before


async def test_location_and_contact_where_text_is_expected(ama: Phone) -> None:
    await ama.send("Students copy answers.")
    assert (await ama.location())[0].startswith("Please answer with a few words of text.\n\n")
    assert (await ama.contact())[0].startswith("Please answer with a few words of text.\n\n")


async def test_a_5000_character_essay_is_refused_whole(ama: Phone, sessions) -> None:
    before = await _answers(sessions, ama)
    texts = await ama.send("x" * 5000)
    explanation, question = texts[0].split("\n\n", 1)
    assert explanation == (
        "Your answer has 5,000 characters; the limit is 2,000. Please shorten it and send it again."
    )
    assert question.startswith(CHALLENGE)
    assert await _answers(sessions, ama) == before
    texts = await ama.send("y" * 2000)  # exactly the limit is fine
    assert texts[0].startswith("Which students does it affect?")


async def test_a_voice_note_where_a_choice_is_expected(ama: Phone) -> None:
    await ama.send("Students copy answers.")
    await ama.send("A third of the class")
    await ama.send("Exit tickets")
    await ama.send("They copy from a neighbour.")
    await ama.send("Each writes their own answer.")
    texts = await ama.voice()
    assert texts[0].startswith("Please choose one of the buttons below.\n\n")
    assert ama.labels()[0] == "Learning intentions and success criteria"
    texts = await ama.send("peer assessment")  # typing a label works too
    assert texts[0].startswith("Describe the practice")


async def test_a_number_out_of_range(ama: Phone, clock: FakeClock) -> None:
    await identify(ama)
    clock.set(MONDAY_EVENING[0])
    await ama.send("/checkin")
    await ama.tap("Yes")
    await ama.send("Whiteboards")
    await ama.send("Most got it")
    texts = await ama.send("7")
    assert texts[0].startswith("Please choose one of the buttons below.\n\nYour starting point")
    assert "\n\nHow well did it work?" in texts[0]
    assert ama.labels() == ["1", "2", "3", "4", "5"]
    texts = await ama.send("4")
    assert texts[0].startswith("What will you adjust next time?")


async def test_class_size_must_be_a_number_in_range(ama: Phone, clock: FakeClock) -> None:
    await identify(ama)
    clock.set(MONDAY_EVENING[0])
    await pilot_week(ama, "3")  # codifying is offered once the practice was tried
    for week in MONDAY_EVENING[1:3]:
        clock.set(week)
        await ama.send("/checkin")
        await ama.tap("No")
        await ama.send("Exams")
    await ama.send("/journey")
    await ama.tap("Codify my practice")
    await ama.send("Hinge questions")
    await ama.tap("Keep")  # the practice as described
    await ama.tap("Keep")  # the strategy
    assert (await ama.tap("Done")) == []
    assert ama.last_notice() == "Please choose at least one."
    await ama.tap("Skip")
    await ama.tap("Keep")  # the subject
    # a voice note where the level is offered back: explained, the same question again
    texts = await ama.voice()
    assert texts[0].startswith("Please choose one of the buttons below.\n\nWhich stage")
    assert ama.labels() == ["Keep", "Change"]
    await ama.tap("Keep")
    await ama.send("Year 8")
    again = "Please send a number from 1 to 200.\n\nHow many"
    assert (await ama.send("five hundred"))[0].startswith(again)
    assert (await ama.send("500"))[0].startswith(again)
    assert (await ama.sticker())[0].startswith("Please send a number.\n\nHow many")
    assert (await ama.send("32"))[0].startswith("What are the steps")


async def test_unknown_command(ama: Phone) -> None:
    texts = await ama.send("/dance")
    assert texts == ["I do not know the command /dance. Send /help to see what you can do."]


async def test_a_message_while_no_question_is_open(ama: Phone) -> None:
    await ama.send("/cancel")
    texts = await ama.send("hello?")
    assert texts == [
        "There is no open question right now. Send /checkin to open your "
        "check-in, or /help to see what you can do."
    ]


async def test_someone_who_never_joined_is_told_how(phone) -> None:
    texts = await phone().send("hello")
    assert "You are not in a circle yet" in texts[0]


async def test_too_long_name_is_refused(phone, accra) -> None:
    from circles.models import Role

    ama = phone()
    await ama.send(f"/start {accra.codes[Role.teacher]}")
    await ama.tap("I agree")
    await ama.tap("✓ English")
    await ama.tap("Africa/Accra")
    texts = await ama.send("N" * 61)
    assert texts[0].startswith("Please keep it to 60 characters or fewer.\n\nWhat name")


async def test_unknown_timezone_is_explained(phone, accra) -> None:
    from circles.models import Role

    ama = phone()
    await ama.send(f"/start {accra.codes[Role.teacher]}")
    await ama.tap("I agree")
    await ama.tap("✓ English")
    texts = await ama.send("Atlantis/Capital")
    assert texts[0].startswith("I do not know the timezone Atlantis/Capital.")
    texts = await ama.send("lagos")  # a city name is enough
    assert texts[0].startswith("What name should your circle see?")


async def test_a_checkin_left_half_way_continues_later(ama: Phone, clock: FakeClock) -> None:
    await identify(ama)
    clock.set(MONDAY_EVENING[0])
    await ama.send("/checkin")
    await ama.tap("Partly")
    clock.advance(timedelta(days=2))
    texts = await ama.send("/checkin")
    assert texts[0].startswith("Let's continue where you stopped.\n\nWhat did you do?")
