"""No check-in, reminder or digest in a holiday; the next check-in a teacher is told skips it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from support.story import identify, onboard_facilitator

from circles.db import SessionMaker, transaction
from circles.models import CheckIn, Circle, TokenRole
from circles.services import holidays
from circles.services.access import Scope
from scheduler.jobs import checkin_sweep, digest_sweep

OPENS = datetime(2026, 9, 7, 16, 0, tzinfo=UTC)  # Monday 16:00 in Accra (UTC+0)
NUDGE = "Your check-in for this week is still open. It takes about five minutes."
COORDINATOR = Scope("token:1", TokenRole.coordinator, countries=frozenset({"GH"}))


async def _circle_holiday(sessions: SessionMaker, circle_id: int, first: date, last: date) -> None:
    async with transaction(sessions) as session:
        circle = await session.get_one(Circle, circle_id)
        await holidays.add_holiday(
            session,
            circle=circle,
            dates=holidays.Dates(first, last, "Mid-term"),
            actor="test",
            now=OPENS,
        )


async def test_a_checkin_does_not_open_on_a_holiday_and_opens_the_week_after(
    ama, clock, sessions, sender
) -> None:
    await identify(ama)  # Monday 7 September, 08:00: piloting from this week
    async with transaction(sessions) as session:
        await holidays.add_country_holiday(
            session,
            scope=COORDINATOR,
            country="GH",
            dates=holidays.Dates(date(2026, 9, 7), date(2026, 9, 11), "Mid-term break"),
            now=clock.now(),
        )
    [told] = await ama.send("/checkin")
    assert told == (
        "Your circle is on holiday until Sep 11, 2026. "
        "Your next check-in opens on Mon, Sep 14, 2026, 4:00\u202fPM."
    )

    clock.set(OPENS + timedelta(hours=1))
    sweep = await checkin_sweep(sessions, clock)
    assert (sweep.opened, sweep.missed, (await sender.drain()).sent) == (0, 0, 0)

    clock.set(OPENS + timedelta(days=7))
    sweep = await checkin_sweep(sessions, clock)
    # The holiday's week is not recorded as missed: there was nothing to answer.
    assert (sweep.opened, sweep.missed, (await sender.drain()).sent) == (1, 0, 1)
    async with sessions() as session:
        opened = list(await session.scalars(select(CheckIn.scheduled_for)))
    assert opened == [OPENS + timedelta(days=7)]
    assert ama.messages()[-1]["text"].startswith("Time for this week's check-in")


async def test_reminders_wait_until_the_holiday_is_over(
    phone, accra, ama, clock, sessions, sender
) -> None:
    grace = await onboard_facilitator(phone, accra)
    await identify(ama)
    clock.set(OPENS)
    assert (await checkin_sweep(sessions, clock)).opened == 1
    await sender.drain()
    await _circle_holiday(sessions, accra.circle_id, date(2026, 9, 8), date(2026, 9, 9))

    counts = []
    for hours in (24, 40, 55):  # Tuesday 16:00, Wednesday 08:00 and 23:00: a holiday
        clock.set(OPENS + timedelta(hours=hours))
        await checkin_sweep(sessions, clock)
        await sender.drain()
        counts.append(ama.fake.texts_to(ama.chat_id).count(NUDGE))
    assert counts == [0, 0, 0]

    clock.set(OPENS + timedelta(hours=40))
    before = len(ama.messages())
    [answer] = await grace.send("/nudge")
    assert answer == "Accra 1\nThe circle is on holiday until Sep 9, 2026: no reminders are sent."
    await sender.drain()
    assert ama.messages()[before:] == []

    clock.set(OPENS + timedelta(hours=63))  # Thursday 07:00: the holiday is over
    await checkin_sweep(sessions, clock)
    await sender.drain()
    assert ama.fake.texts_to(ama.chat_id).count(NUDGE) == 1


async def test_no_weekly_digest_on_a_holiday_monday(
    phone, accra, ama, clock, sessions, sender, fake
) -> None:
    grace = await onboard_facilitator(phone, accra)
    await _circle_holiday(sessions, accra.circle_id, date(2026, 9, 12), date(2026, 9, 20))
    clock.set(datetime(2026, 9, 14, 8, 0, tzinfo=UTC))
    assert await digest_sweep(sessions, clock) == 0
    clock.set(datetime(2026, 9, 21, 8, 0, tzinfo=UTC))
    assert await digest_sweep(sessions, clock) == 1
    await sender.drain()
    assert "Your weekly digest" in fake.texts_to(grace.chat_id)[-1]
