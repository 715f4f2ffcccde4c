"""Each kind of WhatsApp message, as the door takes it."""

from __future__ import annotations

import pytest
from support.fakecloud import button_reply, image, list_reply, message, text, voice

from bot.flows.door import Inbound
from bot.flows.inputs import Input, InputKind
from bot.handlers.whatsapp.inbound import inbound_of, join_code

WA = "233200000001"


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (
            text(WA, "Hello", message_id="m1"),
            Inbound(message=Input(InputKind.text, "Hello", ref="m1")),
        ),
        (text(WA, "/checkin now", message_id="m2"), Inbound(command="checkin", argument="now")),
        (button_reply(WA, "o:12:", "Open"), Inbound(data="o:12:")),
        (list_reply(WA, "c:4:1:en", "English"), Inbound(data="c:4:1:en")),
        (message(WA, "button", {"payload": "o:12:", "text": "Start"}), Inbound(data="o:12:")),
        (
            image(WA, "media-1", caption="Exit tickets", message_id="m3"),
            Inbound(message=Input(InputKind.photo, "Exit tickets", file_id="media-1", ref="m3")),
        ),
        (
            voice(WA, "media-2", message_id="m4"),
            Inbound(message=Input(InputKind.voice, file_id="media-2", ref="m4")),
        ),
        (
            message(WA, "document", {"id": "media-3", "filename": "plan.pdf"}, message_id="m5"),
            Inbound(message=Input(InputKind.document, file_id="media-3", ref="m5")),
        ),
        (
            message(WA, "sticker", {"id": "s"}, message_id="m6"),
            Inbound(message=Input(InputKind.sticker, ref="m6")),
        ),
        (
            message(WA, "location", {"latitude": 5.6, "longitude": -0.2}, message_id="m7"),
            Inbound(message=Input(InputKind.location, ref="m7")),
        ),
        (
            message(WA, "contacts", {"name": "Kofi"}, message_id="m8"),
            Inbound(message=Input(InputKind.contact, ref="m8")),
        ),
        (
            message(WA, "unsupported", {}, message_id="m9"),
            Inbound(message=Input(InputKind.other, ref="m9")),
        ),
        (message(WA, "reaction", {"message_id": "x", "emoji": "👍"}), None),
        (message(WA, "interactive", {"type": "nfm_reply"}), None),
    ],
)
def test_each_kind_of_message_becomes_what_the_door_takes(sent, expected) -> None:
    assert inbound_of(sent) == expected


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("JOIN AbC123xyz_-Q", "AbC123xyz_-Q"),
        ("Hi! join AbC123xyz please", "AbC123xyz"),
        ("Bonjour, Join\nAbC123xyz.", "AbC123xyz"),
        ("rejoin AbC123xyz", None),
        ("I want to join", None),
        ("hello", None),
    ],
)
def test_the_invite_code_is_found_anywhere_in_any_case(body, code) -> None:
    assert join_code(text(WA, body)) == code
