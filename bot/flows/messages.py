"""Who wrote: the sender of an input, as the channel knows them.

What the bot says back is the events of :mod:`bot.flows.events`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sender:
    """Who sent the input, as the channel knows them."""

    external_id: int
    name: str | None = None
    language_code: str | None = None
