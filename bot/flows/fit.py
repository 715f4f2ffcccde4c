"""Fit events to a messaging app: translated, joined, and within what the app can show.

A door renders the events of an update (``fit(events, language, capabilities)``) into
neutral messages — text, rows of ``(label, data)`` buttons, media — that its client sends
as they are. The rules, the same for every app:

- **Joining**: a plain text (a ``Say`` without buttons) is joined to the message after
  it with a blank line, so a step's introduction and its question are one message (one
  notification, half the sends against the app's limits). Buttons, media and the items
  of a list (``separate``) end a message; nothing is joined past the text length.
- **Choices that do not fit** (more buttons than a message takes, or a label longer than
  the app shows): the question lists them, numbered ("1. …"), with a line asking for the
  number, and keeps buttons for as many as fit (Done and Skip first: they cannot be
  typed). The engine reads the typed number as that choice. A scale keeps its own values
  ("Please send a number from 1 to 5."). Suggestions that do not fit are listed as they
  are: they are text the person can type. Buttons of other messages (not questions) that
  do not fit go on to further messages; a label too long is shown in full in the text,
  numbered, and its button carries the number. Nothing is dropped or cut silently.
- **Lists**: an app with list messages (``list_rows``: WhatsApp's ten rows, titles of
  ``list_title_length``, descriptions of ``list_description_length``) shows a question
  whose choices do not fit as buttons, but fit its rows, as a list (``Message.listed``:
  every choice and extra button a row, its whole label in the description when it is
  longer than a title) instead of numbering them.
- **Text too long** is split at line boundaries (a line longer than the limit is cut
  into pieces); the buttons go with the last piece.
- **Edits**: where the app can edit, ``Done`` marks the question that was answered
  (``Fitted.chosen``) and a redrawn multiple choice replaces the pressed keyboard
  (``Fitted.redraw``). Without edits ``Done`` shows nothing (the person's own tap or reply
  is in the chat already) and a redraw is a new message.
- ``Notice`` is ``Fitted.notice``: a toast where the app has them, else a message.
- Media the app cannot show is sent as its caption.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

from bot.flows.buttons import Action, encode
from bot.flows.events import Ask, Done, File, Notice, Photo, Say
from circles.text import Part, join, number, render, shorten, t

#: One button as an app sends it: its label and the data that comes back.
Key: TypeAlias = tuple[str, str]
Keys: TypeAlias = tuple[tuple[Key, ...], ...]


@dataclass(frozen=True)
class Capabilities:
    """What a messaging app can show in one message."""

    buttons_per_message: int
    buttons_per_row: int
    #: The longest label, in characters (None: as long as it likes).
    label_length: int | None
    #: The longest button data, in bytes (the codec keeps within Telegram's 64).
    data_bytes: int
    text_length: int
    can_edit: bool
    #: The kinds of media it sends: "photo", "document".
    media: frozenset[str] = frozenset({"photo", "document"})
    #: Rows of a list message (0: the app has none), the longest row title, and the
    #: longest description under it (a label longer than the title is shown whole there).
    list_rows: int = 0
    list_title_length: int = 24
    list_description_length: int = 0

    def __post_init__(self) -> None:
        # Done and Skip must stay buttons: a question has at most these two.
        if self.buttons_per_message < 2 or self.buttons_per_row < 1:
            raise ValueError("an app must show at least two buttons per message")


#: What a Telegram message can hold (Bot API): 100 inline buttons, 8 to a row, 64 bytes
#: of callback data, 4096 characters of text; messages can be edited. The Telegram door
#: renders with it, and the web simulator shows what Telegram would.
TELEGRAM = Capabilities(
    buttons_per_message=100,
    buttons_per_row=8,
    label_length=None,
    data_bytes=64,
    text_length=4096,
    can_edit=True,
    media=frozenset({"photo", "document"}),
)


#: What a WhatsApp message can hold (Cloud API): three reply buttons with titles of 20
#: characters and ids of 256, or a list of ten rows with titles of 24; 4096 characters of
#: text (1024 in a message with buttons: the WhatsApp renderer sends the rest before it);
#: no edits. Here rather than in the WhatsApp door so that the simulator can show it too.
WHATSAPP = Capabilities(
    buttons_per_message=3,
    buttons_per_row=3,
    label_length=20,
    data_bytes=200,
    text_length=4096,
    can_edit=False,
    media=frozenset({"photo", "document"}),
    list_rows=10,
    list_title_length=24,
    list_description_length=72,
)


@dataclass(frozen=True)
class Media:
    """A photo or a document: one the app holds (``file_id``) or bytes to upload."""

    kind: str
    file_id: str | None = None
    filename: str | None = None
    content: bytes | None = None


@dataclass(frozen=True)
class Message:
    """One message to send, ready for the app."""

    text: str
    keys: Keys = ()
    media: Media | None = None
    #: One item of a list, never joined with its neighbours.
    separate: bool = False
    #: The keys are a list to choose from (one per row), not buttons.
    listed: bool = False


@dataclass
class Fitted:
    """An update's events, fitted: what to send, and what to do to the pressed message."""

    messages: list[Message] = field(default_factory=list)
    #: A short note about the input (a toast where the app has them).
    notice: str | None = None
    #: The label to mark under the question a press answered (apps that edit).
    chosen: str | None = None
    #: The new keyboard of the pressed question, a multiple choice redrawn (apps that edit).
    redraw: Keys | None = None


