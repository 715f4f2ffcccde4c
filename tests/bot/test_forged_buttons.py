"""Forged buttons: a modified client may send any callback data; nobody acts beyond their rights.

The stories behind issue #18: a visitor who never consented read practices with
``p:q:…`` and ``p:v:<id>``, and filed a reflection into another circle with
``x:reflect:<meeting id>``. Every id a button carries is checked against the presser,
and a foreign or malformed id gets the answer of a closed button. Last, a property:
random button data, through Telegram and through the simulator, breaks nothing and
changes nothing in a circle the presser does not belong to.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from support.fakebotapi import FakeBotApi, FakeUser
from support.pace import FakePace
from support.people import on_telegram
from support.phone import Phone
from support.places import add_circle
from support.story import onboard, onboard_facilitator
from support.web import buttons_of, csrf_of

from api.app import create_app
from bot.handlers.telegram.app import build_application
from bot.handlers.telegram.ratelimit import TelegramLimits
from circles.clock import FakeClock
from circles.db import SessionMaker, create_engine, create_sessionmaker, transaction
from circles.models import (
    FlowRun,
    Meeting,
    MeetingStatus,
    Membership,
    Person,
    Practice,
    PracticeStatus,
    Reflection,
    Role,
    Rsvp,
    ShareScope,
    Strategy,
)
from circles.services.invites import create_invite
from circles.services.repository import search_text_of
from circles.settings import Settings

CLOSED = "This question is already closed."
GONE = "This practice is no longer in the repository."


@dataclass
class Kumasi:
    """Another circle, with a meeting that has ended, one to come, and two practices."""

    circle_id: int
    past_meeting: int
    next_meeting: int
    shared: int  # published, shared with everyone
    own: int  # published, for Kumasi 1 only
    in_review: int


def _practice(circle_id: int, title: str, status: PracticeStatus, scope: ShareScope) -> Practice:
    practice = Practice(
        circle_id=circle_id,
        status=status,
        share_scope=scope,
        title=title,
        strategy=Strategy.eliciting_evidence,
        tags=[Strategy.eliciting_evidence.value],
        country="GH",
        language="en",
        summary="Every student answers on a mini whiteboard; the teacher regroups at once.",
        content={"steps": "1. Ask. 2. Everyone shows. 3. Regroup."},
        published_at=datetime(2026, 8, 3, tzinfo=UTC)
        if status is PracticeStatus.published
        else None,
    )
    practice.search_text = search_text_of(practice)
    return practice


async def make_kumasi(sessions: SessionMaker, now: datetime, name: str = "Kumasi 1") -> Kumasi:
    """Kumasi 1, a circle none of the test's people belong to."""
    async with transaction(sessions) as session:
        circle = await add_circle(session, name, now=now)
        kwame = Person(display_name="Kwame Asante", created_at=now)
        session.add(kwame)
        await session.flush()
        session.add(Membership(person_id=kwame.id, circle_id=circle.id, role=Role.facilitator))
        past = Meeting(
            circle_id=circle.id,
            starts_at=now - timedelta(days=2),
            ends_at=now - timedelta(days=2) + timedelta(hours=1),
            place="Kumasi library",
        )
        coming = Meeting(
            circle_id=circle.id,
            starts_at=now + timedelta(days=5),
            ends_at=now + timedelta(days=5, hours=1),
            place="Kumasi library",
        )
        shared = _practice(
            circle.id, "Whiteboards for everyone", PracticeStatus.published, ShareScope.everyone
        )
        own = _practice(
            circle.id, "Whiteboards in Kumasi", PracticeStatus.published, ShareScope.circle
        )
        waiting = _practice(
            circle.id, "Whiteboards under review", PracticeStatus.in_review, ShareScope.circle
        )
        session.add_all([past, coming, shared, own, waiting])
        await session.flush()
        assert past.id and coming.id and shared.id and own.id and waiting.id
        return Kumasi(circle.id, past.id, coming.id, shared.id, own.id, waiting.id)


