"""WhatsApp's look in the web chat simulator, so a coordinator can preview it without a number.

The simulator (:mod:`api.web.simulator`) knows no messaging app; this door adds its look
to an app's simulator (:func:`install`, called by ``circles run``): WhatsApp's limits
(:data:`bot.flows.fit.WHATSAPP`), its 24-hour window, and the approved template a message
the bot starts itself arrives as once that window has closed — filled exactly as the
WhatsApp sender fills it (:func:`bot.handlers.whatsapp.templates.for_purpose`), with the
quick replies carrying the same actions as the message's buttons.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI

from api.web.transcript import Look, add_look
from bot.flows.fit import WHATSAPP, Key
from bot.handlers.whatsapp.sender import WINDOW
from bot.handlers.whatsapp.templates import NoTemplate, catalog, for_purpose


def template_preview(
    key: str, payload: dict[str, Any], language: str
) -> tuple[str, str, Sequence[Key]] | None:
    """The template WhatsApp delivers for an outbox row while the window is closed: its
    name, its body and its quick replies. None for a row no template stands for (a
    reply, which waits for the window)."""
    try:
        filled = for_purpose(key, payload, language)
    except (NoTemplate, KeyError, TypeError, ValueError):
        return None
    if filled is None:
        return None
    template = catalog().get(filled.name, filled.language)
    labels = template.buttons if template is not None else ()
    return filled.name, filled.text(), list(zip(labels, filled.payloads, strict=False))


LOOK = Look("WhatsApp", WHATSAPP, WINDOW, template_preview)


def install(app: FastAPI) -> None:
    """Offer WhatsApp's look in ``app``'s chat simulator."""
    add_look(app.state, "whatsapp", LOOK)
