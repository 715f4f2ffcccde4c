"""The evidence repository in the bot: search, browse, read, "I'll try this", revise, digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from support.people import on_telegram
from support.phone import Phone
from support.story import MONDAY_EVENING, identify, onboard

from bot.flows import sharing
from bot.flows.buttons import AdoptPractice, encode
from bot.handlers.telegram.sender import OutboxSender
from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import (
    Adoption,
    Circle,
    Inquiry,
    Person,
    Phase,
    Practice,
    PracticeShare,
    PracticeStatus,
    PracticeVersion,
    Role,
    ShareScope,
    Strategy,
)
from circles.services import media
from circles.services.circles import create_circle
from circles.services.repository import search_text_of
from circles.settings import Settings

STRATEGIES = [
    "Learning intentions and success criteria",
    "Eliciting evidence of learning",
    "Feedback that moves learning forward",
    "Peer assessment",
    "Self-assessment",
]
PUBLISHED = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)
TUESDAY_MORNING = datetime(2026, 9, 8, 10, 30, tzinfo=UTC)  # 10:30 in Accra (UTC+0)
CLOSED = "This question is already closed."


# --- helpers --------------------------------------------------------------------------------


async def _circle(sessions: SessionMaker, clock: FakeClock, name: str, country: str) -> int:
    async with transaction(sessions) as session:
        circle = await create_circle(
            session,
            name=name,
            country=country,
            language="en",
            timezone="Africa/Accra",
            now=clock.now(),
        )
        return circle.id


async def _practice(
    sessions: SessionMaker,
    circle_id: int,
    title: str,
    *,
    scope: ShareScope = ShareScope.everyone,
    status: PracticeStatus = PracticeStatus.published,
    strategy: Strategy = Strategy.eliciting_evidence,
    tags: list[str] | None = None,
    author_id: int | None = None,
    language: str = "en",
    summary: str = "Every student answers one question; the teacher regroups at once.",
    steps: str = "1. Plan one question. 2. Everyone answers. 3. Regroup.",
    review_comment: str | None = None,
    published_at: datetime | None = PUBLISHED,
) -> int:
    """A practice written straight into the database, as a reviewer would have left it."""
    async with transaction(sessions) as session:
        circle = await session.get(Circle, circle_id)
        practice = Practice(
            circle_id=circle_id,
            author_id=author_id,
            status=status,
            share_scope=scope,
            title=title,
            strategy=strategy,
            tags=tags or [strategy.value],
            subject="Mathematics",
            grade="Year 8",
            country=circle.country,
            language=language,
            summary=summary,
            content={"steps": steps, "evidence": "Two thirds got it right by week 3."},
            review_comment=review_comment,
            created_at=PUBLISHED - timedelta(days=7),
            updated_at=PUBLISHED,
            published_at=published_at if status is PracticeStatus.published else None,
        )
        practice.search_text = search_text_of(practice)
        session.add(practice)
        await session.flush()
        return practice.id


async def _person(sessions: SessionMaker, phone: Phone) -> Person:
    async with sessions() as session:
        return await on_telegram(session, phone.user.id)


async def _get(sessions: SessionMaker, model: type, id_: int) -> Any:
    async with sessions() as session:
        return await session.get(model, id_)


async def _count(sessions: SessionMaker, model: type, *where: Any) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


def _since(phone: Phone, before: int) -> list[dict[str, Any]]:
    return phone.messages()[before:]


def _last(phone: Phone, prefix: str) -> dict[str, Any]:
    """The newest message the bot sent to ``phone`` that starts with ``prefix``."""
    return next(m for m in reversed(phone.messages()) if m.get("text", "").startswith(prefix))


def _titles(messages: list[dict[str, Any]]) -> list[str]:
    """The practice titles of the cards among ``messages`` (a card starts with “title”)."""
    return [m["text"].split("\n")[0].strip("“”") for m in messages if m["text"].startswith("“")]


async def _search(phone: Phone, words: str) -> list[dict[str, Any]]:
    before = len(phone.messages())
    await phone.send(f"/practices {words}".rstrip())
    return _since(phone, before)


@pytest.fixture
async def kumasi(sessions: SessionMaker, clock: FakeClock) -> int:
    """Another circle in Ghana, like Accra 1."""
    return await _circle(sessions, clock, "Kumasi 1", "GH")


@pytest.fixture
async def lagos(sessions: SessionMaker, clock: FakeClock) -> int:
    """A circle in Nigeria."""
    return await _circle(sessions, clock, "Lagos 1", "NG")


# --- search and browse ------------------------------------------------------------------------


async def _evidence_photo(sessions: SessionMaker, title: str, file_id: str) -> None:
    """The practice called ``title`` has one evidence photo, ``file_id``."""
    async with transaction(sessions) as session:
        practice = await session.scalar(select(Practice).where(Practice.title == title))
        practice.content = {**practice.content, "evidence_photos": [file_id]}


async def test_search_finds_what_reaches_the_teachers_circle_by_prefix_and_any_case(
    ama: Phone, accra, kumasi: int, lagos: int, sessions: SessionMaker, settings: Settings
) -> None:
    await _practice(
        sessions, accra.circle_id, "Hinge questions in our circle", scope=ShareScope.circle
    )
    await _practice(sessions, kumasi, "Hinge cards for fractions", scope=ShareScope.country)
    kept = await _practice(
        sessions, kumasi, "Hinge questions kept in Kumasi", scope=ShareScope.circle
    )
    await _practice(sessions, lagos, "Hinge questions for everyone", scope=ShareScope.everyone)
    await _practice(sessions, lagos, "Hinge questions for Nigeria", scope=ShareScope.country)
    await _practice(
        sessions,
        accra.circle_id,
        "Hinge questions not yet reviewed",
        status=PracticeStatus.in_review,
    )
    await _practice(sessions, lagos, "Traffic lights", summary="Red, amber, green cups.")
    expected = {
        "Hinge questions in our circle",
        "Hinge cards for fractions",
        "Hinge questions for everyone",
    }

    found = await _search(ama, "hinge")
    assert found[0]["text"] == "3 practices match “hinge”:"
    cards = found[1:]
    assert set(_titles(cards)) == expected and len(cards) == 3
    for card in cards:
        assert ama.labels(card) == ["Read", "I'll try this"]
    fractions = next(c for c in cards if c["text"].startswith("“Hinge cards for fractions”"))
    assert fractions["text"].split("\n")[1:4] == [
        "Eliciting evidence of learning",
        "Mathematics · Year 8 · Ghana",
        "Shared anonymously from Kumasi 1",
    ]
    assert "Every student answers one question" in fractions["text"]
    assert "Steps:" not in fractions["text"]  # the list shows a short card

    # Not even a made-up button reads or adopts the practice kept in Kumasi.
    for verb in ("v", "a"):
        assert await ama.tap_data(fractions, f"p:{verb}:{kept}") == []
        assert ama.last_notice() == "This practice is no longer in the repository."
    assert await _count(sessions, Adoption) == 0

    found = await _search(ama, "HING")
    assert found[0]["text"] == "3 practices match “hing”:"
    assert set(_titles(found[1:])) == expected

    found = await _search(ama, "Hinge FRACT")  # every word must match, each as a prefix
    assert found[0]["text"] == "1 practice matches “hinge fract”:"
    assert _titles(found[1:]) == ["Hinge cards for fractions"]

    # The author's evidence photo (a file Telegram already holds) comes with the full text.
    update = ama.fake.user_photo(ama.user, caption="Exit ticket", enqueue=False)
    photo_id = update["message"]["photo"][-1]["file_id"]
    await _evidence_photo(sessions, "Hinge cards for fractions", photo_id)
    texts = await ama.tap("Read", fractions)
    assert texts[0] == "Evidence of impact"
    assert ama.messages()[-2]["photo"][-1]["file_id"] == photo_id
    assert texts[1].startswith("“Hinge cards for fractions”")
    # One sent on WhatsApp (kept in the media store) is uploaded as a photo.
    kept = media.file_id_for("whatsapp:wamid.1", "image/jpeg")
    media.save(settings.media_dir, file_id=kept, content=b"\xff\xd8 exit ticket")
    await _evidence_photo(sessions, "Hinge cards for fractions", kept)
    texts = await ama.tap("Read", fractions)
    assert texts[0] == "Evidence of impact"
    sent = ama.messages()[-2]["photo"][-1]["file_id"]
    assert ama.fake.file_content(sent) == b"\xff\xd8 exit ticket"
    assert "Steps:\n1. Plan one question. 2. Everyone answers. 3. Regroup." in texts[1]
    assert "Evidence of impact:\nTwo thirds got it right by week 3." in texts[1]
    assert ama.labels() == ["I'll try this"]


async def test_a_search_with_seven_matches_pages_five_then_two(
    ama: Phone, lagos: int, sessions: SessionMaker
) -> None:
    for n in range(7):
        await _practice(
            sessions,
            lagos,
            f"Exit tickets, variant {n + 1}",
            published_at=PUBLISHED + timedelta(days=n),
        )
    found = await _search(ama, "exit tickets")
    assert found[0]["text"] == "7 practices match “exit tickets”:"
    first = _titles(found[1:])
    assert len(first) == 5
    assert found[-1]["text"] == "Shown 5 of 7."
    assert ama.labels(found[-1]) == ["More"]

    before = len(ama.messages())
    await ama.tap("More", found[-1])
    more = _since(ama, before)
    second = _titles(more)
    assert len(second) == 2
    assert set(first) | set(second) == {f"Exit tickets, variant {n}" for n in range(1, 8)}
    assert "More" not in [
        label for m in more for label in (ama.labels(m) if m.get("reply_markup") else [])
    ]

    # A long query still pages: the More button carries as many words as fit in 64 bytes.
    words = "mathematics question everyone answers regroups student teacher thirds"
    found = await _search(ama, words)
    assert found[0]["text"] == f"7 practices match “{words}”:"
    assert ama.button_data("More", found[-1]) == (
        "p:q:5:mathematics question everyone answers regroups student"
    )
    before = len(ama.messages())
    await ama.tap("More", found[-1])
    assert len(_titles(_since(ama, before))) == 2


async def test_practices_alone_offers_the_strategies_and_a_tap_browses(
    ama: Phone, lagos: int, sessions: SessionMaker
) -> None:
    await _practice(sessions, lagos, "Comment-only marking", strategy=Strategy.feedback)
    await _practice(
        sessions,
        lagos,
        "Whiteboards with a second look",
        strategy=Strategy.eliciting_evidence,
        tags=["eliciting_evidence", "feedback"],
    )
    await _practice(sessions, lagos, "Two stars and a wish", strategy=Strategy.peer_assessment)

    found = await _search(ama, "")
    assert found[0]["text"].startswith("Search the practices other teachers published")
    assert ama.labels(found[0]) == STRATEGIES

    before = len(ama.messages())
    await ama.tap("Feedback that moves learning forward", found[0])
    browsed = _since(ama, before)
    assert browsed[0]["text"] == "Feedback that moves learning forward: 2"
    assert set(_titles(browsed)) == {"Comment-only marking", "Whiteboards with a second look"}

    before = len(ama.messages())
    await ama.tap("Self-assessment", found[0])
    assert [m["text"] for m in _since(ama, before)] == [
        "No published practice uses “Self-assessment” yet."
    ]


async def test_a_search_that_finds_nothing_explains_and_offers_browsing(
    ama: Phone, lagos: int, sessions: SessionMaker
) -> None:
    await _practice(sessions, lagos, "Hinge questions for everyone")
    found = await _search(ama, "zebra crossing")
    assert found[0]["text"] == (
        "No published practice matches “zebra crossing”. Try fewer or other words, "
        "or browse by strategy:"
    )
    assert ama.labels(found[0]) == STRATEGIES
    # Odd punctuation is not a query syntax error on either database.
    for words in ('"hinge', "hinge*", "_", "hinge-ques", "(hinge) OR NOT"):
        found = await _search(ama, words)
        assert found, words


# --- "I'll try this" --------------------------------------------------------------------------


async def test_ill_try_this_starts_piloting_the_practice_once(
    ama: Phone, kumasi: int, sessions: SessionMaker, clock: FakeClock
) -> None:
    practice_id = await _practice(
        sessions, kumasi, "Traffic-light cups", strategy=Strategy.self_assessment
    )
    found = await _search(ama, "traffic")
    card = found[1]
    texts = await ama.tap("I'll try this", card)
    assert texts[0] == (
        "Good choice! You are now piloting “Traffic-light cups”. At your next check-in I will "
        "ask you how it went, and your ratings will help other teachers."
    )
    person = await _person(sessions, ama)
    async with sessions() as session:
        [adoption] = list(await session.scalars(select(Adoption)))
        inquiry = await session.get(Inquiry, adoption.inquiry_id)
    assert (adoption.person_id, adoption.practice_id) == (person.id, practice_id)
    assert (inquiry.person_id, inquiry.phase, inquiry.strategy) == (
        person.id,
        Phase.pilot,
        Strategy.self_assessment,
    )
    assert inquiry.practice.startswith("Traffic-light cups")

    texts = await ama.tap_data(card, f"p:a:{practice_id}")  # the same button again
    assert texts == ["You are already trying “Traffic-light cups”."]
    assert await _count(sessions, Adoption) == 1
    assert await _count(sessions, Inquiry, Inquiry.person_id == person.id) == 1

    # The card now counts the adoption.
    found = await _search(ama, "traffic")
    assert "Tried by 1 teacher" in found[1]["text"]

    # She was still identifying her own practice: that conversation is over, the next
    # check-in asks about the adopted practice.
    texts = await ama.send("Students copy answers.")
    assert texts[0].startswith("There is no open question right now.")
    clock.set(MONDAY_EVENING[0])
    texts = await ama.send("/checkin")
    assert texts == [
        "Time for this week's check-in about your practice.\n\nDid you try your practice this week?"
    ]
    async with sessions() as session:
        inquiry = await session.get(Inquiry, adoption.inquiry_id)
    assert (inquiry.phase, inquiry.strategy) == (Phase.pilot, Strategy.self_assessment)


async def test_a_teacher_piloting_another_practice_finishes_it_first(
    ama: Phone, kumasi: int, sessions: SessionMaker
) -> None:
    await identify(ama)  # she pilots her own practice now
    practice_id = await _practice(sessions, kumasi, "Traffic-light cups")
    person = await _person(sessions, ama)
    inquiries = await _count(sessions, Inquiry, Inquiry.person_id == person.id)
    found = await _search(ama, "traffic")
    texts = await ama.tap("I'll try this", found[1])
    assert texts == [
        "You are piloting another practice right now. Codify it or finish it first "
        "(see /journey), then tap “I'll try this” again."
    ]
    assert await _count(sessions, Adoption) == 0
    assert await _count(sessions, Inquiry, Inquiry.person_id == person.id) == inquiries
    async with sessions() as session:
        inquiry = await session.scalar(select(Inquiry).where(Inquiry.person_id == person.id))
    assert inquiry.strategy is Strategy.eliciting_evidence  # her own, untouched
    assert await ama.tap_data(found[1], f"p:a:{practice_id}")  # still answered, not crashed


async def test_a_teacher_cannot_adopt_her_own_practice(
    ama: Phone, accra, sessions: SessionMaker
) -> None:
    person = await _person(sessions, ama)
    practice_id = await _practice(
        sessions,
        accra.circle_id,
        "My own whiteboards",
        author_id=person.id,
        scope=ShareScope.circle,
    )
    found = await _search(ama, "whiteboards")
    assert ama.labels(found[1]) == ["Read"]  # not offered "I'll try this" on her own
    await ama.tap("Read", found[1])
    assert ama.labels(ama.messages()[-1]) == []
    # an "I'll try this" from elsewhere (forged or old) is refused all the same
    texts = await ama.tap_data(found[1], encode(AdoptPractice(practice_id)))
    assert texts == []
    assert ama.last_notice() == "This is your own practice."
    assert await _count(sessions, Adoption) == 0


# --- revise -------------------------------------------------------------------------------------


async def _mine(phone: Phone) -> list[dict[str, Any]]:
    before = len(phone.messages())
    await phone.send("/mypractices")
    return _since(phone, before)


async def _hers(
    ama: Phone, accra, sessions: SessionMaker, **fields: Any
) -> tuple[int, list[dict[str, Any]]]:
    """Ama's practice “Hinge questions on whiteboards” (``fields`` as for :func:`_practice`),
    and her list of practices."""
    person = await _person(sessions, ama)
    practice_id = await _practice(
        sessions, accra.circle_id, "Hinge questions on whiteboards", author_id=person.id, **fields
    )
    return practice_id, await _mine(ama)


async def _sent_back(
    ama: Phone, accra, sessions: SessionMaker, comment: str
) -> tuple[int, list[dict[str, Any]]]:
    """Ama's practice, sent back with ``comment``, and her list of practices."""
    return await _hers(
        ama, accra, sessions, status=PracticeStatus.changes_requested, review_comment=comment
    )


