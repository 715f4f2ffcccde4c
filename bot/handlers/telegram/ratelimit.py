"""One rate-limited path for everything the bot sends, within Telegram's limits.

Telegram allows a bot about 30 messages a second overall, one a second per private
chat and 20 a minute per group. The pacing is :class:`circles.pacing.Pacer`'s (shared
with WhatsApp): every send reserves the next free slot on its chat's schedule and in the
overall window (no more than 30 sends in any window of a little over a second, so a few
replies at once go out at once instead of 33 ms apart), then waits for it. Bulk sends
(the outbox) also keep to their own, slower schedule (80 % of the overall rate), so
replies to a teacher who is answering always find room. Replies may come in a short
burst (``reply_burst`` messages, as Telegram allows) so that marking a pressed button
and sending the next question do not keep the teacher waiting a second; over time a
chat still gets at most one message a second. A 429 blocks only the chat it names, for
the ``retry_after`` it names.

Time is injected (``now`` and ``sleep``), so tests check the pacing without waiting.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from circles.pacing import Pacer

log = logging.getLogger(__name__)

#: Bot API methods that put a message into a chat (and so count against the limits).
SENDING = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendVoice",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendMediaGroup",
        "sendLocation",
        "sendContact",
        "sendSticker",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
    }
)


def retry_seconds(error: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds.

    Read from ``__reduce__`` because PTB 22 warns on the ``retry_after`` accessor until
    ``PTB_TIMEDELTA`` is set, and the warning would reach operators' logs.
    """
    return float(error.__reduce__()[1][0])


class TelegramLimits(Pacer, BaseRateLimiter[dict[str, Any]]):
    """Paces sends per chat and overall; pass ``rate_limit_args={"bulk": True}`` for bulk."""

    def __init__(
        self,
        *,
        per_second: float = 30.0,
        bulk_share: float = 0.8,
        private_gap: float = 1.0,
        group_per_minute: float = 20.0,
        reply_burst: int = 3,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(
            per_second=per_second,
            bulk_share=bulk_share,
            gap=private_gap,
            reply_burst=reply_burst,
            now=now,
            sleep=sleep,
        )
        self.private_gap = private_gap
        self.group_gap = 60.0 / group_per_minute

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    def chat_ready_in(self, chat_id: int) -> float:
        """Seconds until ``chat_id`` may receive again (0 when it may now)."""
        return self.ready_in(chat_id)

    def block_chat(self, chat_id: int, seconds: float) -> None:
        """Send nothing to ``chat_id`` for ``seconds`` (after a 429 for that chat)."""
        self.block(chat_id, seconds)

    def reserve(self, key: Hashable | None, *, bulk: bool, gap: float | None = None) -> float:
        """Book the next slot for a send to chat ``key`` (a group's chat id is negative)
        and return the seconds to wait."""
        if gap is None and isinstance(key, int):
            gap = self.group_gap if key < 0 else self.private_gap
        return super().reserve(key, bulk=bulk, gap=gap)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for a slot and send; a reply that meets a 429 waits for its chat, then retries."""
        if endpoint not in SENDING:
            return await callback(*args, **kwargs)
        bulk = bool((rate_limit_args or {}).get("bulk"))
        raw_chat = str(data.get("chat_id", ""))
        chat_id = int(raw_chat) if raw_chat.lstrip("-").isdigit() else None
        for attempt in range(2):
            wait = self.reserve(chat_id, bulk=bulk)
            if wait > 0:
                await self._sleep(wait)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                seconds = retry_seconds(error)
                if chat_id is not None:
                    self.block_chat(chat_id, seconds)
                log.warning("Telegram asked to wait %.0fs for a chat", seconds)
                if bulk or attempt:
                    raise
        raise AssertionError("unreachable")
