"""WhatsApp's renderer: events fitted to WhatsApp (:data:`bot.flows.fit.WHATSAPP`), sent
through the Cloud API client.

What WhatsApp cannot do, it does not pretend to: there are no edits, so ``Done`` shows
nothing (the person's tap is in the chat) and a redrawn multiple choice is a new message;
there are no toasts, so a ``Notice`` is a message of its own. A question with up to three
short choices gets reply buttons; one with up to ten gets a list message (a label longer
than a row's title is shown whole in its description); more, or labels longer than a
description, get :mod:`bot.flows.fit`'s numbered list (the person types the number),
so every choice stays reachable and nothing is cut silently. A message with buttons has a
body of at most 1024 characters: longer text goes first as plain messages. A document
(``/mydata``) is uploaded, then sent by its media id, as a type WhatsApp accepts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from bot.flows.fit import WHATSAPP, Fitted, fit
from bot.flows.fit import Message as Outgoing
from bot.handlers.whatsapp.client import GraphError, WhatsAppClient
from circles.text import render, shorten, t

log = logging.getLogger(__name__)

#: The longest body of an interactive message (buttons or list).
INTERACTIVE_BODY = 1024
#: The longest title of the button that opens a list.
LIST_BUTTON = 20
#: Document types WhatsApp accepts, by file ending; anything else goes as plain text.
DOCUMENT_TYPES = {
    ".txt": "text/plain",
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

#: Photo types WhatsApp takes as images, by file ending (a kept WebP goes as a file).
IMAGE_TYPES = {".jpg": "image/jpeg", ".png": "image/png"}

CHOOSE = t("Choose")


def fitted(events: Sequence[object], language: str | None) -> Fitted:
    """``events`` in ``language``, fitted to WhatsApp."""
    return fit(list(events), language, WHATSAPP)


async def show(client: WhatsAppClient, to: str, shown: Fitted, language: str | None) -> list[str]:
    """Send an update's fitted events to ``to``, in order; returns the message ids."""
    messages = list(shown.messages)
    if shown.notice:  # no toast on WhatsApp: the note is a message of its own
        messages.insert(0, Outgoing(shown.notice))
    sent: list[str] = []
    for message in messages:
        sent += await send(client, to, message, language)
    return sent


async def send(
    client: WhatsAppClient, to: str, message: Outgoing, language: str | None
) -> list[str]:
    """Send one fitted message (as one or more WhatsApp messages); returns their ids."""
    media = message.media
    if media is not None and media.content is not None:
        if media.kind == "photo":
            filename = media.filename or "photo.jpg"
            image = IMAGE_TYPES.get(Path(filename).suffix.lower())
            if image is None:  # WebP: WhatsApp takes it only as a sticker; say what it was
                return [await client.send_text(to, message.text)] if message.text else []
            media_id = await client.upload(media.content, filename=filename, mime_type=image)
            return [await client.send_image(to, media_id, message.text or None)]
        filename, mime_type = document_type(media.filename or "file.txt")
        media_id = await client.upload(media.content, filename=filename, mime_type=mime_type)
        return [await client.send_document(to, media_id, message.text or None, filename)]
    if media is not None and media.file_id is not None:
        try:
            if media.kind == "photo":
                return [await client.send_image(to, media.file_id, message.text or None)]
            return [await client.send_document(to, media.file_id, message.text or None)]
        except GraphError as error:
            # An id WhatsApp does not hold (a Telegram file, an expired media id): the
            # caption still says what it was.
            if error.retryable or not message.text:
                raise
            log.info("media not sent (Graph error %s); sending its caption", error.code)
            return [await client.send_text(to, message.text)]
    keys = [key for row in message.keys for key in row]
    if not keys:
        return [await client.send_text(to, message.text)] if message.text else []
    lead, body = _interactive_body(message.text)
    sent = [await client.send_text(to, piece) for piece in lead]
    if message.listed:
        button = render(CHOOSE, language)[:LIST_BUTTON]
        rows = [(data, *_row_title(label)) for label, data in keys]
        sent.append(await client.send_list(to, body, button, rows))
    else:
        sent.append(await client.send_buttons(to, body, [(data, label) for label, data in keys]))
    return sent


def _row_title(label: str) -> tuple[str, str | None]:
    """A list row's title and description: a label too long for a title is shown whole
    in the description, under its beginning."""
    if len(label) <= WHATSAPP.list_title_length:
        return label, None
    return shorten(label, WHATSAPP.list_title_length), label


def document_type(filename: str) -> tuple[str, str]:
    """The file name and type to upload ``filename`` as (JSON goes as plain text)."""
    for ending, mime_type in DOCUMENT_TYPES.items():
        if filename.lower().endswith(ending):
            return filename, mime_type
    return filename + ".txt", "text/plain"


def _interactive_body(text: str) -> tuple[list[str], str]:
    """``text`` as plain messages to send first and the body of the interactive message."""
    text = text or "…"
    if len(text) <= INTERACTIVE_BODY:
        return [], text
    lines = text.split("\n")
    body: list[str] = []
    while lines and len("\n".join([lines[-1], *body])) <= INTERACTIVE_BODY:
        body.insert(0, lines.pop())
    if not body:  # one line longer than a body: its end is the body
        last = lines.pop()
        lines.append(last[:-INTERACTIVE_BODY])
        body = [last[-INTERACTIVE_BODY:]]
    lead = "\n".join(lines).strip("\n")
    return ([lead] if lead else []), "\n".join(body).strip("\n") or "…"