async def test_a_practice_sent_back_is_revised_and_goes_back_to_review(
    ama: Phone, accra, sessions: SessionMaker
) -> None:
    practice_id, mine = await _sent_back(
        ama, accra, sessions, "Please say how long each step takes."
    )
    assert mine[0]["text"] == "Your practices:"
    assert mine[1]["text"] == (
        "“Hinge questions on whiteboards”\nStatus: Changes requested\nVersion 1\n\n"
        "Your facilitator asks:\nPlease say how long each step takes."
    )
    assert ama.labels(mine[1]) == ["Revise"]

    texts = await ama.tap("Revise", mine[1])
    [intro_and_question] = texts
    assert intro_and_question.startswith("Let's revise your practice, one part at a time.")
    assert "\n\nWhich part would you like to change?" in intro_and_question
    assert ama.labels()[:3] == ["Name", "Summary", "Steps"]
    texts = await ama.tap("Steps")
    # the part as it reads now comes before the new text is asked for
    now_reads, question = texts[-1].split("\n\n", 1)
    assert now_reads == "It reads now:\n1. Plan one question. 2. Everyone answers. 3. Regroup."
    assert question.startswith("Send the new text. It replaces the old one.")
    texts = await ama.send("1. Plan the question (5 min). 2. Everyone answers (2 min).")
    assert texts[0] == (
        "Thank you. “Hinge questions on whiteboards” is back with your facilitators for "
        "review (version 1)."
    )
    practice = await _get(sessions, Practice, practice_id)
    assert practice.status is PracticeStatus.in_review
    assert practice.content["steps"] == "1. Plan the question (5 min). 2. Everyone answers (2 min)."
    assert practice.content["evidence"] == "Two thirds got it right by week 3."
    assert "(5 min)" in practice.search_text
    assert practice.version == 1
    assert await _count(sessions, PracticeVersion) == 0  # never published: no old version kept

    mine = await _mine(ama)
    assert mine[1]["text"].split("\n")[1] == "Status: Waiting for review"

    # While it waits for review she may change something else: a photo as evidence.
    await ama.tap("Revise", mine[1])
    texts = await ama.tap("Evidence of impact")
    assert texts[-1].startswith("It reads now:\nTwo thirds got it right by week 3.\n\n")
    assert "Or send a photo of student work (without names): it is added" in texts[-1]
    texts = await ama.photo(caption="Whiteboards of week 3: 20 of 30 correct.")
    assert texts[0].startswith("Thank you. “Hinge questions on whiteboards” is back with")
    practice = await _get(sessions, Practice, practice_id)
    assert practice.status is PracticeStatus.in_review
    # a photo adds evidence; the text stays as it was
    assert practice.content["evidence"] == "Two thirds got it right by week 3."
    assert len(practice.content["evidence_photos"]) == 1
    assert practice.content["steps"].startswith("1. Plan the question (5 min).")


