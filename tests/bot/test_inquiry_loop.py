"""The inquiry loop closes: identify sets a baseline and what success looks like, each pilot
week builds on the last, and revising a practice loses nothing (issue #21, items 1, 2, 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from support.people import on_telegram
from support.phone import Phone
from support.story import BASELINE, MONDAY_EVENING, SUCCESS, identify, pilot_week

from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import (
    CheckIn,
    FlowRun,
    Inquiry,
    Phase,
    Practice,
    PracticeStatus,
    Role,
    ShareScope,
    Strategy,
    TokenRole,
)
from circles.services import reviews, summaries
from circles.services.access import Scope
from circles.text import render, t
from scheduler.jobs import checkin_sweep

OPENS = datetime(2026, 9, 7, 16, 0, tzinfo=UTC)  # Monday 16:00 in Accra
TRIED = "Did you try your practice this week?"


def fr(msgid: str) -> str:
    """A message of the flows as a French reader sees it."""
    return render(t(msgid), "fr")


async def _inquiry(sessions: SessionMaker, phone: Phone) -> Inquiry:
    async with sessions() as session:
        person = await on_telegram(session, phone.user.id)
        return await session.scalar(select(Inquiry).where(Inquiry.person_id == person.id))


# --- 1. identify: the baseline, what success looks like, what the strategies mean -----------


async def test_identify_asks_the_baseline_and_success_and_explains_the_strategies(
    ama: Phone, sessions: SessionMaker
) -> None:
    await ama.send("Many students copy answers without checking if they understood.")
    await ama.send("About a third of my Year 8 class")
    texts = await ama.photo(caption="Exit tickets from Tuesday")
    assert texts[0].startswith("What do your students do now?")
    texts = await ama.photo(caption="Tuesday's copied answers")  # the baseline may be a photo
    assert texts[0].startswith("What will you see in students' work when the practice works?")
    texts = await ama.send(SUCCESS)
    assert texts[0] == "Which formative assessment strategy could address it?"
    assert ama.labels()[-1] == "What do these mean?"

    texts = await ama.tap("What do these mean?")
    meanings, question = texts[0].rsplit("\n\n", 1)  # one message: meanings, then the question
    assert meanings.split("\n\n") == [
        "Learning intentions and success criteria: students know what they are learning "
        "and what good work looks like.",
        "Eliciting evidence of learning: questions and tasks that show you what every "
        "student understands, so you can adapt your teaching.",
        "Feedback that moves learning forward: comments that tell students what to do "
        "next, not only a mark.",
        "Peer assessment: students help each other learn, as resources for one another, "
        "using the success criteria.",
        "Self-assessment: students own their learning: they check their work against the "
        "success criteria and plan their next step.",
    ]
    assert question == "Which formative assessment strategy could address it?"  # asked again
    texts = await ama.tap("Peer assessment")
    assert texts[0].startswith("Describe the practice you want to try")
    await ama.send("Pairs check each other's answers against a checklist.")
    await ama.tap("3")

    inquiry = await _inquiry(sessions, ama)
    assert (inquiry.phase, inquiry.strategy) == (Phase.pilot, Strategy.peer_assessment)
    assert (inquiry.baseline, inquiry.success) == ("Tuesday's copied answers", SUCCESS)
    assert inquiry.baseline_file_id is not None


async def test_a_french_teacher_reads_the_strategies_in_french_before_choosing(
    phone, accra, sessions: SessionMaker
) -> None:
    marie = phone("Marie", language_code="fr")
    await marie.send(f"/start {accra.codes[Role.teacher]}")
    await marie.tap_nth(0)  # consent
    await marie.tap("✓ Français")
    await marie.tap_nth(0)  # timezone
    await marie.tap_nth(0)  # her name
    await marie.send("Mathématiques")
    await marie.tap_nth(1)  # grade level
    await marie.send("Beaucoup d'élèves recopient.")
    await marie.send("Un tiers de la classe")
    await marie.send("Les tickets de sortie")
    await marie.send("Ils recopient la réponse du voisin.")
    texts = await marie.send("Chacun écrit et explique sa réponse.")
    assert texts[0] == fr("Which formative assessment strategy could address it?")
    texts = await marie.tap_nth(5)
    meanings, question = texts[0].rsplit("\n\n", 1)
    labels = [line.split(": ", 1)[0] for line in meanings.split("\n\n")]
    assert labels == [
        fr(label)
        for label in (
            "Learning intentions and success criteria",
            "Eliciting evidence of learning",
            "Feedback that moves learning forward",
            "Peer assessment",
            "Self-assessment",
        )
    ]
    assert question == fr("Which formative assessment strategy could address it?")
    await marie.tap(fr("Self-assessment"))
    await marie.send("Les élèves évaluent leur travail avec une grille.")
    await marie.tap("4")
    inquiry = await _inquiry(sessions, marie)
    assert (inquiry.strategy, inquiry.baseline, inquiry.success) == (
        Strategy.self_assessment,
        "Ils recopient la réponse du voisin.",
        "Chacun écrit et explique sa réponse.",
    )


# --- 2. each week builds on the last ---------------------------------------------------------


async def test_each_week_recalls_the_plan_and_counts_only_the_weeks_tried(
    ama: Phone, clock: FakeClock
) -> None:
    await identify(ama)
    clock.set(MONDAY_EVENING[0])
    texts = await ama.send("/checkin")
    assert "Last time you planned" not in texts[0]  # nothing planned yet
    await ama.tap("Yes")
    await ama.send("Used the whiteboards in three lessons.")
    texts = await ama.send("Two thirds answered on their own.")
    # the rating recalls where the class started and what success looks like
    assert texts[0] == (
        f"Your starting point: “{BASELINE}”\n"
        f"What success looks like: “{SUCCESS}”\n\n"
        "How well did it work? (1 = not at all, 5 = very well)"
    )
    await ama.tap("2")
    await ama.send("Ask the hinge question earlier.")
    texts = await ama.tap("Skip")
    assert texts[0].endswith("Your ratings so far: 2")

    clock.set(MONDAY_EVENING[1])
    texts = await ama.send("/checkin")
    assert texts[0] == (
        "Time for this week's check-in about your practice.\n\n"
        "Last time you planned: “Ask the hinge question earlier.”\n\n" + TRIED
    )
    await ama.tap("No")
    texts = await ama.send("Exams all week.")
    # a week not tried is no iteration: the trend stays as it was
    assert texts[0] == "Thank you, your check-in is saved.\n\nYour ratings so far: 2"

    clock.set(MONDAY_EVENING[2])
    texts = await ama.send("/checkin")
    assert "Last time you planned: “Ask the hinge question earlier.”" in texts[0]
    texts = await pilot_week_answers(ama, "4")
    saved, trend = texts[0].split("\n\n")
    assert saved == "Thank you, your check-in is saved."
    assert trend == "Your ratings so far: 2 → 4 ↗"

    texts = await ama.send("/journey")
    assert "Pilot weeks: 2" in texts[0].splitlines()

    clock.set(MONDAY_EVENING[3])
    texts = await pilot_week(ama, "5")
    # the third week tried (of four answered) is when codifying is offered
    assert "You have piloted your practice 3 times" in texts[0]


async def pilot_week_answers(ama: Phone, rating: str) -> list[str]:
    """The answers of a pilot week whose first question is open."""
    await ama.tap("Yes")
    await ama.send("Asked it in the first ten minutes.")
    await ama.send("Most answered on their own.")
    await ama.tap(rating)
    await ama.send("Keep it short.")
    return await ama.tap("Skip")


async def test_the_weekly_invitation_names_the_practice_and_recalls_the_plan(
    ama: Phone, clock: FakeClock, sessions: SessionMaker, sender
) -> None:
    await identify(ama)
    clock.set(OPENS)
    await checkin_sweep(sessions, clock)
    await sender.drain()
    first = ama.messages()[-1]
    practice = "Mini whiteboards for every student on one hinge question per lesson."
    assert first["text"] == (
        f"Time for this week's check-in about your practice: “{practice}”\n\n" + TRIED
    )
    await ama.tap("Yes", first)
    await ama.send("Whiteboards twice.")
    await ama.send("Half the class got it.")
    await ama.tap("3")
    await ama.send("Shorter questions.")
    await ama.tap("Skip")

    clock.set(OPENS + timedelta(days=7))
    await checkin_sweep(sessions, clock)
    await sender.drain()
    second = ama.messages()[-1]
    assert second["text"] == (
        f"Time for this week's check-in about your practice: “{practice}”\n\n"
        "Last time you planned: “Shorter questions.”\n\n" + TRIED
    )
    assert ama.labels(second) == ["Yes", "Partly", "No"]
    texts = await ama.tap("Partly", second)
    assert texts[0].startswith("What did you do?")
    await ama.send("Whiteboards once.")
    await ama.send("Most got it.")
    await ama.tap("4")
    await ama.send("Give them thinking time first.")
    await ama.tap("Skip")

    clock.set(OPENS + timedelta(days=14))  # a third week recalls the newest plan of the two
    await checkin_sweep(sessions, clock)
    await sender.drain()
    assert ama.messages()[-1]["text"] == (
        f"Time for this week's check-in about your practice: “{practice}”\n\n"
        "Last time you planned: “Give them thinking time first.”\n\n" + TRIED
    )


async def test_a_french_teacher_is_reminded_of_her_plan_in_her_week(
    phone, accra, clock: FakeClock
) -> None:
    marie = phone("Marie", language_code="fr")
    await marie.send(f"/start {accra.codes[Role.teacher]}")
    await marie.tap_nth(0)
    await marie.tap("✓ Français")
    await marie.tap_nth(0)
    await marie.tap_nth(0)
    await marie.send("Mathématiques")
    await marie.tap_nth(1)
    for answer in ("Ils recopient.", "Un tiers", "Tickets", "Ils devinent.", "Ils expliquent."):
        await marie.send(answer)
    await marie.tap_nth(1)
    await marie.send("Ardoises")
    await marie.tap("4")
    clock.set(MONDAY_EVENING[0])
    await marie.send("/checkin")
    await marie.tap_nth(0)
    await marie.send("Ardoises trois fois.")
    texts = await marie.send("La moitié a compris.")
    assert texts[0].startswith(
        "Votre point de départ\u00a0: « Ils devinent. »\n"
        "À quoi ressemble la réussite\u00a0: « Ils expliquent. »"
    )
    assert texts[0].endswith(fr("How well did it work? (1 = not at all, 5 = very well)"))
    await marie.tap("3")
    await marie.send("Poser la question plus tôt.")
    await marie.tap_nth(-1)
    clock.set(MONDAY_EVENING[1])
    texts = await marie.send("/checkin")
    assert "La dernière fois, vous aviez prévu\u00a0: « Poser la question plus tôt. »" in texts[0]
    assert texts[0].endswith(fr(TRIED))


# --- 4. revise never loses anything -------------------------------------------------------------


async def _in_review(sessions: SessionMaker, phone: Phone, accra) -> int:
    """Ama's practice, codified and waiting for review; her inquiry is done."""
    async with transaction(sessions) as session:
        person = await on_telegram(session, phone.user.id)
        now = datetime(2026, 10, 1, tzinfo=UTC)
        inquiry = Inquiry(
            person_id=person.id,
            circle_id=accra.circle_id,
            phase=Phase.done,
            strategy=Strategy.eliciting_evidence,
            practice="Hinge questions",
            started_at=now,
            completed_at=now,
        )
        session.add(inquiry)
        await session.flush()
        practice = Practice(
            inquiry_id=inquiry.id,
            circle_id=accra.circle_id,
            author_id=person.id,
            country="GH",
            language="en",
            status=PracticeStatus.in_review,
            share_scope=ShareScope.circle,
            title="Hinge questions on whiteboards",
            strategy=Strategy.eliciting_evidence,
            content={"evidence": "Two thirds got it right by week 3.", "evidence_photos": []},
            created_at=now,
            updated_at=now,
        )
        session.add(practice)
        await session.flush()
        return practice.id


