"""What the simulator shows: the chat bubbles of each simulated teacher, in memory.

The simulator's renderer is here too: the bot's events, fitted (:mod:`bot.flows.fit`)
with the capabilities of the app the simulator looks like — Telegram's by default, or
WhatsApp's (three buttons, lists of ten rows, numbered choices, no edits) — become
bubbles. With Telegram's look a pressed question is marked "→ label" or gets its redrawn
buttons, as Telegram edits it; WhatsApp edits nothing, so the tap shows as the teacher's
reply instead. With WhatsApp's look a message queued while the teacher's 24-hour window
is closed shows as the approved template WhatsApp would deliver (the WhatsApp door adds
that look: :mod:`bot.handlers.whatsapp.preview`).

Telegram keeps the chat history on the phone; the simulator keeps it here, per
simulated chat, bounded in bytes as well as in count: each chat keeps its newest
bubbles within :data:`CHAT_BYTES`, all chats together stay within :data:`TOTAL_BYTES`
(the least recently used chats are forgotten first), and a file the bot sends is shown
as a download link only up to :data:`ATTACHMENT_BYTES`. Everything that matters
(answers, runs, check-ins, practices) is in the database, so a restart or an eviction
only forgets the bubbles: the conversation itself continues where it stopped (send
/checkin).
"""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.flows.fit import TELEGRAM, Capabilities, Fitted, Key, Keys, fit
from bot.flows.invitations import load_queued
from circles.services.outbox import queued_event

#: What a simulated chat shows by default: what Telegram would (see the Telegram door).
SIMULATOR = TELEGRAM

#: (outbox key, payload, language) → the template's name, its body and its quick replies
#: (label, data), or None when no template stands for the message.
TemplatePreview = Callable[[str, dict[str, Any], str], tuple[str, str, Sequence[Key]] | None]


@dataclass(frozen=True)
class Look:
    """An app the simulator can look like: its limits and, for an app that lets a
    business write freely only for a while after the person's last message, that window
    and how a message the bot starts itself arrives once it has closed."""

    name: str
    capabilities: Capabilities
    window: timedelta | None = None
    template: TemplatePreview | None = None


#: The look every simulator has; a door adds its own with :func:`add_look`.
LOOKS: dict[str, Look] = {"telegram": Look("Telegram", TELEGRAM)}


def add_look(state: Any, key: str, look: Look) -> None:
    """Let the simulator of an app (its ``app.state``) look like another messaging app."""
    state.simulator_looks = {**looks(state), key: look}


def looks(state: Any) -> dict[str, Look]:
    """The looks the simulator of an app offers: Telegram's, and those doors added."""
    return getattr(state, "simulator_looks", None) or LOOKS


log = logging.getLogger(__name__)

CHATS = 500
BUBBLES = 300
#: The newest bubbles of one chat are kept within this many bytes.
CHAT_BYTES = 256 * 1024
#: All chats together; the least recently used chats are forgotten beyond it.
TOTAL_BYTES = 16 * 1024 * 1024
#: A file the bot sends (its data: URL) is linked only up to this size.
ATTACHMENT_BYTES = 128 * 1024
#: What a bubble costs besides its strings (the objects holding them), counted as bytes.
BUBBLE_OVERHEAD = 200


@dataclass(frozen=True)
class Button:
    """A button of a bubble: its label and the data a press posts."""

    label: str
    data: str


Buttons = tuple[tuple[Button, ...], ...]


def buttons(keys: Keys) -> Buttons:
    """Fitted rows of (label, data) as the buttons of a bubble."""
    return tuple(tuple(Button(label, data) for label, data in row) for row in keys)


def queued(
    payload: dict[str, Any], language: str, capabilities: Capabilities = SIMULATOR
) -> list[tuple[str, Buttons]]:
    """The bubbles (text, buttons) of an outbox row for a simulated chat: its event
    rendered in the reader's language now, or the text and buttons of a row queued before
    the outbox held events."""
    data = queued_event(payload)
    if data is None:
        rows = tuple(
            tuple(Button(b["label"], b["data"]) for b in line)
            for line in payload.get("buttons") or ()
        )
        return [(payload.get("text") or "…", rows)]
    try:
        event = load_queued(data)
    except (KeyError, TypeError, ValueError):
        log.warning("an outbox row for a simulated chat could not be read")
        return [("…", ())]
    return [
        (message.text or "…", buttons(message.keys))
        for message in fit([event], language, capabilities).messages
    ]


