"""A teacher can take their data with them, or have it erased."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel
from support.fakebotapi import FakeUser
from support.phone import Phone
from support.story import MONDAY_EVENING, identify, pilot_week

from bot.flows import sharing
from bot.flows.queued import shown
from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import (
    Adoption,
    Answer,
    AuditLog,
    CheckIn,
    Circle,
    FlowRun,
    Inquiry,
    Membership,
    Outbox,
    OutboxState,
    PartnerMessage,
    Partnership,
    PartnershipStatus,
    Person,
    Practice,
    PracticeStatus,
    Reflection,
    Role,
    Rsvp,
    RsvpResponse,
    Strategy,
    TokenRole,
    WebSession,
)
from circles.services import broadcasts, meetings, repository, reviews
from circles.services.access import Scope
from circles.services.people import identities_of
from circles.services.tokens import create_token


async def test_mydata_sends_a_file_with_everything_stored(ama: Phone, clock: FakeClock) -> None:
    await identify(ama)
    clock.set(MONDAY_EVENING[0])
    await pilot_week(ama, "3")
    texts = await ama.send("/mydata")
    assert texts == ["Here is everything I store about you."]
    call = ama.fake.last_call("sendDocument")
    upload = next(iter(call.files.values()))
    assert upload.filename == "my-learning-circles-data.json"
    data = json.loads(upload.content)
    assert data["person"]["display_name"] == "Ama M."
    [membership] = data["memberships"]
    assert (membership["circle"], membership["country"], membership["role"]) == (
        "Accra 1",
        "GH",
        "teacher",
    )
    texts_given = {a["value_text"] for a in data["answers"]}
    assert "Many students copy answers without checking if they understood." in texts_given
    assert "Ask the hinge question earlier." in texts_given
    assert len(data["checkins"]) == 1 and len(data["inquiries"]) == 1


async def test_forgetme_asks_then_erases_personal_data_keeping_counts(
    ama: Phone, clock: FakeClock, sessions
) -> None:
    await identify(ama)
    clock.set(MONDAY_EVENING[0])
    await pilot_week(ama, "3")
    texts = await ama.send("/forgetme")
    assert "It cannot be undone." in texts[0]
    assert ama.labels() == ["Yes, erase everything", "No, keep my data"]
    assert await ama.tap("No, keep my data") == ["Nothing was erased."]

    await ama.send("/forgetme")
    texts = await ama.tap("Yes, erase everything")
    assert texts == ["Everything about you is erased. Thank you for taking part."]
    async with sessions() as session:
        person = await session.scalar(select(Person).where(Person.display_name == "Ama M."))
        assert person is None
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert await count(Answer) == 0
        assert await count(FlowRun) == 0
        assert await count(Inquiry) == 0
        assert await count(Membership) == 1  # only the facilitator's
        assert await count(CheckIn) == 1  # anonymous: the week still counts as answered
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "person.forget"))
        assert audit is not None
    # The bot no longer knows them: they would have to join again.
    texts = await ama.send("/journey")
    assert "You are not in a circle yet" in texts[0]


async def test_an_old_erase_button_does_nothing(ama: Phone, clock: FakeClock, sessions) -> None:
    await ama.send("/forgetme")
    question = ama.last_with_buttons()
    clock.advance(timedelta(hours=2))
    await ama.tap("Yes, erase everything", question)
    assert ama.last_notice() == "This question is already closed."
    async with sessions() as session:
        assert await session.scalar(select(Person).where(Person.display_name == "Ama M."))


# --- nothing left behind: every table walked -----------------------------------------------

AMA_ID, AMA_CHAT, AMA = 424_242, 987_654_321, "Ama Serwaa"
KOFI_ID, KOFI_CHAT, KOFI = 313_131, 555_444_333, "Kofi Boateng"
#: What Ama typed, wrote or had written for her; none of it may outlive /forgetme.
AMA_TEXTS = [
    AMA,
    "Astronomy and weaving",
    "Half my pupils guess instead of reasoning aloud.",
    "The quiet ones in form two",
    "Photo of Ama's sorting cards",
    "Sorting cards before every new topic.",
    "Tried the sorting cards twice this week.",
    "Start the cards on Monday instead.",
    "Ama learnt the waiting-time trick",
    "Ama will wait five seconds",
    "Luminous",
    "Ama's unfinished draft about humming",
    "Hum the question, then ask it",
    "Ama's pupils guess the answer now",
    "Ama's pupils will reason aloud",
    "Ama asks: how do you get pupils humming?",
    "Ama answers Kofi: wait five seconds",
    "Ama writes to her partner: shall we swap cards?",
]
#: Her practice as first published: it was shared with the circle, so it stays on the
#: copy Kofi received (a published practice stays in the repository, without author).
FIRST_PUBLISHED = "Ama's first summary of the cards"
#: Where an erased person's data may remain, and nowhere else.
REFUSAL_RECORD = {"person", "auditlog"}
#: Where /mydata puts the rows of each table.
EXPORT_KEYS = {
    "person": "person",
    "identity": "identities",
    "membership": "memberships",
    "inquiry": "inquiries",
    "checkin": "checkins",
    "flowrun": "flow_runs",
    "answer": "answers",
    "reflection": "reflections",
    "meeting": "meetings_created",
    "rsvp": "rsvps",
    "practice": "practices",
    "practiceversion": "practice_versions",
    "adoption": "adoptions",
    "delivery": "deliveries",
    "outbox": "messages",
    "apitoken": "api_tokens",
    "auditlog": "audit_entries",
    "peer_question": "peer_questions",
    "peer_question_copy": "peer_questions_received",
    "peer_answer": "peer_answers",
    "partnership": "partnerships",
    "partner_message": "partner_messages",
}


@dataclass(frozen=True)
class Trace:
    """One row of one table that holds something of a person."""

    table: str
    row: dict[str, Any]
    found: str


def _written(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value.isoformat() if isinstance(value, datetime | date | time) else str(value)


async def traces_of(
    session: AsyncSession,
    *,
    person_id: int | None,
    chat_id: int | None,
    texts: Sequence[str] = (),
) -> list[Trace]:
    """Every row of every table holding the person's id or chat id, or one of ``texts``.

    Every column is written out (JSON as JSON) and searched for the two ids as whole
    numbers (so give the person ids no other column could hold by chance) and for the texts.
    """
    numbers = {
        name: re.compile(rf"(?<!\d){number}(?!\d)")
        for name, number in (("person id", person_id), ("chat id", chat_id))
        if number is not None
    }
    found = []
    for table in SQLModel.metadata.sorted_tables:
        rows = await session.execute(select(table).order_by(*table.primary_key.columns))
        for row in rows.mappings():
            written = " | ".join(_written(v) for v in row.values() if v is not None)
            what = [name for name, number in numbers.items() if number.search(written)]
            what += [repr(text) for text in texts if text in written]
            if what:
                found.append(Trace(table.name, dict(row), ", ".join(what)))
    return found


async def _next_person_is(sessions: SessionMaker, person_id: int, clock: FakeClock) -> None:
    """Make ``person_id`` the next person's id (an empty row takes the one before it)."""
    async with transaction(sessions) as session:
        session.add(Person(id=person_id - 1, created_at=clock.now()))
        await session.flush()
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(
                text("SELECT setval(pg_get_serial_sequence('person', 'id'), :id)"),
                {"id": person_id - 1},
            )


