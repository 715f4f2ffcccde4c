"""Buttons pressed twice, old buttons, edits, and a restart in the middle of a check-in."""

from __future__ import annotations

from sqlalchemy import select
from support.fakebotapi import FakeBotApi
from support.phone import Phone
from support.story import MONDAY_EVENING, identify

from bot.handlers.telegram.app import build_application
from circles.clock import FakeClock
from circles.db import SessionMaker
from circles.models import Answer, Channel, CheckIn, CheckInStatus, Identity

CLOSED = "This question is already closed."


async def _answer(sessions: SessionMaker, phone: Phone, key: str) -> list[Answer]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Answer)
            .join(Identity, Identity.person_id == Answer.person_id)
            .where(
                Identity.channel == Channel.telegram,
                Identity.address == str(phone.user.id),
                Answer.question_key == key,
            )
            .order_by(Answer.id)
        )
        return list(rows)


async def _start_pilot(ama: Phone, clock: FakeClock, week: int = 0) -> None:
    clock.set(MONDAY_EVENING[week])
    await ama.send("/checkin")


async def test_a_button_pressed_twice_counts_once(ama: Phone, clock, sessions) -> None:
    await identify(ama)
    await _start_pilot(ama, clock)
    question = ama.last_with_buttons()
    data = ama.button_data("Yes", question)
    first = await ama.tap_data(question, data)
    assert first[0].startswith("What did you do?")
    again = await ama.tap_data(question, data)
    assert again == []
    assert ama.last_notice() == CLOSED
    assert [a.value_choice for a in await _answer(sessions, ama, "tried")] == ["yes"]


async def test_the_chosen_answer_is_shown_under_the_question(ama: Phone, clock) -> None:
    await identify(ama)
    await _start_pilot(ama, clock)
    question = ama.last_with_buttons()
    await ama.tap("Partly", question)
    shown = next(m for m in ama.messages() if m["message_id"] == question["message_id"])
    assert shown["text"].endswith("→ Partly")
    assert not ama.fake.buttons(shown)


async def test_an_old_button_from_last_week_changes_nothing(ama: Phone, clock, sessions) -> None:
    await identify(ama)
    await _start_pilot(ama, clock, week=0)
    last_week = ama.last_with_buttons()
    old_no = ama.button_data("No", last_week)
    await ama.tap("Yes", last_week)
    await ama.send("Whiteboards")
    await ama.send("Most got it")
    await ama.tap("3")
    await ama.send("Earlier")
    await ama.tap("Skip")
    await _start_pilot(ama, clock, week=1)
    assert await ama.tap_data(last_week, old_no) == []
    assert ama.last_notice() == CLOSED
    tried = await _answer(sessions, ama, "tried")
    assert [a.value_choice for a in tried] == ["yes"]  # week two's question is still open
    assert (await ama.tap("No"))[0].startswith("What got in the way?")


async def test_teacher_finishes_pilot_week_after_restart(
    ama: Phone, clock: FakeClock, sessions, fake: FakeBotApi, app, limits
) -> None:
    await identify(ama)
    await _start_pilot(ama, clock)
    await ama.tap("Yes")
    await ama.send("Used whiteboards.")
    await app.shutdown()  # the process stops mid-check-in …

    restarted = build_application(app.bot_data.settings, sessions, clock, limits)
    await restarted.initialize()
    try:
        phone = Phone(fake, restarted, ama.user)
        texts = await phone.send("Two thirds got the hinge question right.")
        assert texts[0].startswith("Your starting point:")  # the baseline, recalled
        assert "\n\nHow well did it work?" in texts[0]
        await phone.tap("4")
        await phone.send("Ask earlier.")
        texts = await phone.tap("Skip")
        assert texts[0].startswith("Thank you, your check-in is saved.\n\n")
        assert texts[0].endswith("ratings so far: 4")
    finally:
        await restarted.shutdown()
        await app.initialize()  # the fixture shuts it down again
    async with sessions() as session:
        checkin = await session.scalar(select(CheckIn))
        assert checkin.status is CheckInStatus.answered
    assert [a.value_text for a in await _answer(sessions, ama, "what_did")] == ["Used whiteboards."]


async def test_editing_a_message_updates_its_answer_while_open(ama: Phone, clock, sessions) -> None:
    await identify(ama)
    await _start_pilot(ama, clock)
    await ama.tap("Yes")
    await ama.send("Used whiteboards.")
    sent = ama.fake.history(ama.chat_id)
    mine = [m for m in sent if m.get("from", {}).get("id") == ama.user.id]
    texts = await ama.deliver(
        ama.fake.user_edit(ama.user, mine[-1], "Used mini whiteboards.", enqueue=False)
    )
    assert texts == ["Your answer is updated."]
    assert [a.value_text for a in await _answer(sessions, ama, "what_did")] == [
        "Used mini whiteboards."
    ]

    clock.set(MONDAY_EVENING[1])  # a week later the check-in is closed
    texts = await ama.deliver(
        ama.fake.user_edit(ama.user, mine[-1], "Changed my mind", enqueue=False)
    )
    assert texts == ["This check-in is closed, so your edit was not saved."]
    assert [a.value_text for a in await _answer(sessions, ama, "what_did")] == [
        "Used mini whiteboards."
    ]


async def test_edit_command_changes_an_answer_of_the_open_checkin(ama: Phone, clock, sessions):
    await identify(ama)
    await _start_pilot(ama, clock)
    await ama.tap("Yes")
    await ama.send("Whiteboards")
    await ama.send("Most got it")
    await ama.tap("2")
    await ama.send("Earlier")
    await ama.tap("Skip")
    texts = await ama.send("/edit")
    assert texts == ["Which answer do you want to change?"]
    assert "How well did it work? (1 = not at all, 5 = very well)" in ama.labels()
    await ama.tap("How well did it work? (1 = not at all, 5 = very well)")
    texts = await ama.tap("3")
    assert texts == ["Your answer is updated."]
    assert [a.value_number for a in await _answer(sessions, ama, "how_well")] == [3.0]
    clock.set(MONDAY_EVENING[1])
    assert await ama.send("/edit") == ["There is no open check-in with answers to change."]
