"""Apps narrower than Telegram, for fitting events to them."""

from __future__ import annotations

from bot.flows.fit import Capabilities

#: An app with three buttons to a message, short labels and no edits (WhatsApp's buttons).
NARROW = Capabilities(
    buttons_per_message=3,
    buttons_per_row=3,
    label_length=20,
    data_bytes=256,
    text_length=1024,
    can_edit=False,
)
