"""A per-client rate limit for the web pages that write (the simulator's starts and sends).

In memory and bounded: each client address keeps one window (when it began, how many
requests since), and at most :data:`CLIENTS` addresses are remembered, the least
recently seen forgotten first, so the limiter never holds more than a few hundred
kilobytes. Time comes from the app's clock, so tests move a fake clock.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

#: How many client addresses one limiter remembers.
CLIENTS = 10_000


class RateLimit:
    """At most ``limit`` requests from one client in each ``window`` (from its first)."""

    def __init__(self, limit: int, window: timedelta, *, clients: int = CLIENTS) -> None:
        self.limit, self.window, self.clients = limit, window, clients
        self._seen: OrderedDict[str, tuple[datetime, int]] = OrderedDict()

    def allow(self, client: str, now: datetime) -> bool:
        """Count a request of ``client`` at ``now``; False when it is one too many."""
        began, count = self._seen.pop(client, (now, 0))
        if now - began >= self.window:
            began, count = now, 0
        allowed = count < self.limit
        self._seen[client] = (began, count + 1 if allowed else count)
        while len(self._seen) > self.clients:
            self._seen.popitem(last=False)
        return allowed

    def __len__(self) -> int:
        """How many client addresses are remembered."""
        return len(self._seen)