async def test_revising_a_published_practice_keeps_the_old_version(
    ama: Phone, accra, sessions: SessionMaker
) -> None:
    practice_id, mine = await _hers(ama, accra, sessions, summary="The old summary.")
    person = await _person(sessions, ama)
    assert mine[1]["text"].split("\n")[1:3] == ["Status: Published", "Version 1"]
    assert ama.labels(mine[1]) == ["Read", "Revise"]
    await ama.tap("Revise", mine[1])
    await ama.tap("Summary")
    texts = await ama.send("The new summary: one question, everyone answers, regroup.")
    assert texts[0] == (
        "Thank you. “Hinge questions on whiteboards” is back with your facilitators for "
        "review (version 2)."
    )
    thanks = _last(ama, "Thank you.")
    assert ama.labels(thanks) == ["Change something else"]
    # The question she was answering before (identify's first) comes back afterwards.
    assert texts[1].startswith("What challenge do you see in your classroom?")

    practice = await _get(sessions, Practice, practice_id)
    assert (practice.status, practice.version, practice.summary) == (
        PracticeStatus.in_review,
        2,
        "The new summary: one question, everyone answers, regroup.",
    )
    async with sessions() as session:
        [old] = list(await session.scalars(select(PracticeVersion)))
    assert (old.practice_id, old.version, old.edited_by) == (practice_id, 1, f"person:{person.id}")
    assert (old.snapshot["summary"], old.snapshot["status"]) == ("The old summary.", "published")
    # It left the repository until it is reviewed again.
    assert (await _search(ama, "whiteboards"))[0]["text"].startswith("No published practice")

    # "Change something else" right away: the practice is waiting for review, still hers.
    texts = await ama.tap("Change something else", thanks)
    assert texts[-1].startswith("Let's revise your practice")
    assert texts[-1].endswith("\n\nWhich part would you like to change?")
    await ama.tap("Name")
    texts = await ama.send("Hinge questions, whiteboards up")
    assert texts[0].startswith("Thank you. “Hinge questions, whiteboards up” is back with")
    practice = await _get(sessions, Practice, practice_id)
    assert (practice.status, practice.title) == (
        PracticeStatus.in_review,
        "Hinge questions, whiteboards up",
    )
    assert practice.summary == "The new summary: one question, everyone answers, regroup."
    # Only the published text became a version; the revision waiting for review is one.
    assert practice.version == 2
    assert await _count(sessions, PracticeVersion) == 1


