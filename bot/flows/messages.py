"""Who wrote, and the ``Reply`` some dialogues still return instead of events.

``Reply`` is transitional: the doors' renderers (:mod:`bot.flows.fit`) take it beside the
events of :mod:`bot.flows.events` until every dialogue returns events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.flows.buttons import Action
from circles.models import Channel
from circles.text import Part


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
class Button:
    """A choice the person can tap; ``data`` comes back when they do."""

    label: Part
    data: str | Action


@dataclass(frozen=True)
class Attachment:
    """A file to send with a reply (``/mydata``)."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class Reply:
    """One message to show: already translated text, optional rows of buttons or a file."""

    text: Part
    buttons: tuple[tuple[Button, ...], ...] = field(default=())
    attachment: Attachment | None = None
    photo: str | None = (
        None  # a photo the channel already holds (Telegram file id); text is its caption
    )
    #: One item of a list (a practice, a meeting): a message of its own, never joined.
    separate: bool = False