async def _phases(sessions: SessionMaker, accra, clock: FakeClock) -> dict[str, int]:
    scope = Scope("token:1", TokenRole.facilitator, circle_ids=frozenset({accra.circle_id}))
    async with sessions() as session:
        summary = await summaries.circle_summary(
            session, scope=scope, circle_id=accra.circle_id, now=clock.now()
        )
        return {key: n for key, n in summary.phases.items() if n}


async def test_changes_requested_carry_a_revise_button_and_a_photo_keeps_the_text(
    ama: Phone, accra, sessions: SessionMaker, clock: FakeClock, sender
) -> None:
    practice_id = await _in_review(sessions, ama, accra)
    texts = await ama.send("/journey")
    assert "Phase: in review" in texts[0].splitlines()
    assert await _phases(sessions, accra, clock) == {"in_review": 1}

    scope = Scope("token:1", TokenRole.facilitator, circle_ids=frozenset({accra.circle_id}))
    async with transaction(sessions) as session:
        await reviews.request_changes(
            session,
            scope=scope,
            practice_id=practice_id,
            comment="Please add a photo of the whiteboards.",
            now=clock.now(),
        )
    await sender.drain()
    message = ama.messages()[-1]
    assert message["text"] == (
        "Your practice “Hinge questions on whiteboards” was reviewed. Your facilitator asks "
        "for some changes:\n\nPlease add a photo of the whiteboards."
    )
    assert ama.labels(message) == ["Revise"]
    texts = await ama.send("/journey")
    assert "Phase: in review" in texts[0].splitlines()  # it waits for her, not done

    await ama.tap("Revise", message)
    texts = await ama.tap("Evidence of impact")
    assert texts[-1].startswith("It reads now:\nTwo thirds got it right by week 3.\n\n")
    texts = await ama.photo(caption="Week 3 whiteboards")
    assert texts[0].startswith("Thank you. “Hinge questions on whiteboards” is back with")
    async with sessions() as session:
        practice = await session.get_one(Practice, practice_id)
        assert practice.status is PracticeStatus.in_review
        assert practice.content["evidence"] == "Two thirds got it right by week 3."
        assert len(practice.content["evidence_photos"]) == 1

    # the evidence now shows its photo too, before a second photo is asked for
    await ama.tap("Change something else")
    texts = await ama.tap("Evidence of impact")
    assert texts[-1].startswith("It reads now:\nTwo thirds got it right by week 3.\nand 1 photo")

    async with transaction(sessions) as session:
        await reviews.approve_practice(
            session, scope=scope, practice_id=practice_id, now=clock.now()
        )
    texts = await ama.send("/journey")
    assert "Phase: done" in texts[0].splitlines()
    assert await _phases(sessions, accra, clock) == {"done": 1}