async def test_an_old_revise_button_of_an_archived_practice_is_closed(
    ama: Phone, accra, sessions: SessionMaker, clock: FakeClock
) -> None:
    practice_id, mine = await _hers(ama, accra, sessions)
    person = await _person(sessions, ama)
    revise = ama.button_data("Revise", mine[1])
    async with transaction(sessions) as session:
        practice = await session.get(Practice, practice_id)
        practice.status = PracticeStatus.archived
        practice.archived_at = clock.now()
    assert await ama.tap_data(mine[1], revise) == []
    assert ama.last_notice() == CLOSED
    mine = await _mine(ama)
    assert mine[1]["text"].split("\n")[1] == "Status: Archived"
    assert not mine[1].get("reply_markup")

    # Archived in the middle of a revision: the revision is refused, nothing changes.
    other = await _practice(
        sessions, accra.circle_id, "Exit tickets", author_id=person.id, summary="Old."
    )
    mine = await _mine(ama)
    await ama.tap("Revise", mine[2])
    await ama.tap("Summary")
    async with transaction(sessions) as session:
        practice = await session.get(Practice, other)
        practice.status = PracticeStatus.archived
    texts = await ama.send("New.")
    assert texts[0].startswith(CLOSED + "\n\n")  # and the conversation it interrupted
    practice = await _get(sessions, Practice, other)
    assert (practice.status, practice.summary, practice.version) == (
        PracticeStatus.archived,
        "Old.",
        1,
    )


