"""Facilitators follow their circle from the bot: summary, who, nudge, circle, review, digest.

The flow functions are called directly (no Telegram): a sender in, replies out.
Paulo facilitates the demo circle (Brazil), Sérgio represents its union, Ana teaches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from support.people import telegram_identity
from support.world import WEDNESDAY_W35, World, build_world

from bot.flows import door
from bot.flows.digest import weekly_digest
from bot.flows.door import Inbound
from bot.flows.fit import fit
from bot.flows.inputs import Input, InputKind
from bot.flows.messages import Sender
from bot.flows.queued import shown
from bot.handlers.telegram.render import TELEGRAM
from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.i18n import translate, use_language
from circles.models import (
    AuditLog,
    Channel,
    CheckIn,
    CheckInStatus,
    Outbox,
    Person,
    Phase,
    Practice,
    PracticeStatus,
)
from circles.settings import Settings

PAULO = Sender(Channel.telegram, "5101", "Paulo")
SERGIO = Sender(Channel.telegram, "5201", "Sérgio")
ANA = Sender(Channel.telegram, "5001", "Ana")
#: Monday of W36 after the check-in opened in São Paulo (16:00 there is 19:00 UTC).
MONDAY_W36 = datetime(2026, 8, 31, 20, 0, tzinfo=UTC)


@pytest.fixture
async def world(sessions: SessionMaker, clock: FakeClock) -> World:
    built = await build_world(sessions)
    async with transaction(sessions) as session:
        await session.execute(
            update(Person)
            .where(Person.id.in_([built.facilitator_a, built.union_rep_a]))
            .values(language="en")
        )
    clock.set(WEDNESDAY_W35)
    return built


@dataclass(frozen=True)
class Key:
    label: str
    data: str


@dataclass(frozen=True)
class Seen:
    """One message as Telegram shows it: its text and rows of buttons."""

    text: str
    buttons: tuple[tuple[Key, ...], ...]


def settled(event) -> Seen:
    """One event as the door shows it, in the current language (each event on its own)."""
    [message] = fit([event], None, TELEGRAM).messages
    return Seen(message.text, tuple(tuple(Key(*key) for key in row) for row in message.keys))


async def through_door(sessions, inbound: Inbound, sender: Sender, settings, clock) -> list[Seen]:
    """What the door answers, as it shows it: in the reader's language, buttons encoded."""
    async with transaction(sessions) as session:
        handled = await door.handle(
            session, sender=sender, inbound=inbound, settings=settings, now=clock.now()
        )
    with use_language(handled.language):
        return [settled(reply) for reply in handled.outcome.events]


async def ask(sessions: SessionMaker, command: str, sender: Sender, settings, clock) -> list[Seen]:
    return await through_door(sessions, Inbound(command=command), sender, settings, clock)


async def press(sessions, data: str, sender: Sender, settings, clock) -> list[Seen]:
    return await through_door(sessions, Inbound(data=data), sender, settings, clock)


def datas(reply: Seen) -> list[str]:
    return [button.data for row in reply.buttons for button in row]


async def test_a_facilitator_reads_this_weeks_summary(
    world: World, sessions: SessionMaker, settings: Settings, clock: FakeClock
) -> None:
    [reply] = await ask(sessions, "summary", PAULO, settings, clock)
    lines = reply.text.splitlines()
    assert lines[0] == "Demo circle · week 35 (Aug 24\u2009–\u200930)"
    assert lines[1] == "8 of 10 teachers answered this week (80%)."
    assert lines[2] == "Not answered yet: Giulia Rossi, Efua Boateng"
    assert lines[3] == "Phases: pilot 10"
    assert lines[4].startswith("How well it worked: ") and lines[4].endswith("↗")
    assert datas(reply) == ["f:who", "f:nudge"]


async def test_a_union_rep_reads_it_without_names_or_buttons(
    world: World, sessions: SessionMaker, settings: Settings, clock: FakeClock
) -> None:
    [reply] = await ask(sessions, "summary", SERGIO, settings, clock)
    assert "8 of 10 teachers answered" in reply.text
    assert "Giulia" not in reply.text and "Not answered yet" not in reply.text
    assert reply.buttons == ()
    refused = await ask(sessions, "who", SERGIO, settings, clock)
    assert refused[0].text == "This is for the facilitators of a circle."
    [about] = await ask(sessions, "circle", SERGIO, settings, clock)
    assert about.text.startswith("Demo circle (Brazil)")


