"""A typed PTB context: what handlers need, instead of string keys in ``bot_data``."""

from __future__ import annotations

import asyncio

from telegram.ext import Application, CallbackContext, ExtBot

from circles.clock import Clock, SystemClock
from circles.db import SessionMaker
from circles.settings import Settings


class BotData:
    """Shared dependencies of every handler; filled in by :func:`.app.build_application`."""

    settings: Settings
    sessions: SessionMaker
    clock: Clock
    #: On SQLite (one writer) the updates' transactions take turns through this lock, so
    #: they never collide; their replies still go out side by side. None on PostgreSQL.
    write_lock: asyncio.Lock | None
    #: The channel account this bot is (``circles channel``); None: the default bot.
    account: int | None
    #: The default bot's username, for pointing members of its circles to it.
    default_username: str | None

    def __init__(self) -> None:
        self.clock = SystemClock()
        self.write_lock = None
        self.account = None
        self.default_username = None


class CirclesContext(CallbackContext[ExtBot[None], dict, dict, BotData]):
    """The context every handler receives."""

    @property
    def deps(self) -> BotData:
        """The shared dependencies."""
        return self.bot_data


CirclesApplication = Application[ExtBot[None], CirclesContext, dict, dict, BotData, None]
