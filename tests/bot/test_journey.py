"""A teacher's year in one story: join, consent, identify, three pilot weeks, codify, reflect."""

from __future__ import annotations

from sqlalchemy import func, select
from support.people import on_telegram
from support.story import MONDAY_EVENING, identify, pilot_week

from bot.flows import reflections
from bot.handlers.telegram.render import send_events
from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import (
    Answer,
    CheckIn,
    CheckInStatus,
    Consent,
    GradeBand,
    Inquiry,
    Phase,
    Practice,
    PracticeStatus,
    Reflection,
    Role,
    ShareScope,
    Strategy,
    Visibility,
)


async def test_teacher_walks_identify_pilot_codify_and_reflects(
    phone, accra, sessions: SessionMaker, clock: FakeClock, app
) -> None:
    ama = phone("Ama")
    ama.user.last_name = "Mensah"
    texts = await ama.send(f"/start {accra.codes[Role.teacher]}")
    assert texts[0].startswith("Welcome to Accra 1!")
    await ama.tap("I agree")
    await ama.tap("✓ English")
    await ama.tap("Africa/Accra")
    await ama.send("Ama M.")
    await ama.send("Mathematics, Science")
    texts = await ama.tap("Lower secondary")
    # The outro, the next flow's introduction and its first question: one message.
    done, intro, question = texts[0].split("\n\n", 2)
    assert done == "You are all set, Ama M.!"
    assert intro.startswith("Let's find the classroom challenge")
    assert question.startswith("What challenge do you see in your classroom?")
    await identify(ama)

    trends = []
    for week, rating in zip(MONDAY_EVENING[:3], ("2", "3", "4"), strict=True):
        clock.set(week)
        trends.append(await pilot_week(ama, rating))
    assert trends[0] == ["Thank you, your check-in is saved.\n\nYour ratings so far: 2"]
    saved, ratings, offer = trends[2][0].split("\n\n", 2)
    assert saved == "Thank you, your check-in is saved."
    assert ratings == "Your ratings so far: 2 → 3 → 4 ↗"
    assert "You have piloted your practice 3 times" in offer
    assert ama.labels() == ["Codify my practice", "Keep piloting"]

    texts = await ama.tap("Codify my practice")
    assert texts[0].startswith("Let's write your practice down")
    await ama.send("Hinge questions on whiteboards")
    await ama.send("One question mid-lesson shows who has understood; regroup at once.")
    await ama.tap("Keep")  # the strategy chosen in identify
    await ama.tap("Feedback that moves learning forward")
    assert "✓ Feedback that moves learning forward" in ama.labels()
    await ama.tap("Done")
    await ama.send("Mathematics")  # typed where the profile's subjects are offered back
    await ama.tap("Keep")  # the level from the profile
    await ama.send("Year 8")
    await ama.send("32")
    await ama.send("1. Plan one hinge question. 2. Everyone answers. 3. Regroup.")
    # the pilot weeks' evidence was voice notes: asked, not offered back
    await ama.send("Two thirds answered correctly by week 3, up from one third.")
    await ama.send("Needs whiteboards and markers; keep the question short.")
    await ama.send("Ask early; the students enjoy it.")
    await ama.send("Mini whiteboards, markers")
    await ama.tap("My country")
    await ama.tap("Yes")
    texts = await ama.tap("Send for review")
    assert texts[0].startswith("Thank you! Your practice is with your facilitators")

    async with transaction(sessions) as session:
        person = await on_telegram(session, ama.user.id)
        replies = await reflections.start_reflection(
            session, person=person, circle_id=accra.circle_id, meeting_id=None, now=clock.now()
        )
    await send_events(app.bot, ama.chat_id, replies, person.language)
    await ama.send("Hinge questions show misconceptions fast.")
    await ama.send("I will regroup students the next day.")
    await ama.send("Energising")
    texts = await ama.tap("My whole circle")
    assert texts == ["Thank you for reflecting."]

    async with sessions() as session:
        person = await on_telegram(session, ama.user.id)
        assert (
            person.consent,
            person.language,
            person.timezone,
            person.display_name,
            person.subjects,
            person.grade_level,
        ) == (
            Consent.given,
            "en",
            "Africa/Accra",
            "Ama M.",
            "Mathematics, Science",
            "lower_secondary",
        )
        inquiry = await session.scalar(select(Inquiry).where(Inquiry.person_id == person.id))
        assert (inquiry.phase, inquiry.strategy) == (Phase.done, Strategy.eliciting_evidence)
        checkins = list(
            await session.scalars(
                select(CheckIn)
                .where(CheckIn.person_id == person.id)
                .order_by(CheckIn.scheduled_for)
            )
        )
        assert [(c.status, c.iteration) for c in checkins] == [
            (CheckInStatus.answered, 1),
            (CheckInStatus.answered, 2),
            (CheckInStatus.answered, 3),
        ]
        evidence = await session.scalar(
            select(Answer).where(
                Answer.person_id == person.id,
                Answer.flow_id == "identify",
                Answer.question_key == "evidence",
            )
        )
        assert evidence.kind.value == "photo" and evidence.value_text == "Exit tickets from Tuesday"
        voices = list(
            await session.scalars(
                select(Answer).where(Answer.person_id == person.id, Answer.kind == "voice")
            )
        )
        assert len(voices) == 3 and {v.file_duration for v in voices} == {25}
        practice = await session.scalar(select(Practice))
        assert (
            practice.status,
            practice.share_scope,
            practice.author_visible,
            practice.title,
            practice.class_size,
        ) == (
            PracticeStatus.in_review,
            ShareScope.country,
            True,
            "Hinge questions on whiteboards",
            32,
        )
        assert practice.content["ratings"] == [2.0, 3.0, 4.0]
        assert practice.grade_band is GradeBand.lower_secondary
        assert practice.tags == ["eliciting_evidence", "feedback"]
        assert practice.summary.startswith("One question mid-lesson")
        assert "Regroup" in practice.search_text and "Mathematics" in practice.search_text
        reflection = await session.scalar(select(Reflection))
        assert (reflection.visibility, reflection.one_word) == (Visibility.circle, "Energising")
        answered = await session.scalar(
            select(func.count()).select_from(Answer).where(Answer.person_id == person.id)
        )
        # onboarding, identify (v2), three pilot weeks (help skipped), codify (v3), reflection
        assert answered == 6 + 8 + 3 * 5 + 16 + 4
