"""A pacer that has sent a wave to many people forgets those whose slots are past, and
paces everyone exactly as before."""

from __future__ import annotations

import pytest
from support.pace import FakePace

from circles.pacing import FORGET_EVERY, Pacer


async def _wave(pacer: Pacer, pace: FakePace, recipients: range) -> None:
    """Send bulk to each recipient in turn, waiting for each slot as the sender does."""
    for person in recipients:
        await pace.sleep(pacer.reserve(person, bulk=True))


async def test_a_wave_to_many_people_is_not_remembered_person_by_person() -> None:
    pace = FakePace()
    pacer = Pacer(per_second=30, now=pace.now, sleep=pace.sleep)
    await _wave(pacer, pace, range(10 * FORGET_EVERY))
    # Only the last few seconds' recipients are still remembered, not all of them.
    assert len(pacer._next) <= FORGET_EVERY + 30 * 4
    assert len(pacer._recent) <= FORGET_EVERY + 30 * 4


async def test_forgetting_changes_no_slot() -> None:
    pace = FakePace()
    pacer = Pacer(per_second=30, now=pace.now, sleep=pace.sleep)
    await _wave(pacer, pace, range(3 * FORGET_EVERY))
    started = pace.now()
    # The wave kept the bulk pace throughout: 24 a second.
    assert started - 1000.0 == pytest.approx((3 * FORGET_EVERY - 1) / 24, abs=0.01)
    # Someone who just got a message still waits a second for the next; someone whose
    # message went long ago (forgotten) may get a reply at once, like someone new.
    last = 3 * FORGET_EVERY - 1
    assert pacer.reserve(last, bulk=True) == pytest.approx(1.0, abs=0.05)
    assert pacer.reserve(0, bulk=False) == pytest.approx(0.0, abs=0.01)
    assert pacer.reserve(10**9, bulk=False) == pytest.approx(0.0, abs=0.01)


async def test_a_recipient_blocked_for_long_stays_blocked_through_forgetting() -> None:
    pace = FakePace()
    pacer = Pacer(per_second=30, now=pace.now, sleep=pace.sleep)
    pacer.reserve("blocked", bulk=False)
    pacer.block("blocked", 3600)
    await _wave(pacer, pace, range(2 * FORGET_EVERY))
    waited = pace.now() - 1000.0
    assert pacer.ready_in("blocked") == pytest.approx(3600 - waited, abs=0.01)
