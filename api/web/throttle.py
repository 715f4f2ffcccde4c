"""A per-client rate limit for the web pages that write (the simulator's starts and sends).

In memory and bounded: each client address keeps the times of its requests within the
window, and at most :data:`CLIENTS` addresses are remembered (the least recently seen
forgotten first). Time comes from the app's clock, so tests move a fake clock.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from datetime import datetime, timedelta

#: How many client addresses one limiter remembers.
CLIENTS = 10_000


class RateLimit:
    """At most ``limit`` requests per ``window`` from one client."""

    def __init__(self, limit: int, window: timedelta, *, clients: int = CLIENTS) -> None:
        self.limit, self.window, self.clients = limit, window, clients
        self._seen: OrderedDict[str, deque[datetime]] = OrderedDict()

    def allow(self, client: str, now: datetime) -> bool:
        """Count a request of ``client`` at ``now``; False when it is one too many."""
        times = self._seen.pop(client, None) or deque()
        self._seen[client] = times
        while times and times[0] <= now - self.window:
            times.popleft()
        while len(self._seen) > self.clients:
            self._seen.popitem(last=False)
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True