async def test_teachers_and_strangers_are_told_what_these_commands_are_for(
    world: World, sessions: SessionMaker, settings: Settings, clock: FakeClock
) -> None:
    message = "This is for the facilitators and union representatives of a circle."
    for sender, language in (
        (ANA, "pt_BR"),
        (Sender(Channel.telegram, "999", "Nobody", "en"), "en"),
    ):
        [reply] = await ask(sessions, "summary", sender, settings, clock)
        assert reply.text == translate(message, language)
        assert reply.buttons == ()


async def test_a_brazilian_facilitator_gets_portuguese_labels(
    world: World, sessions: SessionMaker, settings: Settings, clock: FakeClock
) -> None:
    async with transaction(sessions) as session:
        paulo = await session.get_one(Person, world.facilitator_a)
        paulo.language = "pt_BR"
    [reply] = await ask(sessions, "summary", PAULO, settings, clock)
    assert "experimentação 10" in reply.text
    assert "(24\u2009–\u200930 de ago.)" in reply.text


async def test_who_shows_every_teacher_and_nudge_reminds_once_a_day(
    world: World, sessions: SessionMaker, settings: Settings, clock: FakeClock
) -> None:
    [w35] = await ask(sessions, "who", PAULO, settings, clock)
    assert "✅ Ana Souza: answered" in w35.text and "❌ Giulia Rossi: missed" in w35.text
    assert w35.buttons == ()  # nobody left to remind in a closed week

    clock.set(MONDAY_W36)
    async with transaction(sessions) as session:
        kwame = await session.get_one(Person, world.teachers_a[1])
        session.add(telegram_identity(kwame, 5002))
        open_checkin = CheckIn(
            person_id=world.author_a,
            circle_id=world.a.circle,
            phase=Phase.pilot,
            scheduled_for=datetime(2026, 8, 31, 19, 0, tzinfo=UTC),
            status=CheckInStatus.open,
        )
        session.add(open_checkin)
        await session.flush()
        checkin_id = open_checkin.id
    [w36] = await ask(sessions, "who", PAULO, settings, clock)
    assert "⏳ Ana Souza: open" in w36.text and "… Kwame Mensah: not opened" in w36.text
    assert datas(w36) == ["f:nudge"]

    [sent] = await press(sessions, "f:nudge", PAULO, settings, clock)
    assert sent.text.splitlines()[1] == "Reminders sent to 2 teachers: Ana Souza, Kwame Mensah."
    async with sessions() as session:
        messages = {int(m.address): m for m in await session.scalars(select(Outbox))}
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "checkin.nudge"))
    ana, kwame = messages[5001], messages[5002]
    assert ana.idempotency_key == "nudge-2026-08-31"  # São Paulo's date
    open_label = translate("Open my check-in", "pt_BR")
    ana_sees, kwame_sees = shown(ana.payload, "pt_BR"), shown(kwame.payload, "en")
    assert ana_sees.buttons == (((open_label, f"o:{checkin_id}:"),),)
    assert "Paulo Freire-Costa" in ana_sees.text
    assert "/checkin" in kwame_sees.text and kwame_sees.buttons == ()
    assert audit is not None and audit.detail == {"queued": 2}

    clock.advance(timedelta(hours=1))
    [again] = await ask(sessions, "nudge", PAULO, settings, clock)
    assert again.text.splitlines()[1] == "2 teachers were already reminded today."
    clock.advance(timedelta(days=1))
    [next_day] = await ask(sessions, "nudge", PAULO, settings, clock)
    assert "Reminders sent to 2 teachers" in next_day.text


async def test_circle_shows_rhythm_members_and_next_meeting(
    world: World, sessions: SessionMaker, settings: Settings, clock: FakeClock
) -> None:
    clock.set(WEDNESDAY_W35 - timedelta(hours=1))
    [reply] = await ask(sessions, "circle", PAULO, settings, clock)
    assert reply.text.splitlines() == [
        "Demo circle (Brazil)",
        "Check-ins: Monday at 4:00\u202fPM (America/Sao_Paulo)",
        "10 teachers · 2 facilitators · 1 union representative",
        "Next meeting: Wed, Aug 26, 2026, 4:00\u202fPM — School library",  # Paulo's time
    ]


async def test_approving_a_practice_from_the_bot(
    world: World, sessions: SessionMaker, settings: Settings, clock: FakeClock
) -> None:
    [card] = await ask(sessions, "review", PAULO, settings, clock)
    assert card.text.startswith("“Mini whiteboards for hinge questions” — Ana Souza")
    assert "Steps: Ask, show, regroup" in card.text and "Ratings: 2 → 3 → 4 ↗" in card.text
    practice = world.a.practice
    assert datas(card) == [f"r:approve:{practice}", f"r:changes:{practice}"]
    [done] = await press(sessions, f"r:approve:{practice}", PAULO, settings, clock)
    assert done.text == (
        "Published: “Mini whiteboards for hinge questions”. The author has been told."
    )
    async with sessions() as session:
        stored = await session.get_one(Practice, practice)
        message = await session.scalar(select(Outbox).where(Outbox.address == "5001"))
    assert stored.status is PracticeStatus.published and message is not None
    [twice] = await press(sessions, f"r:approve:{practice}", PAULO, settings, clock)
    assert twice.text == "“Mini whiteboards for hinge questions” has already been reviewed."
    [nothing] = await ask(sessions, "review", PAULO, settings, clock)
    assert nothing.text == "No practice is waiting for review."


