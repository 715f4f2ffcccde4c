"""What the bot says, as typed events: no translated text, no button strings, no channel.

The engine and the dialogues return events; each door's renderer translates them for the
recipient (``circles.text.render``) and fits them to its app (buttons per message and per
row, label length, edits or not, text length, media kinds). Queued messages (the outbox)
are the same events, stored with ``dump`` and read back with ``load``.

- ``Say``: a message, with rows of buttons (each a typed action of the codec).
- ``Ask``: a flow step's question: its choices (values and labels), whether several may
  be chosen, the extra buttons (skip, done, suggestions) and what kinds of input it takes;
  ``redraw`` marks a multiple choice shown again with its new selection (a door that can
  edit replaces the keyboard of the question the person pressed, another sends it anew).
- ``Notice``: a short note about the input just received ("already closed"); a door may
  show it as a toast (Telegram's callback answer) or as a message.
- ``Photo`` / ``File``: media the channel already holds, or bytes to upload.
- ``Done``: the question a button answered is settled, with the chosen label; a door that
  can edit marks the old message, one that cannot may say nothing.
- ``Invitation``: queued only: a weekly check-in's invitation, stored as what it is made
  of and read back as the ``Say`` it stands for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from bot.flows.buttons import Action, decode, encode, named
from circles.text import Part, Text, load


@dataclass(frozen=True)
class Button:
    """A choice the person can tap: its label and the action it carries."""

    label: Part
    action: Action


Rows: TypeAlias = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Say:
    """One message: text and optional rows of buttons."""

    text: Part
    buttons: Rows = ()
    #: One item of a list (a practice, a meeting): a message of its own, never joined.
    separate: bool = False


@dataclass(frozen=True)
class Choice:
    """One of a step's choices: the stored value and the label shown."""

    value: str
    label: Part
    action: Action


@dataclass(frozen=True)
class Extra:
    """A button of a question that is not one of its choices.

    ``control`` buttons (Done, Skip) act on the question itself and must stay buttons;
    a suggestion is text the person could also type (a timezone, their name).
    """

    label: Part
    action: Action
    control: bool = False


@dataclass(frozen=True)
class Ask:
    """A flow step's question, with everything a renderer needs to offer it."""

    text: Part
    choices: tuple[Choice, ...] = ()
    multiple: bool = False
    #: The values ticked: a multiple choice's selection, or the single choice in effect.
    selected: frozenset[str] = frozenset()
    #: Buttons that are not choices (Done, suggestions, Skip), one per row, in order.
    extra: tuple[Extra, ...] = ()
    #: Input kinds the step takes besides its choices ("text", "photo", "voice", …).
    accepts: frozenset[str] = frozenset()
    #: The choices are a scale: one row, and its values are what a person types.
    scale: bool = False
    #: The same question shown again with a new selection (see the module's docstring).
    redraw: bool = False


@dataclass(frozen=True)
class Notice:
    """A short note about the input just received."""

    text: Part


@dataclass(frozen=True)
class Photo:
    """A photo the channel already holds (``file_id``), with a caption."""

    file_id: str
    caption: Part = ""
    kind: str = "photo"


@dataclass(frozen=True)
class File:
    """A file to upload: a document (``/mydata``), or a photo of the media store."""

    filename: str
    content: bytes
    caption: Part = ""
    kind: str = "document"


@dataclass(frozen=True)
class Done:
    """The question a button answered is settled; ``chosen`` is what was picked."""

    chosen: Part | None = None


@dataclass(frozen=True)
class Invitation:
    """A weekly check-in's invitation as queued: the flow it opens, the check-in, and for
    a pilot week the teacher's practice and last plan.

    ``load_event`` gives it back as it is; :func:`bot.flows.invitations.load_queued`, which
    doors use, gives the ``Say`` it stands for, built from the flow as it is when it is
    sent, the flow the check-in will run. A wave queues a million invitations: a few dozen
    bytes each instead of the whole text and buttons, and nothing to render while
    planning.
    """

    flow: str
    checkin_id: int
    practice: str | None = None
    plan: str | None = None


Event: TypeAlias = Say | Ask | Notice | Photo | File | Done


def _rows(rows: Rows) -> list[list[dict[str, Any]]]:
    return [[{"label": _text(b.label), "data": encode(b.action)} for b in row] for row in rows]


def _load_rows(rows: list[list[dict[str, Any]]]) -> Rows:
    out = []
    for row in rows:
        buttons = []
        for item in row:
            if "named" in item:  # offered by a service in circles (buttons.NAMED)
                action = named(*item["named"]) if len(item["named"]) == 2 else None
            else:
                action = decode(item["data"])
            if action is None:
                raise ValueError("a stored button no longer decodes")
            buttons.append(Button(load(item["label"]), action))
        out.append(tuple(buttons))
    return tuple(out)


def _text(value: Part) -> Any:
    return value.dump() if isinstance(value, Text) else value


def dump(event: Event | Invitation) -> dict[str, Any]:
    """A queued event as JSON (for the outbox); ``File`` content is not queued."""
    match event:
        case Say(text, buttons, separate):
            data: dict[str, Any] = {"say": _text(text)}
            if buttons:
                data["buttons"] = _rows(buttons)
            if separate:
                data["separate"] = True
            return data
        case Photo(file_id, caption, kind):
            return {"photo": file_id, "caption": _text(caption), "kind": kind}
        case Notice(text):
            return {"notice": _text(text)}
        case Invitation(flow, checkin_id, practice, plan):
            return {"invite": [flow, checkin_id, practice, plan]}
    raise TypeError(f"{type(event).__name__} is not queued")


def load_event(data: dict[str, Any]) -> Event | Invitation:
    """The event ``dump`` wrote."""
    if "say" in data:
        return Say(
            load(data["say"]), _load_rows(data.get("buttons", [])), data.get("separate", False)
        )
    if "photo" in data:
        return Photo(data["photo"], load(data.get("caption", "")), data.get("kind", "photo"))
    if "notice" in data:
        return Notice(load(data["notice"]))
    if "invite" in data:
        flow, checkin_id, practice, plan = data["invite"]
        if not isinstance(flow, str) or not isinstance(checkin_id, int):
            raise ValueError("not a queued invitation")
        return Invitation(flow, checkin_id, practice, plan)
    raise ValueError("not a queued event")