async def _join(teacher: Phone, code: str, name: str, subjects: str) -> None:
    await teacher.send(f"/start {code}")
    await teacher.tap("I agree")
    await teacher.tap("✓ English")
    await teacher.tap("Africa/Accra")
    await teacher.send(name)
    await teacher.send(subjects)
    texts = await teacher.tap("Lower secondary")
    assert texts[0].startswith(f"You are all set, {name}!")


async def _ask(teacher: Phone, question: str) -> None:
    await teacher.send("/ask")
    await teacher.send(question)
    await teacher.tap("With my name")
    await teacher.tap("Yes")


async def _ask_each_other(ama: Phone, kofi: Phone, sender) -> None:
    """Ama asks the circle and Kofi answers (she thanks him); Kofi asks and Ama answers."""
    await _ask(ama, AMA_TEXTS[15])
    await sender.drain()
    await kofi.tap("Answer", kofi.messages()[-1])
    await kofi.send("Kofi answers: hum the question first")
    await sender.drain()
    await ama.tap("Thank", ama.messages()[-1])
    await _ask(kofi, "Kofi asks about exit tickets")
    await sender.drain()
    await ama.tap("Answer", ama.messages()[-1])
    await ama.send(AMA_TEXTS[16])
    await sender.drain()


def _about_her_question(trace: Trace, question_id: int) -> bool:
    """A row of Kofi's that goes with Ama's question or her answer: erased with her."""
    row = trace.row
    if trace.table in ("peer_answer", "peer_question_copy"):
        return row["question_id"] == question_id
    return trace.table == "outbox" and row["idempotency_key"].startswith("peer-")


