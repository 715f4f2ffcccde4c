"""What a flow says back, independent of any channel."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.flows.buttons import Action, encode
from bot.flows.events import Event, File, Photo, Say
from circles.models import Channel
from circles.text import Part, render


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


#: Telegram's longest message; replies are joined only while they fit.
MESSAGE_LIMIT = 4096


def settled(reply: Reply | Event) -> Reply:
    """``reply`` with its text rendered in the current language and its actions encoded.

    A door calls this under the recipient's language, after the update's work (so a
    language chosen during the update is the one its replies are in). Events (``Say``,
    ``Photo``, ``File``) become replies here until each door has its own renderer.
    """
    if isinstance(reply, Say):
        buttons = tuple(tuple(Button(b.label, b.action) for b in row) for row in reply.buttons)
        reply = Reply(reply.text, buttons, separate=reply.separate)
    elif isinstance(reply, Photo):
        reply = Reply(reply.caption, photo=reply.file_id)
    elif isinstance(reply, File):
        reply = Reply(reply.caption, attachment=Attachment(reply.filename, reply.content))
    elif not isinstance(reply, Reply):
        raise TypeError(f"{type(reply).__name__} cannot be shown as a reply yet")
    buttons = tuple(
        tuple(
            Button(render(b.label), b.data if isinstance(b.data, str) else encode(b.data))
            for b in row
        )
        for row in reply.buttons
    )
    return replace(reply, text=render(reply.text), buttons=buttons)


def joined(replies: list[Reply | Event]) -> list[Reply]:
    """Join each plain text reply to the one after it, as one message.

    A step's introduction or explanation and its question arrive as one message: one
    notification on the teacher's phone, and half the sends against Telegram's limits
    (30 messages a second for the whole bot, about one a second per chat). Replies with
    buttons, a file or a photo end a message, the items of a list (``separate``) stand
    alone, and nothing is joined past Telegram's limit.
    """
    out: list[Reply] = []
    for reply in map(settled, replies):
        last = out[-1] if out else None
        if (
            last is not None
            and not last.buttons
            and not (last.separate or reply.separate)
            and last.attachment is None
            and last.photo is None
            and reply.attachment is None
            and reply.photo is None
            and len(str(last.text)) + 2 + len(str(reply.text)) <= MESSAGE_LIMIT
        ):
            out[-1] = Reply(f"{last.text}\n\n{reply.text}", reply.buttons)
        else:
            out.append(reply)
    return out