async def test_a_checkin_row_of_a_week_not_tried_is_no_iteration(
    ama: Phone, clock: FakeClock, sessions: SessionMaker
) -> None:
    await identify(ama)
    clock.set(MONDAY_EVENING[0])
    await ama.send("/checkin")
    await ama.tap("No")
    await ama.send("Exams")
    clock.set(MONDAY_EVENING[1])
    await pilot_week(ama, "3")
    async with sessions() as session:
        rows = list(await session.scalars(select(CheckIn).order_by(CheckIn.scheduled_for)))
    assert [c.iteration for c in rows] == [None, 1]


async def test_an_identify_run_started_on_version_1_finishes_on_version_1(
    ama: Phone, sessions: SessionMaker
) -> None:
    async with transaction(sessions) as session:
        person = await on_telegram(session, ama.user.id)
        run = await session.scalar(
            select(FlowRun).where(FlowRun.person_id == person.id, FlowRun.flow_id == "identify")
        )
        run.flow_version = 1  # started before identify v2 shipped
    await ama.send("Many students copy answers.")
    await ama.send("A third of the class")
    texts = await ama.send("Exit tickets")
    assert texts[0] == "Which formative assessment strategy could address it?"  # no baseline
    assert "What do these mean?" not in ama.labels()
    await ama.tap("Feedback that moves learning forward")
    await ama.send("Comments instead of marks.")
    texts = await ama.tap("4")
    assert texts[0].startswith("Thank you! From next week")
    inquiry = await _inquiry(sessions, ama)
    assert (inquiry.phase, inquiry.strategy, inquiry.baseline) == (
        Phase.pilot,
        Strategy.feedback,
        None,
    )


async def test_the_materials_can_be_revised_and_the_rest_stays(
    ama: Phone, accra, sessions: SessionMaker, clock: FakeClock, sender
) -> None:
    practice_id = await _in_review(sessions, ama, accra)
    async with transaction(sessions) as session:
        practice = await session.get_one(Practice, practice_id)
        practice.content = {**practice.content, "materials": "Mini whiteboards"}
    await ama.send("/mypractices")
    await ama.tap("Revise")
    assert "Materials" in ama.labels()
    texts = await ama.tap("Materials")
    assert texts[-1].startswith("It reads now:\nMini whiteboards\n\n")
    texts = await ama.send("Mini whiteboards and dry-wipe markers, one set per pair")
    assert texts[0].startswith("Thank you. “Hinge questions on whiteboards” is back with")
    async with sessions() as session:
        content = (await session.get_one(Practice, practice_id)).content
    assert content["materials"] == "Mini whiteboards and dry-wipe markers, one set per pair"
    assert content["evidence"] == "Two thirds got it right by week 3."