def _partnership_ended(trace: Trace) -> bool:
    """The note that tells Kofi his partner left (queued by her erasure)."""
    return trace.table == "outbox" and trace.row["idempotency_key"].startswith("partner-ended-")


async def _ama_everywhere(fake, app, accra, sessions, clock, sender) -> tuple[Phone, Phone]:
    """Kofi and Ama in Accra 1, Ama with something in every table that can hold her."""
    kofi = Phone(fake, app, FakeUser(id=KOFI_CHAT, first_name="Kofi"))
    await _next_person_is(sessions, KOFI_ID, clock)
    await _join(kofi, accra.codes[Role.teacher], KOFI, "History")
    await identify(kofi)
    ama = Phone(fake, app, FakeUser(id=AMA_CHAT, first_name="Ama"))
    await _next_person_is(sessions, AMA_ID, clock)
    await _join(ama, accra.codes[Role.teacher], AMA, AMA_TEXTS[1])
    await ama.send(AMA_TEXTS[2])
    await ama.send(AMA_TEXTS[3])
    await ama.photo(caption=AMA_TEXTS[4])
    await ama.send(AMA_TEXTS[13])  # the baseline
    await ama.send(AMA_TEXTS[14])  # the success evidence
    await ama.tap("Eliciting evidence of learning")
    await ama.send(AMA_TEXTS[5])
    await ama.tap("4")
    clock.set(MONDAY_EVENING[0])
    await ama.send("/checkin")
    await ama.tap("Yes")
    await ama.send(AMA_TEXTS[6])
    await ama.voice(duration=25)
    await ama.tap("3")
    await ama.send(AMA_TEXTS[7])
    await ama.tap("Skip")
    await _ask_each_other(ama, kofi, sender)
    now = clock.now()
    scope = Scope("token:1", TokenRole.facilitator, circle_ids=frozenset({accra.circle_id}))
    async with transaction(sessions) as session:
        circle = await session.get_one(Circle, accra.circle_id)
        meeting = await meetings.schedule_meeting(
            session,
            circle=circle,
            starts_at=now + timedelta(days=2),
            place="Staff room",
            agenda=None,
            created_by=await session.get_one(Person, AMA_ID),
            now=now,
        )
        for pid, answer in ((AMA_ID, RsvpResponse.yes), (KOFI_ID, RsvpResponse.no)):
            session.add(Rsvp(meeting_id=meeting.id, person_id=pid, response=answer))
        session.add_all(
            [
                Reflection(
                    person_id=AMA_ID,
                    circle_id=circle.id,
                    meeting_id=meeting.id,
                    learnt=AMA_TEXTS[8],
                    will_change=AMA_TEXTS[9],
                    one_word=AMA_TEXTS[10],
                ),
                Reflection(person_id=KOFI_ID, circle_id=circle.id, learnt="Kofi learnt"),
            ]
        )
        common = {"circle_id": circle.id, "country": "GH", "language": "en"}
        kofis = Practice(
            author_id=KOFI_ID, status=PracticeStatus.published, title="Kofi's tickets", **common
        )
        draft = Practice(
            author_id=AMA_ID, title=AMA_TEXTS[11], content={"steps": AMA_TEXTS[12]}, **common
        )
        cards = Practice(
            author_id=AMA_ID,
            status=PracticeStatus.in_review,
            title="Sorting cards",
            summary=FIRST_PUBLISHED,
            content={"steps": "Sort, explain, regroup"},
            author_visible=True,
            **common,
        )
        session.add_all([kofis, draft, cards])
        await session.flush()
        session.add(Adoption(practice_id=kofis.id, person_id=AMA_ID))
        # Partners (rows only: the bot pairs teachers of different circles).
        together = Partnership(
            requester_id=AMA_ID,
            partner_id=KOFI_ID,
            requester_circle_id=circle.id,
            partner_circle_id=circle.id,
            strategy=Strategy.eliciting_evidence,
            status=PartnershipStatus.active,
            created_at=now,
        )
        session.add(together)
        await session.flush()
        for pid, words in ((AMA_ID, AMA_TEXTS[17]), (KOFI_ID, "Kofi writes to his partner")):
            session.add(
                PartnerMessage(
                    partnership_id=together.id, sender_id=pid, text=words, created_at=now
                )
            )
        await reviews.approve_practice(session, scope=scope, practice_id=cards.id, now=now)
        await sharing.share(session, circle=circle, practice_id=cards.id, now=now)
        broadcast = await broadcasts.create_broadcast(
            session,
            variants={"en": "Hub on Friday"},
            default_language="en",
            audience=broadcasts.Audience(countries=("GH",)),
            created_by="token:1",
            now=now,
        )
        await broadcasts.fan_out(session, broadcast=broadcast, now=now)
        token = await create_token(
            session, role=TokenRole.coordinator, name="hub", actor="test", now=now
        )
        session.add(
            WebSession(key_hash="k" * 64, token_id=token.token.id, expires_at=now + timedelta(1))
        )
    assert (await sender.drain()).sent >= 5
    await ama.send(f"/coordinator {token.secret}")
    async with transaction(sessions) as session:
        cards = await session.get_one(Practice, cards.id)
        await repository.revise(
            session, practice=cards, changes={"summary": "Sorting cards, shorter"}, now=now
        )
        await reviews.approve_practice(session, scope=scope, practice_id=cards.id, now=now)
    return ama, kofi