async def foreign_traces(sessions: SessionMaker, kumasi: Kumasi) -> dict[str, object]:
    """What people outside Kumasi 1 could have changed there: all should stay as seeded."""
    meetings = (kumasi.past_meeting, kumasi.next_meeting)
    async with sessions() as session:
        return {
            "reflections": await session.scalar(
                select(func.count())
                .select_from(Reflection)
                .where(Reflection.circle_id == kumasi.circle_id)
            ),
            "reflection runs": await session.scalar(
                select(func.count()).select_from(FlowRun).where(FlowRun.meeting_id.in_(meetings))
            ),
            "meeting runs": await session.scalar(
                select(func.count())
                .select_from(FlowRun)
                .where(FlowRun.state["circle_id"].as_integer() == kumasi.circle_id)
            ),
            "rsvps": await session.scalar(
                select(func.count()).select_from(Rsvp).where(Rsvp.meeting_id.in_(meetings))
            ),
            "meeting": (await session.get_one(Meeting, kumasi.next_meeting)).status,
            "review": (await session.get_one(Practice, kumasi.in_review)).status,
            "versions": [
                (await session.get_one(Practice, i)).version
                for i in (kumasi.shared, kumasi.own, kumasi.in_review)
            ],
        }


UNTOUCHED = {
    "reflections": 0,
    "reflection runs": 0,
    "meeting runs": 0,
    "rsvps": 0,
    "meeting": MeetingStatus.scheduled,
    "review": PracticeStatus.in_review,
    "versions": [1, 1, 1],
}


@pytest.fixture
async def kumasi(sessions: SessionMaker, clock: FakeClock) -> Kumasi:
    return await make_kumasi(sessions, clock.now())


async def _visitor(phone, accra) -> Phone:
    """Kojo opened an invite link but never agreed to let the bot store his answers."""
    kojo = phone("Kojo")
    texts = await kojo.send(f"/start {accra.codes[Role.teacher]}")
    assert "Do you agree that we store your answers" in texts[-1]
    return kojo


async def test_a_visitor_who_has_not_consented_can_neither_search_nor_read_practices(
    phone, accra, kumasi: Kumasi
) -> None:
    kojo = await _visitor(phone, accra)
    consent = kojo.last_with_buttons()
    for data in ("p:q:0:whiteboards", f"p:v:{kumasi.shared}", "p:s:eliciting_evidence:0"):
        assert await kojo.tap_data(consent, data) == []
        assert kojo.last_notice() == CLOSED
    # The command is refused too: the consent question comes back instead.
    texts = await kojo.send("/practices whiteboards")
    assert "Do you agree that we store your answers" in texts[-1]
    assert not [text for text in kojo.everything_shown() if "Whiteboards" in text]
    # Agreeing still works: the consent buttons were not closed by the forged presses.
    assert (await kojo.tap("I agree", kojo.last_with_buttons()))[0].startswith("Which language")


async def test_a_visitor_who_has_not_consented_files_no_reflection(
    phone, accra, kumasi: Kumasi, sessions
) -> None:
    kojo = await _visitor(phone, accra)
    assert await kojo.tap_data(kojo.last_with_buttons(), f"x:reflect:{kumasi.past_meeting}") == []
    assert kojo.last_notice() == CLOSED
    assert await foreign_traces(sessions, kumasi) == UNTOUCHED


async def test_a_teacher_cannot_file_a_reflection_into_another_circle(
    ama: Phone, kumasi: Kumasi, sessions
) -> None:
    anywhere = ama.messages()[-1]
    assert await ama.tap_data(anywhere, f"x:reflect:{kumasi.past_meeting}") == []
    assert ama.last_notice() == CLOSED
    # The next message is not taken for a reflection either.
    await ama.send("We learnt a lot about hinge questions.")
    assert await foreign_traces(sessions, kumasi) == UNTOUCHED


async def test_a_teacher_reads_practices_shared_with_everyone_but_not_another_circles_own(
    ama: Phone, kumasi: Kumasi
) -> None:
    anywhere = ama.messages()[-1]
    texts = await ama.tap_data(anywhere, f"p:v:{kumasi.shared}")
    assert any("Whiteboards for everyone" in text for text in texts)
    for hidden in (kumasi.own, kumasi.in_review):
        assert await ama.tap_data(anywhere, f"p:v:{hidden}") == []
        assert ama.last_notice() == GONE
        assert await ama.tap_data(anywhere, f"p:a:{hidden}") == []
        assert ama.last_notice() == GONE
    assert await ama.tap_data(anywhere, f"p:r:{kumasi.shared}") == []  # not her practice
    assert ama.last_notice() == CLOSED


