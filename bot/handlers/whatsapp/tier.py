"""WhatsApp's messaging tier: how many different people a number may start a
conversation with (send a template outside their 24-hour window) in any 24 hours.

Meta gives a new number 250 and raises it to 2,000, 10,000 and 100,000
(``CIRCLES_WHATSAPP_TIER``). The outbox holds who got a template when
(:func:`circles.services.outbox.reached_by_template`), so every sender process counts
the same people. A person reached in the last 24 hours may get more templates; a new one
only while the tier has room. Beyond it a wave is not refused: each further person waits
until someone reached earlier drops out of the 24 hours, so the wave goes on, paced by
the tier, over the following day(s).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from circles.db import SessionMaker
from circles.models import Channel
from circles.services.outbox import reached_by_template

DAY = timedelta(hours=24)
#: The soonest a row that waits for the tier is looked at again.
RECHECK = timedelta(seconds=1)


class Reach:
    """The tier's room during one pass of the sender (read from the outbox once)."""

    def __init__(self, tier: int, reached: dict[str, datetime], now: datetime) -> None:
        self.now = now
        self.room = tier - len(reached)
        self.reached = set(reached)
        #: When each slot taken frees again, soonest first.
        self.frees = sorted(first + DAY for first in reached.values())
        self.waiting = 0

    @classmethod
    async def read(
        cls, sessions: SessionMaker, tier: int, now: datetime, account: int | None = None
    ) -> Reach:
        """The room of the default number's tier (or of channel ``account``'s number)."""
        async with sessions() as session:
            reached = await reached_by_template(
                session, channel=Channel.whatsapp, since=now - DAY, sent_by=account
            )
        return cls(tier, reached, now)

    def admit(self, address: str) -> datetime | None:
        """None if ``address`` may get a template now (the slot is taken); else when to
        look again: the n-th person waiting takes the n-th slot to free."""
        if address in self.reached:
            return None
        if self.room > 0:
            self.room -= 1
            self.reached.add(address)
            self.frees.append(self.now + DAY)  # the latest yet: the list stays sorted
            return None
        when = self.frees[min(self.waiting, len(self.frees) - 1)]
        self.waiting += 1
        return max(when, self.now + RECHECK)
