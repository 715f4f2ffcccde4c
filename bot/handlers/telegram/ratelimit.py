"""One rate-limited path for everything the bot sends, within Telegram's limits.

Telegram allows a bot about 30 messages a second overall, one a second per private
chat and 20 a minute per group. Every send reserves the next free slot on its chat's
schedule and in the overall window (no more than 30 sends in any window of a little over
a second, so a few replies at once go out at once instead of 33 ms apart), then waits
for it. Bulk sends (the outbox) also
keep to their own, slower schedule (80 % of the overall rate), so replies to a teacher
who is answering always find room. Replies may come in a short burst (``reply_burst``
messages, as Telegram allows) so that marking a pressed button and sending the next
question do not keep the teacher waiting a second; over time a chat still gets at most
one message a second. A 429 blocks only the chat it names, for the
``retry_after`` it names.

Time is injected (``now`` and ``sleep``), so tests check the pacing without waiting.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

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


#: The overall window is this much longer than a second: booked slots and the moments
#: requests reach Telegram differ by a few milliseconds.
GLOBAL_WINDOW_MARGIN = 1.05


class TelegramLimits(BaseRateLimiter[dict[str, Any]]):
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
        # Overall: at most per_second sends in any window (a little over a second, so the
        # jitter between booking a slot and the request arriving cannot make it 31).
        self.global_cap = max(1, int(per_second))
        self.global_window = self.global_cap / per_second * GLOBAL_WINDOW_MARGIN
        self.bulk_gap = 1.0 / (per_second * bulk_share)
        self.private_gap = private_gap
        self.group_gap = 60.0 / group_per_minute
        self.reply_burst = max(1, reply_burst)
        self._now, self._sleep = now, sleep
        self._global_recent: collections.deque[float] = collections.deque()
        self._bulk_next = 0.0
        self._chat_next: dict[int, float] = {}
        self._chat_blocked: dict[int, float] = {}
        self._chat_recent: dict[int, collections.deque[float]] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    @property
    def bulk_interval(self) -> float:
        """Seconds between two bulk sends at the bulk share of the overall rate."""
        return self.bulk_gap

    async def pause(self, seconds: float) -> None:
        """Wait (on the injected clock) before a batch's shared window opens."""
        if seconds > 0:
            await self._sleep(seconds)

    def chat_ready_in(self, chat_id: int) -> float:
        """Seconds until ``chat_id`` may receive again (0 when it may now)."""
        free = max(self._chat_next.get(chat_id, 0.0), self._chat_blocked.get(chat_id, 0.0))
        return max(0.0, free - self._now())

    def block_chat(self, chat_id: int, seconds: float) -> None:
        """Send nothing to ``chat_id`` for ``seconds`` (after a 429 for that chat)."""
        self._chat_blocked[chat_id] = max(
            self._chat_blocked.get(chat_id, 0.0), self._now() + seconds
        )

    def reserve(self, chat_id: int | None, *, bulk: bool) -> float:
        """Book the next slot for a send to ``chat_id`` and return the seconds to wait."""
        now = self._now()
        slot = now
        if bulk:
            slot = max(slot, self._bulk_next)
        if chat_id is not None:
            gap = self.group_gap if chat_id < 0 else self.private_gap
            chat_next = self._chat_next.get(chat_id, 0.0)
            slot = max(slot, self._chat_blocked.get(chat_id, 0.0))
            recent = self._chat_recent.setdefault(chat_id, collections.deque())
            if bulk:
                slot = max(slot, chat_next)
            else:
                # A reply may follow the chat's last message at once, as long as the
                # chat got fewer than reply_burst messages in the last reply_burst gaps.
                slot = max(slot, chat_next - gap)
                window = self.reply_burst * gap
                while recent and recent[0] <= slot - window:
                    recent.popleft()
                if len(recent) >= self.reply_burst:
                    slot = max(slot, recent[-self.reply_burst] + window)
            recent.append(slot)
            while len(recent) > self.reply_burst:
                recent.popleft()
            self._chat_next[chat_id] = max(chat_next, slot + gap)
        slot = self._global_slot(slot)
        if chat_id is not None:
            self._chat_recent[chat_id][-1] = slot
            self._chat_next[chat_id] = max(self._chat_next[chat_id], slot + gap)
        if bulk:
            self._bulk_next = slot + self.bulk_gap
        return slot - now

    def _global_slot(self, earliest: float) -> float:
        """The first time from ``earliest`` when the overall window has room; booked."""
        recent = self._global_recent
        slot = earliest
        if len(recent) >= self.global_cap:
            slot = max(slot, recent[-self.global_cap] + self.global_window)
        recent.append(slot)
        while len(recent) > self.global_cap:
            recent.popleft()
        return slot

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
