"""Help from peers between meetings: a teacher asks her circle, a peer answers, she thanks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from support.places import add_circle
from support.story import MONDAY_EVENING, identify, onboard_facilitator

from circles.db import transaction
from circles.models import PeerAnswer, PeerQuestion, Role
from circles.services.invites import create_invite
from circles.text import quoted, render, t

QUESTION = "How do you keep exit tickets short?"
ANSWER = "One hinge question, one line."


async def _join(teacher, code: str, name: str) -> None:
    """Join with ``code`` and answer onboarding (in any language) with ``name``."""
    await teacher.send(f"/start {code}")
    await teacher.tap_nth(0)  # consent
    [ticked] = [label for label in teacher.labels() if label.startswith("✓")]
    await teacher.tap(ticked)  # the app's language
    await teacher.tap_nth(0)  # the circle's timezone
    await teacher.send(name)
    await teacher.send("Mathematics")
    texts = await teacher.tap_nth(1)  # grade level
    assert name in texts[0]


async def _ask(ama, question: str = QUESTION, named: bool = True) -> list[str]:
    await ama.send("/ask")
    await ama.send(question)
    await ama.tap("With my name" if named else "Without my name")
    return await ama.tap("Yes")


async def test_a_teacher_asks_her_circle_a_peer_answers_and_is_thanked(
    phone, accra, ama, sender, sessions
) -> None:
    kofi = phone("Kofi")
    await _join(kofi, accra.codes[Role.teacher], "Kofi Boateng")
    grace = await onboard_facilitator(phone, accra)

    texts = await ama.send("/ask")
    assert texts[0].startswith("Ask the other teachers of your circle for help.")
    assert "Type it in one message, as text. Send /cancel to stop." in texts[0]
    await ama.send(QUESTION)
    assert ama.labels() == ["With my name", "Without my name"]
    texts = await ama.tap("With my name")
    assert (
        texts[0]
        == f"“{QUESTION}”\nWith your name.\n\nSend it to the other teachers of your circle now?"
    )
    texts = await ama.tap("Yes")
    sent, identify = texts[0].split("\n\n", 1)
    assert sent == "Sent to 1 teacher of your circle. Their answers will come here."
    assert identify.startswith("What challenge do you see")  # her identify question is back

    await sender.drain()
    question = kofi.messages()[-1]
    assert question["text"] == f"Ama, a teacher of your circle, asks for help:\n“{QUESTION}”"
    assert kofi.labels(question) == ["Answer", "Stop these questions"]
    answer_data = kofi.button_data("Answer", question)
    assert not any(QUESTION in text for text in grace.everything_shown())

    texts = await kofi.tap("Answer", question)
    assert texts[0].startswith(f"Ama, a teacher of your circle, asks for help:\n“{QUESTION}”")
    assert "Type your answer in one message" in texts[0]
    texts = await kofi.send(ANSWER)
    assert texts[0].startswith("Sent to the teacher who asked. Thank you for helping!\n\n")
    await kofi.tap_data(question, answer_data)
    assert kofi.last_notice() == "You have already answered this question."

    await sender.drain()
    answer = ama.messages()[-1]
    assert answer["text"] == f"Kofi answered your question “{QUESTION}”:\n“{ANSWER}”"
    assert ama.labels(answer) == ["Thank"]
    thank = ama.button_data("Thank", answer)
    assert await ama.tap("Thank", answer) == ["Kofi will get your thanks."]
    await ama.tap_data(answer, thank)
    assert ama.last_notice() == "You have already thanked them."

    await sender.drain()
    assert kofi.messages()[-1]["text"] == f"Ama thanks you for your answer to “{QUESTION}”."
    async with sessions() as session:
        stored = await session.scalar(select(PeerAnswer))
    assert (stored.text, stored.thanked_at is not None) == (ANSWER, True)


async def test_nobody_outside_the_circle_answers_or_thanks(
    phone, accra, ama, sender, sessions, clock
) -> None:
    kofi = phone("Kofi")
    await _join(kofi, accra.codes[Role.teacher], "Kofi Boateng")
    async with transaction(sessions) as session:
        kumasi = await add_circle(session, "Kumasi 1", now=clock.now())
        code = (
            await create_invite(session, circle=kumasi, role=Role.teacher, now=clock.now())
        ).code
    abena = phone("Abena")
    await _join(abena, code, "Abena Owusu")
    await _ask(ama)
    await sender.drain()
    question = kofi.messages()[-1]
    data = kofi.button_data("Answer", question)
    for outsider in (abena, ama):  # another circle's teacher, and the asker herself
        assert await outsider.tap_data(question, data) == []
        assert outsider.last_notice() == "This question is no longer open to you."
    await kofi.tap("Answer", question)
    await kofi.send(ANSWER)
    await sender.drain()
    answer = ama.messages()[-1]
    for stranger in (kofi, abena):
        await stranger.tap_data(answer, ama.button_data("Thank", answer))
        assert stranger.last_notice() == "This answer is no longer there."
    assert not any(QUESTION in text for text in abena.everything_shown())


async def test_quiet_hours_pauses_and_stopped_questions_are_respected(
    phone, accra, ama, sender, clock
) -> None:
    kofi, efua, yaw = phone("Kofi"), phone("Efua"), phone("Yaw")
    for teacher, name in ((kofi, "Kofi B."), (efua, "Efua A."), (yaw, "Yaw D.")):
        await _join(teacher, accra.codes[Role.teacher], name)
    await efua.send("/pause")
    await efua.tap("7 days")
    texts = await yaw.send("/peers")
    assert texts == ["You receive the questions other teachers of your circle ask."]
    await yaw.tap("Stop these questions")
    assert yaw.labels() == ["Receive them again"]

    clock.set(datetime(2026, 9, 7, 22, 0, tzinfo=UTC))  # 22:00 in Accra: quiet hours
    texts = await _ask(ama, named=False)
    assert (
        texts[0].split("\n\n")[0]
        == "Sent to 1 teacher of your circle. Their answers will come here."
    )
    await sender.drain()
    assert not any(QUESTION in text for text in kofi.everything_shown())
    clock.set(datetime(2026, 9, 8, 7, 0, tzinfo=UTC))
    await sender.drain()
    assert kofi.messages()[-1]["text"] == (
        f"A teacher of your circle asks for help (without their name):\n“{QUESTION}”"
    )
    for quiet in (efua, yaw):
        assert not any(QUESTION in text for text in quiet.everything_shown())

    await kofi.tap("Answer", kofi.messages()[-1])
    await kofi.send(ANSWER)
    await ama.tap("Thank", (await sender.drain(), ama.messages()[-1])[1])
    await sender.drain()
    assert kofi.messages()[-1]["text"] == (
        f"The teacher who asked “{QUESTION}” thanks you for your answer."
    )

    await yaw.tap("Receive them again", yaw.last_with_buttons())
    await efua.send("/resume")
    texts = await _ask(ama, "And the marking?")
    assert (
        texts[0].split("\n\n")[0]
        == "Sent to 3 teachers of your circle. Their answers will come here."
    )


async def test_a_french_teacher_reads_the_question_in_her_language_as_it_was_written(
    phone, accra, ama, sender
) -> None:
    marie = phone("Marie", language_code="fr")
    await _join(marie, accra.codes[Role.teacher], "Marie Kouassi")
    await _ask(ama)
    await sender.drain()
    question = marie.messages()[-1]
    head = render(t("{name}, a teacher of your circle, asks for help:", name="Ama"), "fr")
    assert question["text"] == head + "\n" + render(quoted(QUESTION), "fr")
    assert QUESTION in question["text"]  # her words, untranslated
    assert marie.labels(question) == [
        render(t("Answer"), "fr"),
        render(t("Stop these questions"), "fr"),
    ]
    await marie.tap_nth(0, question)
    texts = await marie.send("Une seule question, une ligne.")
    thanks = render(t("Sent to the teacher who asked. Thank you for helping!"), "fr")
    assert texts[0].startswith(thanks + "\n\n")
    await sender.drain()
    assert ama.messages()[-1]["text"].endswith("“Une seule question, une ligne.”")


async def test_a_question_is_text_and_not_too_long_and_only_teachers_ask(
    phone, accra, ama, sessions
) -> None:
    await ama.send("/ask")
    texts = await ama.photo()
    assert texts[0].startswith("Please answer with text.\n\nWhat would you like to ask?")
    texts = await ama.send("x" * 2001)
    assert texts[0].startswith("Your answer has 2,001 characters; the limit is 2,000.")
    await ama.send(QUESTION)
    await ama.tap("With my name")
    texts = await ama.tap("No")
    assert texts[0].startswith("Not sent. Send /ask when you want to ask your circle.")
    async with sessions() as session:
        assert await session.scalar(select(PeerQuestion)) is None
    grace = await onboard_facilitator(phone, accra)
    assert await grace.send("/ask") == ["Asking your circle is for the teachers of a circle."]


async def test_the_pilot_check_ins_call_for_help_can_go_to_the_circle(
    phone, accra, ama, sender, clock
) -> None:
    kofi = phone("Kofi")
    await _join(kofi, accra.codes[Role.teacher], "Kofi Boateng")
    await identify(ama)
    clock.set(MONDAY_EVENING[0])
    await ama.send("/checkin")
    await ama.tap("Yes")
    await ama.send("Used the whiteboards in three lessons.")
    await ama.send("Most wrote their own answer.")
    await ama.tap("3")
    await ama.send("Ask the hinge question earlier.")
    help_wanted = "How do I get the quiet ones to show their boards?"
    texts = await ama.send(help_wanted)
    assert texts[-1].endswith(
        "Would you like to ask the other teachers of your circle about what you could use "
        "help with? It goes to them only if you say so."
    )
    assert ama.labels() == ["Ask my circle"]
    offer, data = ama.last_with_buttons(), ama.button_data("Ask my circle")
    assert await kofi.tap_data(offer, data) == []  # not his check-in
    assert kofi.last_notice() == "This question is already closed."
    texts = await ama.tap("Ask my circle")
    assert f"“{help_wanted}”" in texts[0]
    assert ama.labels() == ["Keep", "Change"]
    await ama.tap("Keep")
    await ama.tap("Without my name")
    await ama.tap("Yes")
    await sender.drain()
    assert kofi.messages()[-1]["text"] == (
        f"A teacher of your circle asks for help (without their name):\n“{help_wanted}”"
    )


async def test_three_questions_a_day_and_the_fourth_waits_for_tomorrow(
    phone, accra, ama, clock, sessions
) -> None:
    kofi = phone("Kofi")
    await _join(kofi, accra.codes[Role.teacher], "Kofi Boateng")
    for n in range(3):
        texts = await _ask(ama, f"{QUESTION} ({n + 1})")
        assert texts[0].startswith("Sent to 1 teacher of your circle.")
    refused = await ama.send("/ask")
    assert refused == [
        "You have asked your circle 3 questions in the last 24 hours. Please give them time "
        "to answer, and ask again tomorrow."
    ]
    async with sessions() as session:
        assert len((await session.scalars(select(PeerQuestion))).all()) == 3
    clock.advance(timedelta(hours=24, minutes=1))
    texts = await _ask(ama, f"{QUESTION} (4)")
    assert texts[0].startswith("Sent to 1 teacher of your circle.")
