"""What a person sent, independent of the channel."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class InputKind(StrEnum):
    """The kinds of message a person can send."""

    text = "text"
    photo = "photo"
    document = "document"
    voice = "voice"
    sticker = "sticker"
    location = "location"
    contact = "contact"
    other = "other"


@dataclass(frozen=True)
class Input:
    """One message: its kind, its text or caption, its file, and the channel's id for it."""

    kind: InputKind
    text: str | None = None
    file_id: str | None = None
    duration: int | None = None
    ref: str | None = None  # the channel's message id, to find the answer when it is edited

    def __post_init__(self) -> None:
        # PostgreSQL text cannot hold NUL characters (SQLite can): drop them on arrival so
        # an answer is stored the same on both databases and never fails to save.
        if self.text is not None and "\x00" in self.text:
            object.__setattr__(self, "text", self.text.replace("\x00", ""))