async def test_forgetme_leaves_nothing_of_the_teacher_in_any_table(
    fake, app, accra, sessions, clock, sender
) -> None:
    ama, _kofi = await _ama_everywhere(fake, app, accra, sessions, clock, sender)
    async with sessions() as session:
        others = select(Answer.value_text).where(
            Answer.person_id != AMA_ID, Answer.value_text.is_not(None)
        )
        typed = await session.scalars(  # what only she answered ("Africa/Accra" is not hers)
            select(Answer.value_text).where(
                Answer.person_id == AMA_ID, Answer.value_text.not_in(others)
            )
        )
        texts = [*AMA_TEXTS, *(t for t in typed if t)]
        before = await traces_of(session, person_id=AMA_ID, chat_id=AMA_CHAT, texts=texts)
        kofis = await traces_of(session, person_id=KOFI_ID, chat_id=KOFI_CHAT)
        pending = await session.scalar(
            select(func.count())
            .select_from(Outbox)
            .where(Outbox.address == str(AMA_CHAT), Outbox.state == OutboxState.pending)
        )
    assert pending == 1  # "now published", once more after her revision
    assert set(EXPORT_KEYS) - {t.table for t in before} == set()  # she is everywhere
    assert any(t.table == "outbox" and t.row["address"] == str(KOFI_CHAT) for t in before)

    await ama.send("/forgetme")
    await ama.tap("Yes, erase everything")

    async with sessions() as session:
        after = await traces_of(session, person_id=AMA_ID, chat_id=AMA_CHAT, texts=texts)
        assert {t.table for t in after} == REFUSAL_RECORD, after
        assert {t.found for t in after} == {"person id"}  # no name, text or chat id
        [person] = [t.row for t in after if t.table == "person"]
        [erasure] = [t.row for t in after if t.table == "auditlog"]
        assert {k: v for k, v in person.items() if v is not None} == {
            "id": AMA_ID,
            "language": "en",
            "timezone": "UTC",
            "consent": "refused",
            "practice_digest": True,
            "peer_questions": True,
            "partner_proposals": True,
            "forgotten_at": person["forgotten_at"],
            "created_at": person["created_at"],
        }
        assert (erasure["action"], erasure["target_id"], erasure["detail"]) == (
            "person.forget",
            AMA_ID,
            {},
        )
        assert "person:" + str(AMA_ID) not in erasure["actor"]
        # Kofi keeps every row; his copy of her practice no longer names her.
        # Her question and her answer go for everyone, with Kofi's answer and copies.
        kofis_now = await traces_of(session, person_id=KOFI_ID, chat_id=KOFI_CHAT)
        [asked] = [t.row["id"] for t in before if t.table == "peer_question"]
        # Their partnership ended: Kofi is told, without her name.
        [ended] = [t.row for t in kofis_now if _partnership_ended(t)]
        assert shown(ended["payload"], "en").text.startswith("Your partner has left")
        assert [(t.table, t.row["id"]) for t in kofis_now if not _partnership_ended(t)] == [
            (t.table, t.row["id"]) for t in kofis if not _about_her_question(t, asked)
        ]
        assert [t.row["text"] for t in kofis_now if t.table == "partner_message"] == [
            "Kofi writes to his partner"
        ]
        assert any(_about_her_question(t, asked) for t in kofis)
        assert [t.row["text"] for t in kofis_now if t.table == "peer_question"] == [
            "Kofi asks about exit tickets"
        ]
        [card] = [
            shown(t.row["payload"], "en").text
            for t in kofis_now
            if t.table == "outbox" and t.row["idempotency_key"].startswith("practice-share")
        ]
        assert "By …, Accra 1" in card and "Sort, explain, regroup" in card
        first = await traces_of(session, person_id=None, chat_id=None, texts=[FIRST_PUBLISHED])
        assert [(t.table, t.row["address"]) for t in first] == [("outbox", str(KOFI_CHAT))]
        published = await session.scalar(select(Practice).where(Practice.title == "Sorting cards"))
        assert published is not None and published.author_id is None
        assert published.summary == "Sorting cards, shorter"  # the repository keeps the text
        # Her week still counts as answered, on a row that is no one.
        [(week, nobody)] = (await session.execute(select(CheckIn, Person).join(Person))).all()
        assert (week.status, week.skip_reason, week.inquiry_id) == ("answered", None, None)
        assert (nobody.display_name, await identities_of(session, person_id=nobody.id)) == (
            None,
            [],
        )
        assert nobody.forgotten_at is not None
    before = len(fake.sent_to(AMA_CHAT))
    assert (await sender.drain()).sent == 1  # Kofi's note that his partner left, and only it
    assert len(fake.sent_to(AMA_CHAT)) == before  # her pending message is never sent


async def test_mydata_holds_every_row_that_names_the_teacher(
    fake, app, accra, sessions, clock, sender
) -> None:
    ama, _kofi = await _ama_everywhere(fake, app, accra, sessions, clock, sender)
    assert await ama.send("/mydata") == ["Here is everything I store about you."]
    upload = next(iter(fake.last_call("sendDocument").files.values()))
    data = json.loads(upload.content)
    async with sessions() as session:
        traces = await traces_of(session, person_id=AMA_ID, chat_id=AMA_CHAT)
    assert {t.table for t in traces} <= set(EXPORT_KEYS), "a table /mydata does not export"
    exported = {
        table: {row["id"] for row in ([data[key]] if key == "person" else data[key])}
        for table, key in EXPORT_KEYS.items()
    }
    missing = [(t.table, t.row["id"]) for t in traces if t.row["id"] not in exported[t.table]]
    assert missing == []
    assert all("token_hash" not in token for token in data["api_tokens"])
    assert {shown(m["payload"], "en").text[:17] for m in data["messages"]} >= {"A practice from a"}