@dataclass
class Bubble:
    """One message in the simulated chat."""

    id: int
    side: str  # "bot", "me" or "note"
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    # (file name, data: URL) of a file the bot sent; the URL is "" when too large to keep
    attachment: tuple[str, str] | None = None
    photo: str | None = None  # the file name of a photo the teacher uploaded
    #: The buttons are a list to choose from (WhatsApp's list message), not buttons.
    listed: bool = False

    @property
    def size(self) -> int:
        """Roughly the bytes this bubble holds."""
        strings = [self.text, self.photo or "", *(self.attachment or ())]
        strings += [part for row in self.buttons for b in row for part in (b.label, b.data)]
        return BUBBLE_OVERHEAD + sum(len(s.encode()) for s in strings)


@dataclass
class Chat:
    """One simulated chat: its bubbles and the outbox rows already shown."""

    bubbles: list[Bubble] = field(default_factory=list)
    outbox_seen: int = 0
    size: int = 0

    def find(self, bubble_id: int) -> Bubble | None:
        """The bubble with ``bubble_id``, if it is still kept."""
        return next((b for b in self.bubbles if b.id == bubble_id), None)

    def trim(self, most_bytes: int) -> None:
        """Keep the newest bubbles within ``BUBBLES`` and ``most_bytes``; recount the size."""
        del self.bubbles[:-BUBBLES]
        sizes = [b.size for b in self.bubbles]
        total = sum(sizes)
        dropped = 0
        while total > most_bytes and dropped < len(sizes) - 1:
            total -= sizes[dropped]
            dropped += 1
        del self.bubbles[:dropped]
        self.size = total


class Transcripts:
    """Chats by simulated id, bounded in bytes; the least recently used forgotten first."""

    def __init__(self, *, chat_bytes: int = CHAT_BYTES, total_bytes: int = TOTAL_BYTES) -> None:
        self._chats: OrderedDict[int, Chat] = OrderedDict()
        self._ids = itertools.count(1)
        self.chat_bytes, self.total_bytes = chat_bytes, total_bytes
        self.size = 0

    def chat(self, chat_id: int) -> Chat:
        """The chat of ``chat_id`` (an empty one the first time)."""
        chat = self._chats.pop(chat_id, None) or Chat()
        self._chats[chat_id] = chat
        self._evict()
        return chat

    def add(self, chat_id: int, side: str, text: str, **extra: object) -> Bubble:
        """Append a bubble to the chat of ``chat_id``."""
        bubble = Bubble(next(self._ids), side, text, **extra)  # type: ignore[arg-type]
        chat = self.chat(chat_id)
        chat.bubbles.append(bubble)
        self.resized(chat)
        return bubble

    def resized(self, chat: Chat) -> None:
        """Count a chat again after its bubbles grew or changed, and keep the budgets."""
        before = chat.size
        chat.trim(self.chat_bytes)
        self.size += chat.size - before
        self._evict()

    def show(self, chat_id: int, shown: Fitted, data_url: Callable[[bytes], str]) -> None:
        """Append what the bot said (a notice first); files become download links (when
        small enough), a photo the bot sends shows its caption."""
        if shown.notice:
            self.add(chat_id, "note", shown.notice)
        for message in shown.messages:
            attachment = None
            media = message.media
            if media is not None and media.content is not None:
                url = data_url(media.content)
                attachment = (media.filename or "file", url if len(url) <= ATTACHMENT_BYTES else "")
            self.add(
                chat_id,
                "bot",
                message.text,
                buttons=buttons(message.keys),
                attachment=attachment,
                listed=message.listed,
            )

    def mark(self, chat: Chat, bubble_id: int, shown: Fitted) -> None:
        """As Telegram edits a pressed question: redraw its buttons, or mark the choice and
        remove them (apps that edit nothing leave it as it is)."""
        prompt = chat.find(bubble_id)
        if prompt is None:
            return
        if shown.redraw is not None:
            prompt.buttons = buttons(shown.redraw)
        elif shown.chosen is not None:
            prompt.text = f"{prompt.text}\n\n→ {shown.chosen}"
            prompt.buttons = ()
        self.resized(chat)

    def forget(self, chat_id: int) -> None:
        """Drop a chat's bubbles."""
        chat = self._chats.pop(chat_id, None)
        if chat is not None:
            self.size -= chat.size

    def __len__(self) -> int:
        return len(self._chats)

    def _evict(self) -> None:
        # The newest chat (the one being shown) is never evicted: it is within chat_bytes.
        while len(self._chats) > 1 and (len(self._chats) > CHATS or self.size > self.total_bytes):
            _chat_id, chat = self._chats.popitem(last=False)
            self.size -= chat.size
