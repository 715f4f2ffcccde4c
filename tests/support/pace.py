"""A stand-in for the rate limiter's clock: sleeping moves it forward instantly."""

from __future__ import annotations


class FakePace:
    """Monotonic seconds that advance only when something sleeps (or a test says so)."""

    def __init__(self) -> None:
        self.seconds = 1000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.seconds

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.seconds += seconds

    def advance(self, seconds: float) -> None:
        self.seconds += seconds