async def test_a_sticker_or_voice_note_where_revise_expects_a_choice(
    ama: Phone, accra, sessions: SessionMaker
) -> None:
    practice_id, mine = await _sent_back(ama, accra, sessions, "Shorter, please.")
    await ama.tap("Revise", mine[1])
    for bad in (ama.sticker, ama.voice):
        texts = await bad()
        assert texts == [
            "Please choose one of the buttons below.\n\nWhich part would you like to change?"
        ]
        assert ama.labels()[0] == "Name"
    practice = await _get(sessions, Practice, practice_id)
    assert (practice.status, practice.version) == (PracticeStatus.changes_requested, 1)
    texts = await ama.tap("Name")  # the question is still open
    assert texts[-1] == "It reads now:\nHinge questions on whiteboards\n\nSend the new name."


# --- the digest --------------------------------------------------------------------------------


async def _sweep(sessions: SessionMaker, clock: FakeClock, sender: OutboxSender) -> list:
    async with transaction(sessions) as session:
        shared = await sharing.sweep(session, now=clock.now())
    await sender.drain()
    return shared


async def test_the_digest_brings_practices_from_other_circles_until_stopped(
    phone,
    ama: Phone,
    accra,
    kumasi: int,
    lagos: int,
    sessions: SessionMaker,
    clock: FakeClock,
    sender: OutboxSender,
) -> None:
    kofi = phone("Kofi")
    await onboard(kofi, accra.codes[Role.teacher])
    english = await _practice(sessions, lagos, "Hinge questions for everyone")
    french = await _practice(
        sessions,
        lagos,
        "Questions charnières",
        language="fr",
        summary="Une question au milieu de la leçon.",
        published_at=PUBLISHED + timedelta(days=1),
    )
    await _practice(sessions, kumasi, "Kept in Kumasi", scope=ShareScope.circle)
    await _practice(sessions, lagos, "Kept in Nigeria", scope=ShareScope.country)
    await _practice(sessions, accra.circle_id, "Our own practice")

    clock.set(TUESDAY_MORNING - timedelta(minutes=31))  # 09:59 is too early
    assert [
        s for s in await _sweep(sessions, clock, sender) if s.circle_id == accra.circle_id
    ] == []

    clock.set(TUESDAY_MORNING)
    before = {p.chat_id: len(p.messages()) for p in (ama, kofi)}
    shared = {s.circle_id: s for s in await _sweep(sessions, clock, sender)}
    assert (shared[accra.circle_id].practice_id, shared[accra.circle_id].queued) == (english, 2)
    for teacher in (ama, kofi):
        [digest] = _since(teacher, before[teacher.chat_id])
        assert digest["text"].startswith(
            "A practice from another circle, for you to read and maybe try:\n\n"
            "“Hinge questions for everyone”"
        )
        assert "Steps:" in digest["text"]
        assert "This practice was written in" not in digest["text"]
        assert teacher.labels(digest) == ["I'll try this", "Stop these messages"]

    texts = await ama.tap("Stop these messages")
    assert texts[0] == (
        "You will get no more practices from other circles. Send /practices to look for "
        "some yourself."
    )
    assert ama.labels() == ["Send them again"]
    assert (await _person(sessions, ama)).practice_digest is False
    assert (await _person(sessions, kofi)).practice_digest is True

    # A rerun the same morning sends nothing; nor does the next week.
    for days in (0, 7, 13):
        clock.set(TUESDAY_MORNING + timedelta(days=days))
        assert not [
            s for s in await _sweep(sessions, clock, sender) if s.circle_id == accra.circle_id
        ]

    clock.set(TUESDAY_MORNING + timedelta(days=14))
    before = {p.chat_id: len(p.messages()) for p in (ama, kofi)}
    shared = {s.circle_id: s for s in await _sweep(sessions, clock, sender)}
    assert (shared[accra.circle_id].practice_id, shared[accra.circle_id].queued) == (french, 1)
    assert _since(ama, before[ama.chat_id]) == []
    [digest] = _since(kofi, before[kofi.chat_id])
    assert "“Questions charnières”" in digest["text"]
    assert "This practice was written in French; here is the original text." in digest["text"]
    texts = await kofi.tap("I'll try this", digest)
    assert texts[0].startswith("Good choice! You are now piloting “Questions charnières”.")

    # Nothing else may travel to Accra 1: no practice is sent to a circle twice.
    clock.set(TUESDAY_MORNING + timedelta(days=28))
    before = {p.chat_id: len(p.messages()) for p in (ama, kofi)}
    assert not [s for s in await _sweep(sessions, clock, sender) if s.circle_id == accra.circle_id]
    assert _since(kofi, before[kofi.chat_id]) == []
    async with sessions() as session:
        sent = list(
            await session.scalars(
                select(PracticeShare.practice_id).where(PracticeShare.circle_id == accra.circle_id)
            )
        )
    assert sorted(sent) == sorted([english, french])

    # Send them again: the next practice would reach her.
    texts = await ama.tap("Send them again")
    assert texts[0].startswith("Good: from time to time you will get a practice")
    assert (await _person(sessions, ama)).practice_digest is True


