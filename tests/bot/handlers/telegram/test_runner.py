"""The operator's one-off questions to Telegram from ``circles`` (the invite link's bot name)."""

from __future__ import annotations

import pytest
from support.fakebotapi import FakeBotApi
from support.service import free_port

from bot.handlers.telegram.runner import TelegramUnavailable, fetch_username
from circles.settings import Settings


def _settings(settings: Settings, **changes: object) -> Settings:
    return Settings(_env_file=None, database_url=settings.database_url, **changes)  # type: ignore[call-arg]


async def test_an_invite_link_names_the_bot_telegram_knows(
    fake: FakeBotApi, settings: Settings
) -> None:
    with_token = _settings(settings, telegram_token=fake.token, telegram_api_url=fake.base_url)
    assert await fetch_username(with_token) == fake.bot_username


async def test_without_a_token_nobody_is_asked_and_the_link_keeps_its_placeholder(
    settings: Settings,
) -> None:
    assert await fetch_username(settings) is None


async def test_an_unreachable_telegram_is_reported_as_unavailable(
    settings: Settings,
) -> None:
    nowhere = _settings(
        settings, telegram_token="123:abc", telegram_api_url=f"http://127.0.0.1:{free_port()}"
    )
    with pytest.raises(TelegramUnavailable):
        await fetch_username(nowhere)
