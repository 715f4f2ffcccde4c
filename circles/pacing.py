"""Pacing sends within a messaging app's limits: overall, for bulk, and per recipient.

The design both doors share (Telegram's ``TelegramLimits``, WhatsApp's
``WhatsAppLimits``): every send reserves the next free slot on its recipient's schedule
and in the overall window (no more than ``per_second`` sends in any window of a little
over a second, so a few replies at once go out at once), then waits for it. Bulk sends
(the outbox) also keep to their own, slower schedule (``bulk_share`` of the overall
rate), so replies to someone who is answering always find room. Replies may come in a
short burst (``reply_burst`` messages) so that confirming an answer and asking the next
question do not keep the person waiting; over time a recipient still gets at most one
message per ``gap``. A recipient the app asked to wait is blocked for as long as it asked,
and the whole sender when the app says it sends too fast.

Time is injected (``now`` and ``sleep``), so tests check the pacing without waiting.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Awaitable, Callable, Hashable

#: The overall window is this much longer than a second: booked slots and the moments
#: requests reach the app differ by a few milliseconds.
GLOBAL_WINDOW_MARGIN = 1.05
#: Every this many bookings, recipients whose slots are all past are forgotten: a wave to
#: a million people otherwise kept about a kilobyte each for good (bench.million).
FORGET_EVERY = 1_000


class Pacer:
    """Books send slots overall, for bulk and per recipient (see the module)."""

    def __init__(
        self,
        *,
        per_second: float,
        bulk_share: float = 0.8,
        gap: float = 1.0,
        reply_burst: int = 3,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        # Overall: at most per_second sends in any window (a little over a second, so the
        # jitter between booking a slot and the request arriving cannot make it one more).
        self.global_cap = max(1, int(per_second))
        self.global_window = self.global_cap / per_second * GLOBAL_WINDOW_MARGIN
        self.bulk_gap = 1.0 / (per_second * bulk_share)
        self.gap = gap
        self.reply_burst = max(1, reply_burst)
        self._now, self._sleep = now, sleep
        self._global_recent: collections.deque[float] = collections.deque()
        self._bulk_next = 0.0
        self._all_blocked = 0.0
        self._next: dict[Hashable, float] = {}
        self._blocked: dict[Hashable, float] = {}
        self._recent: dict[Hashable, collections.deque[float]] = {}
        self._longest_gap = gap
        self._booked = 0

    @property
    def bulk_interval(self) -> float:
        """Seconds between two bulk sends at the bulk share of the overall rate."""
        return self.bulk_gap

    async def pause(self, seconds: float) -> None:
        """Wait (on the injected clock), e.g. before a batch's shared window opens."""
        if seconds > 0:
            await self._sleep(seconds)

    def ready_in(self, key: Hashable) -> float:
        """Seconds until ``key`` may receive again (0 when it may now)."""
        free = max(self._next.get(key, 0.0), self._blocked.get(key, 0.0), self._all_blocked)
        return max(0.0, free - self._now())

    def block(self, key: Hashable, seconds: float) -> None:
        """Send nothing to ``key`` for ``seconds`` (the app asked to wait for it)."""
        self._blocked[key] = max(self._blocked.get(key, 0.0), self._now() + seconds)

    def block_all(self, seconds: float) -> None:
        """Send nothing at all for ``seconds`` (the app says the sender goes too fast)."""
        self._all_blocked = max(self._all_blocked, self._now() + seconds)

    def reserve(self, key: Hashable | None, *, bulk: bool, gap: float | None = None) -> float:
        """Book the next slot for a send to ``key`` (``gap`` apart from its others; the
        pacer's by default) and return the seconds to wait."""
        now = self._now()
        self._booked += 1
        if self._booked % FORGET_EVERY == 0:
            self._forget_past(now)
        slot = max(now, self._all_blocked)
        if bulk:
            slot = max(slot, self._bulk_next)
        if key is not None:
            gap = self.gap if gap is None else gap
            self._longest_gap = max(self._longest_gap, gap)
            key_next = self._next.get(key, 0.0)
            slot = max(slot, self._blocked.get(key, 0.0))
            recent = self._recent.setdefault(key, collections.deque())
            if bulk:
                slot = max(slot, key_next)
            else:
                # A reply may follow the recipient's last message at once, as long as they
                # got fewer than reply_burst messages in the last reply_burst gaps.
                slot = max(slot, key_next - gap)
                window = self.reply_burst * gap
                while recent and recent[0] <= slot - window:
                    recent.popleft()
                if len(recent) >= self.reply_burst:
                    slot = max(slot, recent[-self.reply_burst] + window)
            recent.append(slot)
            while len(recent) > self.reply_burst:
                recent.popleft()
            self._next[key] = max(key_next, slot + gap)
        slot = self._global_slot(slot)
        if key is not None:
            self._recent[key][-1] = slot
            self._next[key] = max(self._next[key], slot + (self.gap if gap is None else gap))
        if bulk:
            self._bulk_next = slot + self.bulk_gap
        return slot - now

    def _forget_past(self, now: float) -> None:
        """Drop the recipients nothing is booked or blocked for any more: their next slot
        and block have passed and their last send is older than any reply burst's window,
        so booking for them again gives the same slot as for someone new."""
        horizon = now - self.reply_burst * self._longest_gap
        for key in [k for k, until in self._blocked.items() if until <= now]:
            del self._blocked[key]
        past = [
            key
            for key, next_slot in self._next.items()
            if next_slot <= now
            and key not in self._blocked
            and (not self._recent.get(key) or self._recent[key][-1] <= horizon)
        ]
        for key in past:
            del self._next[key]
            self._recent.pop(key, None)

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
