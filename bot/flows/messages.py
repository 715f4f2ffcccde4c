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
class Reply:
    """One message to show: already translated text and optional rows of buttons."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = field(default=())
