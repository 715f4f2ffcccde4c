"""WhatsApp's limits: the number's throughput (bulk at 80 % of it, replies first), about
one message per 6 s to one person, throttling that slows the number or the person, and
the messaging tier: a wave beyond it goes on over the day, never beyond the tier."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from support.fakecloud import FakeCloud
from support.pace import FakePace

from bot.flows.events import Say
from bot.handlers.whatsapp.client import pacer
from bot.handlers.whatsapp.runner import client_for
from bot.handlers.whatsapp.sender import WhatsAppSender
from circles.clock import FakeClock
from circles.db import SessionMaker
from circles.models import OutboxPriority, OutboxState
from circles.settings import Settings, SettingsError, load_settings

from .conftest import outbox_rows, queue_for, whatsapp_teacher

AMA, KOFI = "233200000951", "233200000952"


def test_bulk_keeps_to_80_percent_of_the_rate_and_replies_go_first() -> None:
    pace = FakePace()
    limits = pacer(80, now=pace.now, sleep=pace.sleep)
    sent = []
    for n in range(128):  # a wave, each message sent when its slot comes
        pace.advance(limits.reserve(f"2332{n:08d}", bulk=True))
        sent.append(pace.now())
    assert sent[-1] - sent[0] == pytest.approx(127 / 64)  # 64 a second: 80 % of 80
    # Sixteen people answer during the wave: the room it leaves takes the replies at once
    # (the 20 % of a second's rate), none waits behind the wave.
    replies = [limits.reserve(f"2339{n:08d}", bulk=False) for n in range(16)]
    assert replies[:12] == pytest.approx([0] * 12, abs=0.001) and max(replies) < 0.1
    # However bulk and replies mix, no window of a second holds more than 80 sends.
    slots = sorted([*sent, *(pace.now() + w for w in replies)])
    assert all(b - a >= 1.0 for a, b in zip(slots, slots[80:], strict=False))


def test_one_person_gets_a_short_burst_of_replies_then_one_message_per_six_seconds() -> None:
    pace = FakePace()
    limits = pacer(now=pace.now, sleep=pace.sleep)
    assert [limits.reserve(AMA, bulk=False) for _ in range(4)] == pytest.approx(
        [0, 0, 0, 18], abs=0.01
    )
    assert [limits.reserve(KOFI, bulk=True) for _ in range(3)] == pytest.approx(
        [0, 6, 12], abs=0.05
    )


def test_a_local_fake_may_take_a_person_gap_of_zero() -> None:
    settings = load_settings(_env_file=None, whatsapp_person_gap=0)
    assert load_settings(_env_file=None).whatsapp_person_gap == 6  # as Meta advises
    pace = FakePace()
    limits = pacer(settings.whatsapp_rate, settings.whatsapp_person_gap, now=pace.now)
    assert [limits.reserve(AMA, bulk=False) for _ in range(6)] == pytest.approx([0] * 6)
    with pytest.raises(SettingsError, match=r"CIRCLES_WHATSAPP_PERSON_GAP"):
        load_settings(_env_file=None, whatsapp_person_gap=-1)


def test_the_rate_and_the_tier_are_settings_and_wrong_values_are_named() -> None:
    settings = load_settings(_env_file=None, whatsapp_rate=40, whatsapp_tier=2000)
    assert (settings.whatsapp_rate, settings.whatsapp_tier) == (40, 2000)
    assert load_settings(_env_file=None).whatsapp_tier == 250  # Meta's starting tier
    with pytest.raises(SettingsError, match=r"CIRCLES_WHATSAPP_TIER: .*250, 2000, 10000, 100000"):
        load_settings(_env_file=None, whatsapp_tier=300)
    with pytest.raises(SettingsError, match=r"CIRCLES_WHATSAPP_RATE"):
        load_settings(_env_file=None, whatsapp_rate=0)


@pytest.fixture
def pace() -> FakePace:
    return FakePace()


@pytest.fixture
async def paced(
    wa_settings: Settings, sessions: SessionMaker, clock: FakeClock, pace: FakePace
) -> AsyncIterator[WhatsAppSender]:
    """A sender whose client keeps WhatsApp's pace on a fake clock, with a tier of 2."""
    client = client_for(wa_settings, limits=pacer(now=pace.now, sleep=pace.sleep))
    yield WhatsAppSender(client, sessions, clock, tier=2)
    await client.aclose()


async def _later(clock: FakeClock, pace: FakePace, seconds: float) -> None:
    clock.advance(timedelta(seconds=seconds))
    pace.advance(seconds)


async def _one_each(sessions: SessionMaker, clock: FakeClock) -> None:
    """Ama and Kofi, who wrote an hour ago, each have a broadcast queued."""
    for wa_id in (AMA, KOFI):
        await whatsapp_teacher(sessions, clock, wa_id, wrote_ago=timedelta(hours=1))
        await queue_for(sessions, clock, wa_id, Say("One"), "broadcast-1")