async def test_a_digest_queued_in_english_is_read_in_french_after_she_switches(
    ama: Phone, accra, lagos: int, sessions: SessionMaker, clock: FakeClock, sender: OutboxSender
) -> None:
    await identify(ama)
    await _practice(sessions, lagos, "Hinge questions for everyone")
    clock.set(TUESDAY_MORNING)
    async with transaction(sessions) as session:  # queued while she reads English
        shared = await sharing.sweep(session, now=clock.now())
    assert [s.queued for s in shared if s.circle_id == accra.circle_id] == [1]
    await ama.send("/language")
    await ama.tap("Français")
    before = len(ama.messages())
    assert (await sender.drain()).sent == 1
    [digest] = _since(ama, before)
    assert digest["text"].startswith(
        "Une pratique d'un autre cercle, à lire et peut-être à essayer\xa0:\n\n"
        "«\xa0Hinge questions for everyone\xa0»"
    )
    # The card itself is in French too: its headings, and a note that the teacher's
    # words are in English, named in French.
    assert "\nÉtapes\xa0:\n" in digest["text"] and "Steps:" not in digest["text"]
    assert "Cette pratique a été rédigée en anglais\xa0; voici le texte original." in digest["text"]
    assert ama.labels(digest) == ["Je l'essaie", "Arrêter ces messages"]