def fit(events: list, language: str | None, capabilities: Capabilities) -> Fitted:
    """``events`` fitted for an app."""
    out = Fitted()
    notices: list[str] = []
    pieces: list[Message] = []
    for event in events:
        match event:
            case Notice(text):
                notices.append(render(text, language))
            case Done(chosen):
                if capabilities.can_edit and chosen is not None:
                    out.chosen = render(chosen, language)
            case Ask() if (
                event.redraw and capabilities.can_edit and _fits(event, language, capabilities)
            ):
                out.redraw = _keys(_plain_rows(event, language), capabilities)
            case Ask():
                pieces.append(_ask(event, language, capabilities))
            case Say(text, buttons, separate):
                rows = tuple(tuple((b.label, b.action) for b in row) for row in buttons)
                pieces += _say(render(text, language), rows, separate, language, capabilities)
            case Photo(file_id, caption, kind):
                media = Media(kind, file_id=file_id) if kind in capabilities.media else None
                pieces.append(Message(render(caption, language), media=media))
            case File(filename, content, caption, kind):
                media = Media(kind, filename=filename, content=content)
                shown = media if kind in capabilities.media else None
                pieces.append(Message(render(caption, language), media=shown))
            case _:
                raise TypeError(f"{type(event).__name__} is not an event")
    out.notice = "\n".join(notices) or None
    out.messages = [
        piece
        for message in _joined(pieces, capabilities)
        for piece in _split(message, capabilities)
    ]
    return out


# --- questions ------------------------------------------------------------------------


def _label(ask: Ask, value: str, label: Part, language: str | None) -> str:
    return ("✓ " if value in ask.selected else "") + render(label, language)


def _plain_rows(ask: Ask, language: str | None) -> list[list[tuple[str, Action]]]:
    """The question's buttons as rows, every choice a button (a scale on one row)."""
    choices = [(_label(ask, c.value, c.label, language), c.action) for c in ask.choices]
    rows = [choices] if ask.scale else [[choice] for choice in choices]
    rows += [[(render(e.label, language), e.action)] for e in ask.extra]
    return [row for row in rows if row]


def _fits(ask: Ask, language: str | None, capabilities: Capabilities) -> bool:
    """Whether every choice and extra button of ``ask`` fits as a button."""
    count = len(ask.choices) + len(ask.extra)
    return count <= capabilities.buttons_per_message and all(
        _short(label, capabilities) for row in _plain_rows(ask, language) for label, _a in row
    )


def _fits_list(ask: Ask, language: str | None, capabilities: Capabilities) -> bool:
    """Whether every choice and extra button of ``ask`` fits as a row of a list message."""
    count = len(ask.choices) + len(ask.extra)
    longest = max(capabilities.list_title_length, capabilities.list_description_length)
    return count <= capabilities.list_rows and all(
        len(label) <= longest for row in _plain_rows(ask, language) for label, _a in row
    )


def _short(label: str, capabilities: Capabilities) -> bool:
    return capabilities.label_length is None or len(label) <= capabilities.label_length


def _ask(ask: Ask, language: str | None, capabilities: Capabilities) -> Message:
    text = render(ask.text, language)
    if _fits(ask, language, capabilities):
        return Message(text, _keys(_plain_rows(ask, language), capabilities))
    if _fits_list(ask, language, capabilities):
        rows = [[key] for row in _plain_rows(ask, language) for key in row]
        return Message(text, _keys(rows, capabilities), listed=True)
    # Too many buttons or too long a label: the choices become a numbered list.
    free = capabilities.buttons_per_message - sum(e.control for e in ask.extra)
    lines: list[Part] = []
    choice_keys: list[tuple[str, Action]] = []
    if ask.scale and ask.choices:
        low, high = ask.choices[0].value, ask.choices[-1].value
        lines.append(
            t(
                "Please send a number from {low} to {high}.",
                low=number(int(low)),
                high=number(int(high)),
            )
        )
    elif ask.choices:
        for n, choice in enumerate(ask.choices, start=1):
            label = _label(ask, choice.value, choice.label, language)
            lines.append(f"{n}. {label}")
            if len(choice_keys) < free:
                choice_keys.append((_numbered_label(n, label, capabilities), choice.action))
        lines.append(
            t("Reply with the numbers of your choices, separated by commas.")
            if ask.multiple
            else t("Reply with the number of your choice.")
        )
    free -= len(choice_keys)
    extra_rows: list[list[tuple[str, Action]]] = []
    unshown: list[str] = []
    for extra in ask.extra:
        label = render(extra.label, language)
        if extra.control or (free > 0 and _short(label, capabilities)):
            extra_rows.append([(label, extra.action)])
            free -= not extra.control
        else:
            unshown.append(label)  # a suggestion: text the person can type
    if unshown:
        lines.append(join(unshown))
    listed = render(join(lines), language)
    rows = [[key] for key in choice_keys] + extra_rows
    return Message(f"{text}\n\n{listed}" if listed else text, _keys(rows, capabilities))