async def test_the_review_card_shows_the_whole_practice_under_its_photos(
    world: World, sessions: SessionMaker, settings: Settings, clock: FakeClock
) -> None:
    async with transaction(sessions) as session:
        practice = await session.get_one(Practice, world.a.practice)
        practice.content = {
            **practice.content,
            "evidence": "Two thirds got the exit question right by week three.",
            "conditions": "Needs a whiteboard per pair; not with more than 35 students.",
            "lessons": "Ask one hinge question, not three.",
            "evidence_photos": ["photo-2", "photo-3"],
        }
    photo, second, card = await ask(sessions, "review", PAULO, settings, clock)
    assert photo.text == "Evidence of impact: “Mini whiteboards for hinge questions”"
    assert second.text == photo.text
    for part in (
        "Evidence: Two thirds got the exit question right by week three.",
        "Conditions and pitfalls: Needs a whiteboard per pair",
        "Lessons learnt: Ask one hinge question, not three.",
        "Ratings: 2 → 3 → 4 ↗",
    ):
        assert part in card.text
    assert datas(card) == [f"r:approve:{practice.id}", f"r:changes:{practice.id}"]


async def test_requesting_changes_takes_the_next_message_as_the_comment(
    world: World, sessions: SessionMaker, settings: Settings, clock: FakeClock
) -> None:
    practice = world.a.practice
    [prompt] = await press(sessions, f"r:changes:{practice}", PAULO, settings, clock)
    assert str(prompt.text).startswith("What should the author change?")
    voice = await through_door(
        sessions,
        Inbound(message=Input(InputKind.voice, file_id="v", duration=5)),
        PAULO,
        settings,
        clock,
    )
    assert str(voice[0].text) == "Please type the comment: a voice note cannot be passed on."
    comment = "Say how long each step takes."
    replies = await through_door(
        sessions, Inbound(message=Input(InputKind.text, text=comment)), PAULO, settings, clock
    )
    assert str(replies[-1].text) == (
        "“Mini whiteboards for hinge questions” goes back to its author with your comment."
    )
    async with sessions() as session:
        stored = await session.get_one(Practice, practice)
        message = await session.scalar(select(Outbox).where(Outbox.address == "5001"))
    assert stored.status is PracticeStatus.changes_requested
    assert stored.review_comment == comment
    assert message is not None and shown(message.payload, "pt_BR").text.endswith(comment)
    # A union representative's or a stranger's press changes nothing.
    [closed] = await press(sessions, f"r:approve:{world.b.practice}", PAULO, settings, clock)
    assert closed.text == "This question is already closed."


async def test_the_weekly_digest_names_phases_repeat_absences_and_what_to_do(
    world: World, sessions: SessionMaker, clock: FakeClock
) -> None:
    async with transaction(sessions) as session:
        recent = CheckIn.scheduled_for >= datetime(2026, 8, 17, tzinfo=UTC)
        await session.execute(
            update(CheckIn)
            .where(CheckIn.circle_id == world.a.circle, recent)
            .values(status=CheckInStatus.answered)
        )
        efua = world.teachers_a[-1]
        await session.execute(
            update(CheckIn)
            .where(CheckIn.person_id == efua, recent)
            .values(status=CheckInStatus.missed)
        )
        paulo = await session.get_one(Person, world.facilitator_a)
    async with transaction(sessions) as session:
        [digest] = await weekly_digest(session, person=paulo, now=clock.now())
    with use_language(paulo.language):
        digest = settled(digest)
    text = digest.text
    assert text.startswith("Your weekly digest\nDemo circle · week 35 (Aug 24\u2009–\u200930)")
    assert "Pilot: Ana Souza, Kwame Mensah" in text
    assert "Missed two check-ins in a row: Efua Boateng" in text
    assert "• Ana Souza: 🎤 voice note (12 s)" in text
    assert "• Mi-rae Kim: Learnt something (inspiring)" in text
    assert "private" not in text  # Ana kept that reflection to herself
    assert "1 practice is waiting for your review." in text
    assert datas(digest) == ["f:review", "f:who"]
