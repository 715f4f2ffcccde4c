"""One circle, two apps: teachers on Telegram and on WhatsApp are one circle to its
facilitator. The week's check-ins open for all of them; some answer on each app; the
facilitator's /summary and the API's summary count everyone, and /who names whoever has
not answered, whichever app they use."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr
from support.fakebotapi import FakeBotApi, FakeUser
from support.pace import FakePace
from support.phone import Phone
from support.places import CircleSetup
from support.story import identify, onboard_facilitator

from bot.handlers.telegram.app import build_application
from bot.handlers.telegram.context import CirclesApplication
from bot.handlers.telegram.ratelimit import TelegramLimits
from bot.handlers.telegram.sender import OutboxSender
from bot.handlers.whatsapp.sender import WhatsAppSender
from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import Circle, Role, TokenRole
from circles.services.tokens import create_token
from circles.settings import Settings
from scheduler.jobs import checkin_sweep

from .conftest import WaPhone, shown

#: Monday 7 September 2026, 16:00 in Accra: Accra 1's check-ins open.
OPENS = datetime(2026, 9, 7, 16, 0, tzinfo=UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        yield api


@pytest.fixture
def limits() -> TelegramLimits:
    """Telegram's limits on a fake pace: computed, never waited for."""
    pace = FakePace()
    return TelegramLimits(now=pace.now, sleep=pace.sleep)


