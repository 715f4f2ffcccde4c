"""Facilitators follow their circle from the bot: summary, who, nudge, digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support.story import identify, onboard_facilitator

from scheduler.jobs import checkin_sweep, digest_sweep

OPENS = datetime(2026, 9, 7, 16, 0, tzinfo=UTC)


async def test_facilitator_sees_who_has_not_answered_and_nudges_once_a_day(
    phone, accra, ama, clock, sessions, sender
) -> None:
    grace = await onboard_facilitator(phone, accra)
    await identify(ama)
    clock.set(OPENS)
    await checkin_sweep(sessions, clock)
    await sender.drain()
    [summary] = await grace.send("/summary")
    assert "Accra 1" in summary
    assert "Ama M." in summary
    texts = await grace.send("/who")
    assert "Ama M." in texts[0]
    before = len(ama.messages())
    await grace.send("/nudge")
    await grace.send("/nudge")  # the same day: not again
    await sender.drain()
    reminders = ama.messages()[before:]
    assert len(reminders) == 1
    assert "Grace O." in reminders[0]["text"]
    assert ama.labels(reminders[0]) == ["Open my check-in"]
    texts = await ama.tap("Open my check-in", reminders[0])
    assert texts[0].startswith("Time for this week's check-in") or texts[0].startswith(
        "Did you try"
    )


async def test_teachers_cannot_use_facilitator_commands(ama) -> None:
    assert await ama.send("/who") == ["This is for the facilitators of a circle."]
    assert await ama.send("/summary") == [
        "This is for the facilitators and union representatives of a circle."
    ]


async def test_the_weekly_digest_arrives_once_on_monday_morning(
    phone, accra, ama, clock, sessions, sender, fake
) -> None:
    grace = await onboard_facilitator(phone, accra)
    monday_morning = datetime(2026, 9, 14, 8, 0, tzinfo=UTC)  # Accra is UTC+0
    clock.set(monday_morning - timedelta(minutes=1))
    assert await digest_sweep(sessions, clock) == 0
    clock.set(monday_morning)
    assert await digest_sweep(sessions, clock) == 1
    clock.advance(timedelta(minutes=5))
    assert await digest_sweep(sessions, clock) == 0
    await sender.drain()
    digest = fake.texts_to(grace.chat_id)[-1]
    assert "Accra 1" in digest
    assert fake.texts_to(ama.chat_id)[-1] != digest  # teachers get no digest