def _numbered_label(n: int, label: str, capabilities: Capabilities) -> str:
    """``label`` when it fits, else its number and as much of it as fits ("2. Hinge…")."""
    limit = capabilities.label_length
    if limit is None or len(label) <= limit:
        return label
    head = f"{n}. "
    room = limit - len(head) - 1
    return head + shorten(label, room + 1) if room >= 2 else str(n)


# --- messages with buttons --------------------------------------------------------------


def _say(
    text: str,
    rows: tuple[tuple[tuple[Part, Action], ...], ...],
    separate: bool,
    language: str | None,
    capabilities: Capabilities,
) -> list[Message]:
    """A message with buttons; buttons that do not fit go on to further messages."""
    labelled = [[(render(label, language), data) for label, data in row] for row in rows]
    flat = [key for row in labelled for key in row]
    if not flat:
        return [Message(text, separate=separate)]
    too_long = [n for n, (label, _d) in enumerate(flat, start=1) if not _short(label, capabilities)]
    if too_long:  # the full labels in the text, numbered; their buttons carry the numbers
        listed = "\n".join(f"{n}. {flat[n - 1][0]}" for n in too_long)
        text = f"{text}\n\n{listed}"
        numbered = iter(range(1, len(flat) + 1))
        labelled = [
            [(_numbered_label(next(numbered), label, capabilities), data) for label, data in row]
            for row in labelled
        ]
    if len(flat) <= capabilities.buttons_per_message:
        return [Message(text, _keys(labelled, capabilities), separate=separate)]
    more = render(t("More choices:"), language)
    per = capabilities.buttons_per_message
    keys = [key for row in labelled for key in row]
    return [
        Message(
            text if i == 0 else more,
            _keys([[key] for key in keys[i : i + per]], capabilities),
            separate=separate if i == 0 else True,
        )
        for i in range(0, len(keys), per)
    ]


def _keys(rows, capabilities: Capabilities) -> Keys:
    """Rows of (label, data), each row within the app's buttons per row."""
    out: list[tuple[Key, ...]] = []
    per = capabilities.buttons_per_row
    for row in rows:
        keys = []
        for label, action in row:
            data = encode(action)
            if len(data.encode()) > capabilities.data_bytes:
                raise ValueError(f"button data longer than {capabilities.data_bytes} bytes")
            keys.append((label, data))
        out += [tuple(keys[i : i + per]) for i in range(0, len(keys), per)]
    return tuple(out)


# --- joining and splitting ----------------------------------------------------------


def _joined(pieces: list[Message], capabilities: Capabilities) -> list[Message]:
    """Each plain text joined to the message after it, while the two fit in one."""
    out: list[Message] = []
    for piece in pieces:
        last = out[-1] if out else None
        if (
            last is not None
            and not last.keys
            and not (last.separate or piece.separate)
            and last.media is None
            and piece.media is None
            and len(last.text) + 2 + len(piece.text) <= capabilities.text_length
        ):
            out[-1] = Message(f"{last.text}\n\n{piece.text}", piece.keys, listed=piece.listed)
        else:
            out.append(piece)
    return out


def _split(message: Message, capabilities: Capabilities) -> list[Message]:
    """``message`` in pieces within the text length, cut at line ends; keys on the last."""
    limit = capabilities.text_length
    if len(message.text) <= limit or message.media is not None:
        return [message]
    lines: list[str] = []
    for line in message.text.split("\n"):
        lines += [line[i : i + limit] for i in range(0, len(line), limit)] or [""]
    pieces: list[str] = []
    for line in lines:
        if pieces and len(pieces[-1]) + 1 + len(line) <= limit:
            pieces[-1] += "\n" + line
        else:
            pieces.append(line)
    return [
        Message(
            piece,
            message.keys if i == len(pieces) - 1 else (),
            separate=message.separate,
            listed=message.listed and i == len(pieces) - 1,
        )
        for i, piece in enumerate(pieces)
    ]
