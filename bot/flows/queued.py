"""Messages that are not replies: one event per outbox row, rendered when it is sent.

Invitations, nudges, reminders, digests and announcements are queued here as events
(:mod:`bot.flows.events`), not as text: the door that sends a row renders it with
:func:`shown` in the recipient's language at that moment. :func:`shown` also reads the
rows of version 1 (rendered text and button data), queued before events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.flows.buttons import encode
from bot.flows.events import Notice, Photo, Say, dump, load_event
from circles.services.outbox import queued, queued_event
from circles.text import render

#: The events a row can hold.
Queued = Say | Photo | Notice


def payload(event: Queued) -> dict[str, Any]:
    """The outbox payload of ``event`` (to queue with :func:`circles.services.outbox.enqueue`)."""
    return queued(dump(event))


@dataclass(frozen=True)
class Shown:
    """A queued row as its reader sees it: text, (label, data) buttons, and any media."""

    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    #: A photo or document the channel already holds, and which of the two.
    file_id: str | None = None
    file_kind: str | None = None
    #: A document to upload: (file name, content) (rows of version 1 only).
    document: tuple[str, str] | None = None


def shown(payload: dict[str, Any] | None, language: str) -> Shown:
    """The row's message rendered in ``language``."""
    data = queued_event(payload)
    if data is None:
        return _version_1(payload or {})
    event = load_event(data)
    rows: tuple[tuple[tuple[str, str], ...], ...] = ()
    if isinstance(event, Say):
        rows = tuple(
            tuple((render(b.label, language), encode(b.action)) for b in row)
            for row in event.buttons
        )
        return Shown(render(event.text, language), rows)
    if isinstance(event, Photo):
        return Shown(render(event.caption, language), file_id=event.file_id, file_kind=event.kind)
    return Shown(render(event.text, language))


def _version_1(payload: dict[str, Any]) -> Shown:
    rows = tuple(
        tuple((b["label"], b["data"]) for b in line) for line in payload.get("buttons") or ()
    )
    document = payload.get("document")
    return Shown(
        payload.get("text") or "",
        rows,
        file_id=payload.get("file_id"),
        file_kind=payload.get("file_kind"),
        document=(document["name"], document["content"]) if document else None,
    )
