"""A typed PTB context: what handlers need, instead of string keys in ``bot_data``."""

from __future__ import annotations

from telegram.ext import Application, CallbackContext, ExtBot

from circles.clock import Clock, SystemClock
from circles.db import SessionMaker
from circles.settings import Settings


class BotData:
    """Shared dependencies of every handler; filled in by :func:`bot.app.build_application`."""

    settings: Settings
    sessions: SessionMaker
    clock: Clock

    def __init__(self) -> None:
        self.clock = SystemClock()


class CirclesContext(CallbackContext[ExtBot[None], dict, dict, BotData]):
    """The context every handler receives."""

    @property
    def deps(self) -> BotData:
        """The shared dependencies."""
        return self.bot_data


CirclesApplication = Application[ExtBot[None], CirclesContext, dict, dict, BotData, None]
