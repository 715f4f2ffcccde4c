"""Who wrote: the sender of an input, as the channel knows them.

What the bot says back is the events of :mod:`bot.flows.events`.
"""

from __future__ import annotations

from dataclasses import dataclass

from circles.models import Channel


@dataclass(frozen=True)
class Sender:
    """Who sent the input: their identity (channel and address there), as the door knows them.

    ``name`` and ``language_code`` are what the app tells about them (WhatsApp gives a
    profile name and no language).
    """

    channel: Channel
    address: str
    name: str | None = None
    language_code: str | None = None
