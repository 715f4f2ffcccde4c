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


@dataclass(frozen=True)
class Arrival:
    """The channel account an update came in on, as its door knows it (several bots or
    numbers in one deployment: ``circles channel``)."""

    #: The :class:`~circles.models.ChannelAccount` id; None: the default account.
    account: int | None = None
    #: The default account's bot username or number, for the link to it.
    default_handle: str | None = None