async def test_review_buttons_of_another_circle_change_nothing(
    phone, accra, ama: Phone, kumasi: Kumasi, sessions
) -> None:
    grace = await onboard_facilitator(phone, accra)
    for who in (ama, grace):
        anywhere = who.messages()[-1]
        for data in (
            f"r:approve:{kumasi.in_review}",
            f"r:changes:{kumasi.in_review}",
            "r:approve:²",
            "r:changes:99999999999999999999",
        ):
            texts = await who.tap_data(anywhere, data)
            assert texts in ([CLOSED], ["This is for the facilitators of a circle."])
    assert await foreign_traces(sessions, kumasi) == UNTOUCHED


async def test_a_facilitator_cannot_move_cancel_or_answer_another_circles_meeting(
    phone, accra, kumasi: Kumasi, sessions
) -> None:
    grace = await onboard_facilitator(phone, accra)
    anywhere = grace.messages()[-1]
    for data in (
        f"x:mcancel:{kumasi.next_meeting}",
        f"x:mmove:{kumasi.next_meeting}",
        f"x:rsvp:{kumasi.next_meeting}:yes",
    ):
        assert await grace.tap_data(anywhere, data) == []
        assert grace.last_notice() == CLOSED
    assert await foreign_traces(sessions, kumasi) == UNTOUCHED


@pytest.mark.parametrize(
    "data",
    [
        "p:v:²",
        "p:v:٣",
        "p:v:99999999999999999999",
        "p:v:9223372036854775808",
        "p:v:2147483648",
        "x:reflect:4294967296",
        "p:v:-1",
        "p:v:",
        "p:q:²:whiteboards",
        "p:q:99999999999999999999:whiteboards",
        "p:q:9223372036854775807:whiteboards",
        "p:q:0:white\x00boards",
        "p:s:\x00:0",
        "p:s:eliciting_evidence:99999999999999999999",
        "p:r:99999999999999999999",
        "x:reflect:²",
        "x:reflect:99999999999999999999",
        "x:rsvp:9223372036854775807:yes",
        "x:mcancel:-1",
        "x:codify:²",
        "x:codify:99999999999999999999",
        "x:edit:99999999999999999999:tried",
        "x:pause:²",
        "x:forget:99999999999999999999",
        "x:forget:-1",
        "o:²:yes",
        "o:99999999999999999999:",
        "r:approve:²",
        "r:changes:99999999999999999999",
        "c:99999999999999999999:1:yes",
        "c:1:²:yes",
        "x:",
        "x::",
        ":",
        "",
        "p:v:" + "9" * 5000,
        "x:reflect:1:" + "x" * 5000,
    ],
)
async def test_malformed_ids_are_answered_politely(ama: Phone, data: str, sessions) -> None:
    anywhere = ama.messages()[-1]
    texts = await ama.tap_data(anywhere, data)
    # A page of search or browse results, or the note of a closed button; never an apology.
    assert texts or ama.last_notice() in (CLOSED, GONE)
    assert not [text for text in texts if text.startswith("Sorry")]
    async with sessions() as session:
        person = await on_telegram(session, ama.user.id)
        assert person.forgotten_at is None and person.paused_until is None


# --- random button data through both doors ------------------------------------------------

#: Wednesday of the week the property's presses happen in.
NOW = datetime(2026, 9, 9, 10, 0, tzinfo=UTC)
_people = itertools.count(70_000)
_examples = itertools.count(1)
_APOLOGY = "Sorry"

#: Placeholders replaced by the ids of Kumasi 1's rows once they exist.
_KNOWN = ("{past}", "{next}", "{shared}", "{own}", "{review}")
ids = st.one_of(
    st.sampled_from(_KNOWN),
    st.integers(min_value=-3, max_value=2**70).map(str),
    st.sampled_from(["", "0", "²", "٣", "-1", "1e3", " 1", "0x1f", "2147483648", "\x00"]),
    st.text(max_size=12),
)
prefixes = st.sampled_from(
    [
        "p:q",
        "p:s:eliciting_evidence",
        "p:v",
        "p:a",
        "p:r",
        "p:off",
        "x:reflect",
        "x:rsvp",
        "x:mmove",
        "x:mcancel",
        "x:codify",
        "x:edit",
        "x:pause",
        "x:keep",
        "x:new",
        "o",
        "r:approve",
        "r:changes",
        "f:who",
        "c",
        "t",
        "d",
        "s",
    ]
)
structured = st.builds(
    lambda prefix, parts: ":".join([prefix, *parts]), prefixes, st.lists(ids, max_size=3)
)
button_data = st.one_of(structured, structured, st.text(max_size=80))


