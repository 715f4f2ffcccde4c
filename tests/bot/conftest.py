"""Fixtures for bot tests: a fake Bot API on loopback, the real application, a circle."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

import pytest
from support.fakebotapi import FakeBotApi, FakeUser
from support.pace import FakePace
from support.phone import Phone
from support.places import CircleSetup, staffed_circle
from support.story import onboard

from bot.handlers.telegram.app import build_application
from bot.handlers.telegram.context import CirclesApplication
from bot.handlers.telegram.ratelimit import TelegramLimits
from bot.handlers.telegram.sender import OutboxSender
from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import Role
from circles.settings import Settings


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        yield api


@pytest.fixture
def pace() -> FakePace:
    """The rate limiter's clock: pacing is computed, never waited for."""
    return FakePace()


@pytest.fixture
def limits(pace: FakePace) -> TelegramLimits:
    """Telegram's limits on the fake pace."""
    return TelegramLimits(now=pace.now, sleep=pace.sleep)


@pytest.fixture
async def app(
    fake: FakeBotApi,
    settings: Settings,
    sessions: SessionMaker,
    clock: FakeClock,
    limits: TelegramLimits,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[CirclesApplication]:
    """The real bot, talking to the fake Bot API; fails the test if a handler crashed."""
    bot_settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=settings.database_url,
        telegram_token=fake.token,
        telegram_api_url=fake.base_url,
    )
    application = build_application(bot_settings, sessions, clock, limits)
    await application.initialize()
    caplog.set_level(logging.INFO)
    yield application
    await application.shutdown()
    crashes = [r for r in caplog.records if r.name == "bot.handlers.telegram.errors"]
    assert not crashes, f"a handler crashed: {crashes[0].exc_info}"


@pytest.fixture
async def accra(sessions: SessionMaker, clock: FakeClock) -> CircleSetup:
    """Accra 1: English, Africa/Accra, check-ins Monday 16:00, facilitator Grace Owusu."""
    async with transaction(sessions) as session:
        return await staffed_circle(session, "Accra 1", "Grace Owusu", now=clock.now())


@pytest.fixture
def phone(fake: FakeBotApi, app: CirclesApplication) -> Callable[..., Phone]:
    """Make a phone for a new Telegram user."""
    counter = iter(range(1000, 2000))

    def make(first_name: str = "Ama", language_code: str = "en") -> Phone:
        user = FakeUser(id=next(counter), first_name=first_name, language_code=language_code)
        return Phone(fake, app, user)

    return make


@pytest.fixture
async def ama(phone, accra: CircleSetup) -> Phone:
    """A teacher who has joined Accra 1 and been onboarded; identify's first question is open."""
    teacher = phone("Ama")
    teacher.user.last_name = "Mensah"
    await onboard(teacher, accra.codes[Role.teacher])
    return teacher


@pytest.fixture
def sender(
    app: CirclesApplication, sessions: SessionMaker, clock: FakeClock, limits: TelegramLimits
) -> OutboxSender:
    """The outbox sender of the bot, on the fake Bot API."""
    return OutboxSender(app.bot, sessions, clock, limits)
