"""What WhatsApp sent, read: the messages of a webhook call, and each one as an Inbound.

A webhook call (``entry[].changes[].value``) carries messages of one or more people
(``messages`` with their ``contacts``: the WhatsApp id and profile name) and statuses of
messages we sent (``statuses``). Anything of an unexpected shape is skipped, never an
error: WhatsApp adds fields and types over time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.flows.door import Inbound
from bot.flows.inputs import Input, InputKind
from bot.flows.messages import Sender
from circles.models import Channel
from circles.services.inbox import Received

#: "JOIN <code>" anywhere in a first message, in any case (invite codes are URL-safe).
JOIN = re.compile(r"(?<![A-Za-z0-9_-])join\s+([A-Za-z0-9_-]{6,32})", re.IGNORECASE)

#: Words that, alone in a message and in any case, stop or restart what is sent unasked
#: (WhatsApp's opt-out rules), as the commands that do it.
KEYWORDS = {"stop": "stop", "start": "resume"}
_KEYWORD = re.compile(r"\s*(stop|start)\s*[.!]*\s*", re.IGNORECASE)

#: WhatsApp's media message types, as the flows' input kinds.
_MEDIA = {
    "image": InputKind.photo,
    "document": InputKind.document,
    "audio": InputKind.voice,
    "voice": InputKind.voice,
    "video": InputKind.other,
}
_WITHOUT_CONTENT = {
    "sticker": InputKind.sticker,
    "location": InputKind.location,
    "contacts": InputKind.contact,
}
#: Types that are no message to answer: a reaction to one of ours, a system notice.
_IGNORED = {"reaction", "system", "ephemeral", "request_welcome"}


@dataclass(frozen=True)
class Delivery:
    """A webhook call's content: the messages to store and the statuses of sent ones."""

    messages: list[Received]
    statuses: list[dict[str, Any]] = field(default_factory=list)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def read_delivery(payload: Any) -> Delivery:
    """The messages (with their senders) and the statuses in a webhook call."""
    messages: list[Received] = []
    statuses: list[dict[str, Any]] = []
    entries = _dicts(payload.get("entry")) if isinstance(payload, dict) else []
    for entry in entries:
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            names = {
                str(c.get("wa_id")): (c.get("profile") or {}).get("name")
                for c in _dicts(value.get("contacts"))
                if isinstance(c.get("profile") or {}, dict)
            }
            metadata = value.get("metadata")
            number = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
            statuses += _dicts(value.get("statuses"))
            for message in _dicts(value.get("messages")):
                sender, message_id = message.get("from"), message.get("id")
                if not isinstance(sender, str) or not isinstance(message_id, str):
                    continue
                name = names.get(sender)
                messages.append(
                    Received(
                        message_id=message_id,
                        address=sender,
                        profile_name=name if isinstance(name, str) else None,
                        message=message,
                        receiver=number if isinstance(number, str) else None,
                    )
                )
    return Delivery(messages, statuses)


def sender_of(wa_id: str, profile_name: str | None) -> Sender:
    """The sender of a WhatsApp message: WhatsApp tells no language."""
    return Sender(Channel.whatsapp, wa_id, name=profile_name, language_code=None)


def join_code(message: dict[str, Any]) -> str | None:
    """The invite code of a "JOIN <code>" text, if the message is one."""
    if message.get("type") != "text":
        return None
    found = JOIN.search(_text(message))
    return found.group(1) if found else None


def keyword(message: dict[str, Any]) -> str | None:
    """The command a message of one opt-out word ("STOP", "start") stands for."""
    if message.get("type") != "text":
        return None
    found = _KEYWORD.fullmatch(_text(message))
    return KEYWORDS[found.group(1).lower()] if found else None


def inbound_of(message: dict[str, Any]) -> Inbound | None:
    """The message as the door takes it; None for what needs no answer (a reaction)."""
    kind = message.get("type")
    ref = message.get("id") if isinstance(message.get("id"), str) else None
    if kind == "text":
        if command := keyword(message):
            return Inbound(command=command)
        return Inbound.of(Input(InputKind.text, text=_text(message), ref=ref))
    if kind == "interactive":
        interactive = _part(message, "interactive")
        reply = _part(interactive, str(interactive.get("type")))
        data = reply.get("id")
        return Inbound(data=data) if isinstance(data, str) else None
    if kind == "button":  # a template's quick reply
        data = _part(message, "button").get("payload")
        return Inbound(data=data) if isinstance(data, str) else None
    if kind in _MEDIA:
        media = _part(message, kind)
        media_id = media.get("id") if isinstance(media.get("id"), str) else None
        caption = media.get("caption") if isinstance(media.get("caption"), str) else None
        # WhatsApp's media id; the worker downloads the file and puts the store's id here.
        return Inbound(message=Input(_MEDIA[kind], text=caption, file_id=media_id, ref=ref))
    if kind in _WITHOUT_CONTENT:
        return Inbound(message=Input(_WITHOUT_CONTENT[kind], ref=ref))
    if kind in _IGNORED:
        return None
    return Inbound(message=Input(InputKind.other, ref=ref))


def declared_type(message: dict[str, Any]) -> str | None:
    """The content type a media message says its file has."""
    mime_type = _part(message, str(message.get("type"))).get("mime_type")
    return mime_type if isinstance(mime_type, str) else None


def _part(message: dict[str, Any], key: str) -> dict[str, Any]:
    part = message.get(key)
    return part if isinstance(part, dict) else {}


def _text(message: dict[str, Any]) -> str:
    body = _part(message, "text").get("body")
    return body if isinstance(body, str) else ""