def _filled(data: str, kumasi: Kumasi) -> str:
    return (
        data.replace("{past}", str(kumasi.past_meeting))
        .replace("{next}", str(kumasi.next_meeting))
        .replace("{shared}", str(kumasi.shared))
        .replace("{own}", str(kumasi.own))
        .replace("{review}", str(kumasi.in_review))
    )


async def _world(url: str, run: Callable[[SessionMaker, FakeClock, Kumasi], Awaitable[None]]):
    """Kumasi 1 and a fresh database connection around ``run``."""
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    clock = FakeClock(NOW)
    try:
        kumasi = await make_kumasi(sessions, clock.now(), name=f"Kumasi {next(_people)}")
        await run(sessions, clock, kumasi)
        assert await foreign_traces(sessions, kumasi) == UNTOUCHED
    finally:
        await engine.dispose()


async def _through_telegram(url: str, datas: list[str], consent: bool) -> None:
    async def run(sessions: SessionMaker, clock: FakeClock, kumasi: Kumasi) -> None:
        async with transaction(sessions) as session:
            circle = await add_circle(session, f"Accra {next(_people)}", now=clock.now())
            invite = await create_invite(session, circle=circle, role=Role.teacher, now=clock.now())
            code = invite.code
        pace = FakePace()
        async with FakeBotApi() as fake:
            # Every example shares the test's database, whose bot remembers handled update
            # ids: start this fake Telegram's ids past the earlier examples'.
            fake._last_update_id = next(_examples) * 10_000
            config = Settings(  # type: ignore[call-arg]
                _env_file=None,
                database_url=url,
                telegram_token=fake.token,
                telegram_api_url=fake.base_url,
            )
            limits = TelegramLimits(now=pace.now, sleep=pace.sleep)
            app = build_application(config, sessions, clock, limits)
            await app.initialize()
            try:
                phone = Phone(fake, app, FakeUser(id=next(_people), first_name="Kojo"))
                if consent:
                    await onboard(phone, code)
                else:
                    await phone.send(f"/start {code}")
                anywhere = phone.messages()[-1]
                for data in datas:
                    texts = await phone.tap_data(anywhere, _filled(data, kumasi))
                    assert not [t for t in texts if t.startswith(_APOLOGY)], data
            finally:
                await app.shutdown()

    await _world(url, run)


async def _through_the_simulator(url: str, datas: list[str], consent: bool) -> None:
    async def run(sessions: SessionMaker, clock: FakeClock, kumasi: Kumasi) -> None:
        config = Settings(_env_file=None, database_url=url, simulator=True)  # type: ignore[call-arg]
        engine = create_engine(url)
        app = create_app(config, engine, clock)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
                csrf = csrf_of((await client.get("/simulator")).text)
                form = {"csrf": csrf, "language": "en", "name": "Zoe"}
                assert (await client.post("/simulator/start", data=form)).status_code == 303
                if consent:
                    for label in ("I agree", "✓ English"):
                        page = (await client.get("/simulator")).text
                        bubble, data = next(
                            (b, d) for b, d, shown in buttons_of(page) if shown == label
                        )
                        form = {"csrf": csrf, "data": data, "bubble": str(bubble)}
                        assert (await client.post("/simulator/press", data=form)).status_code == 303
                for data in datas:
                    form = {"csrf": csrf, "data": _filled(data, kumasi), "bubble": "0"}
                    pressed = await client.post("/simulator/press", data=form)
                    assert pressed.status_code < 500, data
                page = await client.get("/simulator")
                assert page.status_code == 200
                assert _APOLOGY not in page.text
        finally:
            await engine.dispose()

    await _world(url, run)


_PROPERTY = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_PROPERTY
@given(datas=st.lists(button_data, min_size=1, max_size=12), consent=st.booleans())
def test_random_button_data_through_telegram_never_breaks_or_reaches_another_circle(
    database_url: str, datas: list[str], consent: bool
) -> None:
    asyncio.run(_through_telegram(database_url, datas, consent))


@_PROPERTY
@given(datas=st.lists(button_data, min_size=1, max_size=12), consent=st.booleans())
def test_random_button_data_through_the_simulator_never_breaks_or_reaches_another_circle(
    database_url: str, datas: list[str], consent: bool
) -> None:
    asyncio.run(_through_the_simulator(database_url, datas, consent))
