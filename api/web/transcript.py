"""What the simulator shows: the chat bubbles of each simulated teacher, in memory.

Telegram keeps the chat history on the phone; the simulator keeps it here, per
simulated chat, bounded in count and length. Everything that matters (answers, runs,
check-ins, practices) is in the database, so a restart only forgets the bubbles: the
conversation itself continues where it stopped (send /checkin).
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass, field

from bot.flows.messages import Button, Reply

CHATS = 500
BUBBLES = 300


@dataclass
class Bubble:
    """One message in the simulated chat."""

    id: int
    side: str  # "bot", "me" or "note"
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachment: tuple[str, str] | None = None  # (file name, data: URL) of a file the bot sent
    photo: str | None = None  # the file name of a photo the teacher uploaded


@dataclass
class Chat:
    """One simulated chat: its bubbles and the outbox rows already shown."""

    bubbles: list[Bubble] = field(default_factory=list)
    outbox_seen: int = 0

    def find(self, bubble_id: int) -> Bubble | None:
        """The bubble with ``bubble_id``, if it is still kept."""
        return next((b for b in self.bubbles if b.id == bubble_id), None)


class Transcripts:
    """Chats by simulated id, the least recently used forgotten first."""

    def __init__(self) -> None:
        self._chats: OrderedDict[int, Chat] = OrderedDict()
        self._ids = itertools.count(1)

    def chat(self, chat_id: int) -> Chat:
        """The chat of ``chat_id`` (an empty one the first time)."""
        chat = self._chats.pop(chat_id, None) or Chat()
        self._chats[chat_id] = chat
        while len(self._chats) > CHATS:
            self._chats.popitem(last=False)
        return chat

    def add(self, chat_id: int, side: str, text: str, **extra: object) -> Bubble:
        """Append a bubble to the chat of ``chat_id``."""
        bubble = Bubble(next(self._ids), side, text, **extra)  # type: ignore[arg-type]
        chat = self.chat(chat_id)
        chat.bubbles.append(bubble)
        del chat.bubbles[:-BUBBLES]
        return bubble

    def add_replies(self, chat_id: int, replies: list[Reply], data_url: object) -> None:
        """Append what the bot said; files become download links."""
        for reply in replies:
            attachment = None
            if reply.attachment is not None:
                attachment = (reply.attachment.filename, str(data_url(reply.attachment.content)))
            self.add(chat_id, "bot", reply.text, buttons=reply.buttons, attachment=attachment)

    def forget(self, chat_id: int) -> None:
        """Drop a chat's bubbles."""
        self._chats.pop(chat_id, None)