async def test_a_second_message_to_one_person_waits_six_seconds_others_go_at_once(
    sessions, clock, cloud: FakeCloud, paced: WhatsAppSender, pace
) -> None:
    await _one_each(sessions, clock)
    await queue_for(sessions, clock, AMA, Say("Two"), "broadcast-2")
    await paced.drain()
    assert [len(cloud.sent_to(wa_id)) for wa_id in (AMA, KOFI)] == [1, 1]
    waiting = [row for row in await outbox_rows(sessions) if row.state is OutboxState.pending]
    assert [row.idempotency_key for row in waiting] == ["broadcast-2"]
    assert (waiting[0].not_before - clock.now()).total_seconds() == pytest.approx(6, abs=0.1)
    await _later(clock, pace, 6)
    await paced.drain()
    assert [m["text"]["body"] for m in cloud.sent_to(AMA)] == ["One", "Two"]


async def test_throttling_slows_the_whole_number_or_only_that_person(
    sessions, clock, cloud: FakeCloud, paced: WhatsAppSender, pace
) -> None:
    await _one_each(sessions, clock)
    cloud.fail_next(131056)  # too many to Ama
    await paced.drain()
    assert (len(cloud.sent_to(AMA)), len(cloud.sent_to(KOFI))) == (0, 1)
    assert paced.limits.ready_in(AMA) == pytest.approx(60, abs=0.1)
    (ama_row, _kofi_row) = await outbox_rows(sessions)
    assert ama_row.not_before == clock.now() + timedelta(minutes=1)

    await queue_for(sessions, clock, KOFI, Say("Two"), "broadcast-2")
    await _later(clock, pace, 6)
    cloud.fail_next(130429)  # the number sends too fast
    await paced.drain()
    assert paced.limits.ready_in("233200000999") > 1  # nobody gets anything for a while
    await _later(clock, pace, 60)
    await paced.drain()
    assert (len(cloud.sent_to(AMA)), len(cloud.sent_to(KOFI))) == (1, 2)


async def test_a_wave_beyond_the_tier_goes_on_over_the_day_never_beyond_it(
    sessions, clock, cloud: FakeCloud, paced: WhatsAppSender, pace, caplog
) -> None:
    caplog.set_level(logging.INFO)
    people = [f"23320000096{n}" for n in range(5)]
    for wa_id in people:
        await whatsapp_teacher(sessions, clock, wa_id, wrote_ago=timedelta(days=3))
        await queue_for(sessions, clock, wa_id, Say("Hub on Friday"), "broadcast-9")
    await whatsapp_teacher(sessions, clock, AMA, wrote_ago=timedelta(minutes=5))
    await queue_for(sessions, clock, AMA, Say("Hub on Friday"), "broadcast-9")
    started = clock.now()
    await paced.drain()
    reached = [wa_id for wa_id in people if cloud.sent_to(wa_id)]
    assert len(reached) == 2  # the tier: two people a day outside their window
    assert cloud.sent_to(AMA)[0]["type"] == "text"  # inside the window: no tier
    assert "messaging tier (2 people a day) is reached" in caplog.text

    # Someone already reached today may get another template; nobody new may.
    await _later(clock, pace, 3600)
    await queue_for(sessions, clock, reached[0], Say("Room 4"), "broadcast-10")
    await queue_for(sessions, clock, people[-1], Say("Room 4"), "broadcast-10")
    await paced.drain()
    assert len(cloud.sent_to(reached[0])) == 2
    assert not cloud.sent_to(people[-1]) or people[-1] in reached

    # A day after each first one, a slot frees and the wave goes on; the one who got a
    # second template an hour later holds their slot an hour longer.
    counts = []
    for hours in (24, 25, 47):
        clock.set(started + timedelta(hours=hours))
        pace.advance(3600)
        await paced.drain()
        counts.append(len([wa_id for wa_id in people if cloud.sent_to(wa_id)]))
    assert counts == [3, 4, 4]
    clock.set(started + timedelta(hours=49))
    await paced.drain()
    assert all(cloud.sent_to(wa_id) for wa_id in people)
    await _later(clock, pace, 6)  # the last one's second message, six seconds after
    await paced.drain()
    templates = [m for m in cloud.sent if m["type"] == "template"]
    assert len(templates) == 7  # five people, two of them twice
    rows = await outbox_rows(sessions)
    assert {row.state for row in rows} == {OutboxState.sent}
    assert all(row.priority is OutboxPriority.bulk for row in rows)
    sent = [(row.sent_at, row.address) for row in rows if row.template is not None]
    for at, _address in sent:  # in no 24 hours more than two people
        assert len({a for t, a in sent if at - timedelta(hours=24) < t <= at}) <= 2
