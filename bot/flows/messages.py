"""What a flow says back, independent of any channel."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sender:
    """Who sent the input, as the channel knows them."""

    external_id: int
    name: str | None = None
    language_code: str | None = None


@dataclass(frozen=True)
class Button:
    """A choice the person can tap; ``data`` comes back when they do."""

    label: str
    data: str


@dataclass(frozen=True)
class Attachment:
    """A file to send with a reply (``/mydata``)."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class Reply:
    """One message to show: already translated text, optional rows of buttons or a file."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = field(default=())
    attachment: Attachment | None = None
    photo: str | None = (
        None  # a photo the channel already holds (Telegram file id); text is its caption
    )
