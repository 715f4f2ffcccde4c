"""Codify from what was piloted (issue #21, item 3): what the teacher already said is
offered back to keep or change, materials are asked, and the whole practice is shown for a
last look before it goes to review."""

from __future__ import annotations

from sqlalchemy import select
from support.people import on_telegram
from support.phone import Phone
from support.story import MONDAY_EVENING, PILOT_WEEKS, identify, typed_pilot_week

from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import FlowRun, GradeBand, Practice, PracticeStatus, Strategy

KEEP_OR_CHANGE = ["Keep", "Change"]


async def _piloted(ama: Phone, clock: FakeClock) -> None:
    """Identify, then the four pilot weeks of the story."""
    await identify(ama)
    for week in range(4):
        clock.set(MONDAY_EVENING[week])
        await typed_pilot_week(ama, week)


async def test_codify_offers_back_what_was_piloted_and_shows_the_practice_before_review(
    ama: Phone, clock: FakeClock, sessions: SessionMaker
) -> None:
    await _piloted(ama, clock)
    await ama.send("/journey")
    texts = await ama.tap("Codify my practice")
    assert "I have filled in what you told me" in texts[0]
    texts = await ama.send("Hinge questions on whiteboards")

    # the practice as described in identify
    assert texts[0] == (
        "Sum it up in one or two sentences: what do students and teacher do, and what "
        "changes?\n\nFrom what you told me:\nMini whiteboards for every student on one hinge "
        "question per lesson.\n\nKeep this, or change it?"
    )
    assert ama.labels() == KEEP_OR_CHANGE
    texts = await ama.tap("Keep")
    # the strategy chosen in identify, then the further ones
    assert "From what you told me:\nEliciting evidence of learning" in texts[0]
    await ama.tap("Keep")
    await ama.tap("Feedback that moves learning forward")
    texts = await ama.tap("Done")
    # subject and level from the profile: not asked twice
    assert "From what you told me:\nMathematics, Science" in texts[0]
    await ama.tap("Keep")
    texts = await ama.tap("Change")  # the level: she chooses it anew
    assert texts[0].startswith("Which stage of schooling is that?")
    assert "Lower secondary" in ama.labels()
    await ama.tap("Upper secondary")
    await ama.tap("Skip")  # the grade in her school's words
    texts = await ama.send("32")

    # each week's doings, evidence and adjustments, one line per week
    assert "\n".join(week[0] for week in PILOT_WEEKS) in texts[0]
    texts = await ama.tap("Keep")
    evidence = texts[0]
    assert "Half wrote their own answer.\nMost answered alone.\n(a photo)\n" in evidence
    assert "and 1 photo of student work" in evidence
    assert "Ratings: 2 → 3 → 4 → 4" in evidence.splitlines()  # a flat trend has no arrow
    await ama.tap("Keep")
    texts = await ama.tap("Keep")  # the challenge, as the conditions
    assert "Ask earlier.\nGive think time.\nRegroup at once.\nKeep it short." in texts[0]
    texts = await ama.send("Write better lessons.")  # typing replaces the lessons at once
    assert texts[0].startswith("What materials does another teacher need")
    await ama.send("Mini whiteboards and markers")
    await ama.tap("My country")
    texts = await ama.tap("Yes")

    # the last look: the practice as readers will see it, once
    look = texts[0]
    assert look.startswith("“Hinge questions on whiteboards”\n")
    for part in (
        "Eliciting evidence of learning · Feedback that moves learning forward",
        "Mathematics, Science · Upper secondary · Ghana",
        "By Ama M., Accra 1",
        "Materials:\nMini whiteboards and markers",
        "Lessons learnt:\nWrite better lessons.",
        "Ratings over the pilot weeks: 2 → 3 → 4 → 4",
    ):
        assert part in look
    assert look.endswith(
        "This is your practice as other teachers will read it. Send it for review, or "
        "change a part?"
    )
    assert ama.labels() == ["Send for review", "Change a part"]

    await ama.tap("Change a part")
    await ama.tap("Name")
    texts = await ama.send("Hinge questions")
    assert texts[0].startswith("“Hinge questions”\n")  # the last look again
    texts = await ama.tap("Send for review")
    assert texts[0].startswith("Thank you! Your practice is with your facilitators")

    async with sessions() as session:
        practice = await session.scalar(select(Practice))
        assert (practice.title, practice.status, practice.strategy) == (
            "Hinge questions",
            PracticeStatus.in_review,
            Strategy.eliciting_evidence,
        )
        assert (practice.subject, practice.grade_band, practice.class_size) == (
            "Mathematics, Science",
            GradeBand.upper_secondary,
            32,
        )
        assert practice.summary == (
            "Mini whiteboards for every student on one hinge question per lesson."
        )
        assert practice.content["steps"] == "\n".join(week[0] for week in PILOT_WEEKS)
        assert practice.content["evidence"] == (
            "Half wrote their own answer.\nMost answered alone.\nTwo thirds right, up from a third."
        )
        assert practice.content["materials"] == "Mini whiteboards and markers"
        assert practice.content["lessons"] == "Write better lessons."
        assert len(practice.content["evidence_photos"]) == 1  # week 3's photo went along
        assert practice.content["ratings"] == [2.0, 3.0, 4.0, 4.0]
        assert "whiteboards and markers" in practice.search_text


async def test_a_codify_run_started_on_version_2_finishes_on_version_2(
    ama: Phone, clock: FakeClock, sessions: SessionMaker
) -> None:
    await _piloted(ama, clock)
    await ama.send("/journey")
    await ama.tap("Codify my practice")
    async with sessions() as session:
        run = await session.scalar(select(FlowRun).where(FlowRun.flow_id == "codify"))
        assert run.flow_version == 3
    # (the run below is made to be on version 2, as runs started before v3 are)
    async with transaction(sessions) as session:
        run = await session.get(FlowRun, run.id)
        run.flow_version = 2
    texts = await ama.send("Hinge questions on whiteboards")
    assert texts[0].startswith("Sum it up in one or two sentences")
    assert "From what you told me" not in texts[0]
    for answer in ("One question mid-lesson.", "Mathematics", "Year 8"):
        await ama.send(answer)
    await ama.tap("Lower secondary")
    await ama.send("32")
    await ama.tap("Skip")
    for answer in ("Plan, ask, regroup.", "Two thirds right.", "Short questions.", "Ask early."):
        await ama.send(answer)
    await ama.tap("My circle")
    texts = await ama.tap("No")
    assert texts[0].startswith("Thank you! Your practice is with your facilitators")
    async with sessions() as session:
        practice = await session.scalar(select(Practice))
        assert (practice.title, practice.grade, practice.content["steps"]) == (
            "Hinge questions on whiteboards",
            "Year 8",
            "Plan, ask, regroup.",
        )


async def test_a_level_given_in_onboarding_version_1_is_offered_as_its_stage(
    ama: Phone, clock: FakeClock, sessions: SessionMaker
) -> None:
    await _piloted(ama, clock)
    async with transaction(sessions) as session:
        person = await on_telegram(session, ama.user.id)
        person.grade_level = "early"  # onboarding v1's "Early childhood"
    await ama.send("/journey")
    await ama.tap("Codify my practice")
    await ama.send("Hinge questions")
    await ama.tap("Keep")  # summary
    await ama.tap("Keep")  # strategy
    await ama.tap("Skip")  # no further strategies
    texts = await ama.tap("Keep")  # subject
    assert texts[0].startswith("Which stage of schooling is that?\n\nFrom what you told me:\n")
    assert "\nEarly years\n" in texts[0]