@pytest.fixture
async def telegram(
    fake: FakeBotApi,
    settings: Settings,
    sessions: SessionMaker,
    clock: FakeClock,
    limits: TelegramLimits,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[CirclesApplication]:
    """The real Telegram bot on the fake Bot API, next to the WhatsApp door."""
    bot_settings = settings.model_copy(
        update={"telegram_token": SecretStr(fake.token), "telegram_api_url": fake.base_url}
    )
    application = build_application(bot_settings, sessions, clock, limits)
    await application.initialize()
    caplog.set_level(logging.INFO)
    yield application
    await application.shutdown()
    crashes = [r for r in caplog.records if r.name == "bot.handlers.telegram.errors"]
    assert not crashes, f"a handler crashed: {crashes[0].exc_info}"


@pytest.fixture
def phone(fake: FakeBotApi, telegram: CirclesApplication) -> Callable[..., Phone]:
    """Make a phone for a new Telegram user."""
    ids = iter(range(1000, 2000))

    def make(first_name: str) -> Phone:
        return Phone(fake, telegram, FakeUser(id=next(ids), first_name=first_name))

    return make


@pytest.fixture
def tg_sender(
    telegram: CirclesApplication, sessions: SessionMaker, clock: FakeClock, limits: TelegramLimits
) -> OutboxSender:
    """The Telegram outbox sender, on the fake Bot API."""
    return OutboxSender(telegram.bot, sessions, clock, limits)


async def telegram_teacher(phone: Callable[..., Phone], code: str, name: str) -> Phone:
    """``name`` joins on Telegram, onboards and names a practice."""
    teacher = phone(name.split()[0])
    await teacher.send(f"/start {code}")
    await teacher.tap("I agree")
    await teacher.tap("✓ English")
    await teacher.tap("Africa/Accra")
    await teacher.send(name)
    await teacher.send("Mathematics")
    [done] = await teacher.tap("Lower secondary")
    assert done.startswith(f"You are all set, {name}!")
    await identify(teacher)
    return teacher


async def whatsapp_teacher(wa_phone: Callable[..., WaPhone], code: str, name: str) -> WaPhone:
    """``name`` joins on WhatsApp by the wa.me link's text, onboards and names a practice."""
    teacher = wa_phone(name)
    await teacher.join(code)
    await teacher.send("Many students copy answers without checking.")
    await teacher.send("About a third of my Year 8 class")
    await teacher.send("Exit tickets from Tuesday")
    await teacher.send("Most copy the answer from a neighbour.")
    await teacher.send("Every student explains their own answer.")
    await teacher.tap("Eliciting evidence of learning")
    await teacher.send("Mini whiteboards for one hinge question per lesson.")
    [thanks] = await teacher.tap("4")
    assert thanks.startswith("Thank you! From next week")
    return teacher


INVITATION = "Time for this week's check-in about your practice"


async def answer_on_telegram(teacher: Phone, rating: str) -> None:
    """Answer the week's invitation from its own buttons."""
    [invitation] = [m for m in teacher.messages() if m.get("text", "").startswith(INVITATION)]
    await teacher.tap("Partly", invitation)
    await teacher.send("Whiteboards on two days")
    await teacher.send("Half the class got it")
    await teacher.tap(rating)
    await teacher.send("Shorter questions")
    [saved] = await teacher.tap("Skip")
    assert saved.startswith("Thank you, your check-in is saved.")


async def answer_on_whatsapp(teacher: WaPhone, rating: str) -> None:
    """Answer the week's invitation (it is the newest message with choices)."""
    assert shown(teacher.last_interactive()).startswith(INVITATION)
    await teacher.tap("Partly")
    await teacher.send("Whiteboards on two days")
    await teacher.send("Half the class got it")
    await teacher.tap(rating)
    await teacher.send("Shorter questions")
    [saved] = await teacher.tap("Skip")
    assert saved.startswith("Thank you, your check-in is saved.")


async def test_a_facilitator_counts_teachers_on_both_apps(
    phone,
    wa_phone,
    accra: CircleSetup,
    sessions: SessionMaker,
    clock: FakeClock,
    tg_sender: OutboxSender,
    wa_sender: WhatsAppSender,
    api: httpx.AsyncClient,
    fake: FakeBotApi,
) -> None:
    code = accra.codes[Role.teacher]
    grace = await onboard_facilitator(phone, accra)
    ama = await telegram_teacher(phone, code, "Ama Mensah")
    kofi = await telegram_teacher(phone, code, "Kofi Asante")
    efua = await whatsapp_teacher(wa_phone, code, "Efua Boateng")
    yaw = await whatsapp_teacher(wa_phone, code, "Yaw Darko")

    # The week opens for all four, each on their own app.
    clock.set(OPENS)
    assert (await checkin_sweep(sessions, clock)).opened == 4
    await tg_sender.drain()
    await wa_sender.drain()
    for teacher in (ama, kofi):
        assert any(t.startswith(INVITATION) for t in fake.texts_to(teacher.chat_id))
    for teacher in (efua, yaw):
        assert shown(teacher.last_interactive()).startswith(INVITATION)

    # One answers on each app.
    await answer_on_telegram(ama, "4")
    await answer_on_whatsapp(efua, "2")

    [summary] = await grace.send("/summary")
    assert "2 of 4 teachers answered this week (50%)." in summary
    [not_answered] = [line for line in summary.splitlines() if line.startswith("Not answered")]
    assert "Kofi Asante" in not_answered and "Yaw Darko" in not_answered
    assert "Ama Mensah" not in not_answered and "Efua Boateng" not in not_answered
    assert "How well it worked: 3" in summary  # (4 + 2) / 2, from both apps

    [who] = await grace.send("/who")
    assert "✅ Ama Mensah: answered" in who
    assert "✅ Efua Boateng: answered" in who
    assert "⏳ Kofi Asante: open" in who
    assert "⏳ Yaw Darko: open" in who

    async with transaction(sessions) as session:
        circle = await session.get(Circle, accra.circle_id)
        token = await create_token(
            session,
            role=TokenRole.facilitator,
            name="grace",
            actor="test",
            now=clock.now(),
            circle=circle,
        )
    response = await api.get(
        f"/v1/circles/{accra.circle_id}/summary",
        headers={"Authorization": f"Bearer {token.secret}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["teachers"], body["expected"], body["answered"]) == (4, 4, 2)
    assert sorted(p["name"] for p in body["not_answered"]) == ["Kofi Asante", "Yaw Darko"]
    assert body["ratings"]["mean"] == 3.0
