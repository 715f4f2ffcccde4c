"""Replies come in a short burst; a chat still gets one message a second over time."""

from __future__ import annotations

import pytest
from support.pace import FakePace

from bot.handlers.telegram.ratelimit import TelegramLimits


def test_a_reply_burst_goes_at_once_then_one_a_second() -> None:
    pace = FakePace()
    limits = TelegramLimits(now=pace.now, sleep=pace.sleep, per_second=1000)
    waits = [limits.reserve(42, bulk=False) for _ in range(5)]
    assert waits[:3] == pytest.approx([0, 0, 0], abs=0.01)  # mark the button, answer, ask the next
    assert waits[3:] == pytest.approx(
        [3, 3], abs=0.01
    )  # then no more than three in any three seconds
    pace.advance(10)
    assert [limits.reserve(42, bulk=False) for _ in range(3)] == pytest.approx([0, 0, 0], abs=0.01)


def test_bulk_keeps_one_a_second_and_a_429_blocks_replies_too() -> None:
    pace = FakePace()
    limits = TelegramLimits(now=pace.now, sleep=pace.sleep, per_second=1000)
    assert [limits.reserve(7, bulk=True) for _ in range(3)] == pytest.approx([0, 1, 2], abs=0.01)
    limits.block_chat(8, 5)
    assert limits.reserve(8, bulk=False) == pytest.approx(5)
    assert limits.chat_ready_in(8) == pytest.approx(6)


def test_replies_to_many_chats_go_at_once_up_to_thirty_in_any_second() -> None:
    pace = FakePace()
    limits = TelegramLimits(now=pace.now, sleep=pace.sleep)
    waits = [limits.reserve(chat, bulk=False) for chat in range(1, 32)]
    assert waits[:30] == pytest.approx([0] * 30, abs=0.001)  # no queue behind each other
    assert waits[30] == pytest.approx(1.05, abs=0.001)  # the 31st waits for the window
    pace.advance(2)
    bulk = [limits.reserve(100 + n, bulk=True) for n in range(24)]
    replies = [limits.reserve(200 + n, bulk=False) for n in range(10)]
    slots = sorted(pace.now() + w for w in bulk + replies)
    # However bulk and replies mix, no window of 1.05 s holds more than 30 sends.
    assert all(b - a >= 1.05 - 1e-9 for a, b in zip(slots, slots[30:], strict=False))
