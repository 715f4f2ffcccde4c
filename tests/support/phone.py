"""A teacher's phone for tests: send messages and press buttons through the fake Bot API.

Each action builds a real Telegram update with :class:`FakeBotApi`, pushes it through the
application (``process_update``), and returns the texts the bot sent back meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application

from .fakebotapi import FakeBotApi, FakeUser


@dataclass
class Phone:
    """One Telegram user talking to the bot in a private chat."""

    fake: FakeBotApi
    app: Application
    user: FakeUser

    @property
    def chat_id(self) -> int:
        return self.user.id

    async def deliver(self, update: dict[str, Any]) -> list[str]:
        """Push ``update`` through the bot; return the texts it sent to this chat meanwhile."""
        before = len(self.fake.sent_to(self.chat_id))
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return [
            m.get("text") or m.get("caption") or ""
            for m in self.fake.sent_to(self.chat_id)[before:]
        ]

    async def send(self, text: str) -> list[str]:
        """Type ``text`` (a command if it starts with /)."""
        return await self.deliver(self.fake.user_message(self.user, text, enqueue=False))

    async def photo(self, caption: str | None = None) -> list[str]:
        return await self.deliver(self.fake.user_photo(self.user, caption=caption, enqueue=False))

    async def voice(self, duration: int = 12) -> list[str]:
        return await self.deliver(self.fake.user_voice(self.user, duration=duration, enqueue=False))

    async def sticker(self) -> list[str]:
        return await self.deliver(self.fake.user_sticker(self.user, enqueue=False))

    async def location(self) -> list[str]:
        return await self.deliver(
            self.fake.user_location(self.user, latitude=5.6, longitude=-0.19, enqueue=False)
        )

    async def contact(self) -> list[str]:
        return await self.deliver(
            self.fake.user_contact(
                self.user, phone_number="+233200000000", first_name="Kofi", enqueue=False
            )
        )

    def messages(self) -> list[dict[str, Any]]:
        """Every message the bot sent to this chat, as it looks now."""
        return self.fake.sent_to(self.chat_id)

    def last_with_buttons(self) -> dict[str, Any]:
        """The newest bot message that still shows buttons."""
        for message in reversed(self.messages()):
            if self.fake.buttons(message):
                return message
        raise AssertionError(f"no message with buttons; texts: {self.fake.texts_to(self.chat_id)}")

    def labels(self, message: dict[str, Any] | None = None) -> list[str]:
        """The button labels of ``message`` (default: the newest message with buttons)."""
        message = message or self.last_with_buttons()
        return [b["text"] for row in self.fake.buttons(message) for b in row]

    def button_data(self, label: str, message: dict[str, Any] | None = None) -> str:
        """The callback data of the button labelled ``label``."""
        message = message or self.last_with_buttons()
        for row in self.fake.buttons(message):
            for button in row:
                if button["text"] == label:
                    return button["callback_data"]
        raise AssertionError(f"no button {label!r}; buttons: {self.labels(message)}")

    async def tap(self, label: str, message: dict[str, Any] | None = None) -> list[str]:
        """Press the button labelled ``label`` (on the newest message with buttons by default)."""
        message = message or self.last_with_buttons()
        data = self.button_data(label, message)
        return await self.deliver(self.fake.user_click(self.user, message, data, enqueue=False))

    async def tap_data(self, message: dict[str, Any], data: str) -> list[str]:
        """Press a button by its data, even one no longer shown (an old or double press)."""
        return await self.deliver(
            self.fake.user_click(self.user, message, data, check=False, enqueue=False)
        )

    def last_notice(self) -> str | None:
        """The text shown for the last button press (answerCallbackQuery)."""
        answers = self.fake.callback_answers
        return answers[-1].get("text") if answers else None

    async def tap_nth(self, index: int, message: dict[str, Any] | None = None) -> list[str]:
        """Press the ``index``-th button (any language), on the newest message with buttons."""
        message = message or self.last_with_buttons()
        return await self.tap(self.labels(message)[index], message)

    def everything_shown(self) -> list[str]:
        """Every text and button label the bot has shown in this chat."""
        shown = []
        for message in self.messages():
            shown.append(message.get("text") or message.get("caption") or "")
            shown += self.labels(message) if self.fake.buttons(message) else []
        return shown
