"""What the door reads as a command, the same for every app."""

from __future__ import annotations

import pytest

from bot.flows.door import Inbound
from bot.flows.inputs import Input, InputKind


@pytest.mark.parametrize(
    ("typed", "command", "argument"),
    [
        ("/start ABC123", "start", "ABC123"),
        ("/Start@CirclesBot   ABC123 ", "start", "ABC123"),  # Telegram's group form
        ("/start\nABC123", "start", "ABC123"),  # a line break after the name
        ("/broadcast first line\nsecond line", "broadcast", "first line\nsecond line"),
        ("  /checkin", "checkin", ""),
    ],
)
def test_a_command_is_its_name_and_the_words_as_typed(
    typed: str, command: str, argument: str
) -> None:
    assert Inbound.command_of(typed) == Inbound(command=command, argument=argument)
    message = Input(InputKind.text, text=typed, ref="1")
    assert Inbound.of(message) == Inbound(command=command, argument=argument)


@pytest.mark.parametrize("typed", ["/", "/ ", "hello /start", "", "   "])
def test_text_that_is_no_command_is_an_answer(typed: str) -> None:
    assert Inbound.command_of(typed) is None
    message = Input(InputKind.text, text=typed, ref="1")
    assert Inbound.of(message) == Inbound(message=message)


def test_a_photo_caption_that_starts_with_a_slash_is_an_answer() -> None:
    photo = Input(InputKind.photo, text="/start ABC", file_id="f", ref="1")
    assert Inbound.of(photo) == Inbound(message=photo)
