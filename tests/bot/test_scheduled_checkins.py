"""The weekly rhythm: check-ins open at local time, nudge, close; exactly once, restart-safe."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, update
from support.people import on_telegram
from support.phone import Phone
from support.story import identify

from bot.handlers.telegram.sender import OutboxSender
from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.i18n import translate
from circles.models import CheckIn, CheckInStatus, Circle, Holiday, Outbox, OutboxState, Person
from scheduler.jobs import checkin_sweep

OPENS = datetime(2026, 9, 7, 16, 0, tzinfo=UTC)  # Monday 16:00 in Accra (UTC+0)
INVITATION = (
    "Time for this week's check-in about your practice: "
    "“Mini whiteboards for every student on one hinge question per lesson.”"
)


async def _checkins(sessions: SessionMaker) -> list[CheckIn]:
    async with sessions() as session:
        return list(await session.scalars(select(CheckIn).order_by(CheckIn.scheduled_for)))


async def _at(clock: FakeClock, when: datetime, sessions, sender: OutboxSender):
    clock.set(when)
    sweep = await checkin_sweep(sessions, clock)
    report = await sender.drain()
    return sweep, report


async def test_the_weekly_checkin_opens_at_local_time_and_is_answered_from_the_invitation(
    ama: Phone, clock, sessions, sender
) -> None:
    await identify(ama)
    sweep, _ = await _at(clock, OPENS - timedelta(minutes=1), sessions, sender)
    assert sweep.opened == 0
    before = len(ama.messages())
    sweep, report = await _at(clock, OPENS, sessions, sender)
    assert (sweep.opened, report.sent) == (1, 1)
    invitation = ama.messages()[before]
    assert invitation["text"] == INVITATION + "\n\nDid you try your practice this week?"
    assert ama.labels(invitation) == ["Yes", "Partly", "No"]
    old_no = ama.button_data("No", invitation)
    texts = await ama.tap("Partly", invitation)
    assert texts[0].startswith("What did you do?")
    await ama.send("Whiteboards on two days")
    await ama.send("Half the class got it")
    await ama.tap("3")
    await ama.send("Shorter questions")
    texts = await ama.tap("Skip")
    assert texts == ["Thank you, your check-in is saved.\n\nYour ratings so far: 3"]
    [checkin] = await _checkins(sessions)
    assert (checkin.status, checkin.iteration) == (CheckInStatus.answered, 1)
    # The invitation's buttons are closed now.
    assert await ama.tap_data(invitation, old_no) == []


async def test_running_the_sweep_again_sends_nothing_twice(ama, clock, sessions, sender) -> None:
    await identify(ama)
    await _at(clock, OPENS, sessions, sender)
    for minutes in (0, 1, 2):
        sweep, report = await _at(clock, OPENS + timedelta(minutes=minutes), sessions, sender)
        assert (sweep.opened, report.sent) == (0, 0)
    assert len(await _checkins(sessions)) == 1
    invitations = [t for t in ama.fake.texts_to(ama.chat_id) if t.startswith(INVITATION)]
    assert len(invitations) == 1


async def test_a_typed_answer_starts_the_invited_checkin(ama, clock, sessions, sender) -> None:
    await identify(ama)
    await _at(clock, OPENS, sessions, sender)
    texts = await ama.send("yes")
    assert texts[0].startswith("What did you do?")


async def test_nudges_after_24_and_72_hours_then_missed_after_six_days(
    ama, clock, sessions, sender
) -> None:
    await identify(ama)
    await _at(clock, OPENS, sessions, sender)
    nudge = "Your check-in for this week is still open. It takes about five minutes."
    counts = []
    for hours in (23, 24, 25, 71, 72, 100, 143, 144, 200):
        _sweep, _ = await _at(clock, OPENS + timedelta(hours=hours), sessions, sender)
        counts.append(ama.fake.texts_to(ama.chat_id).count(nudge))
    assert counts == [0, 1, 1, 1, 2, 2, 2, 2, 2]
    first_week = (await _checkins(sessions))[0]
    assert first_week.status is CheckInStatus.missed
    nudge_message = next(m for m in ama.messages() if m.get("text") == nudge)
    assert await ama.tap("Open my check-in", nudge_message) == []
    assert ama.last_notice() == "This question is already closed."


async def test_quiet_hours_hold_the_invitation_until_morning(ama, clock, sessions, sender) -> None:
    await identify(ama)
    async with transaction(sessions) as session:
        await session.execute(update(Circle).values(quiet_from=time(15), quiet_until=time(18)))
    _sweep, report = await _at(clock, OPENS, sessions, sender)
    assert report.sent == 0
    _sweep, report = await _at(clock, OPENS + timedelta(hours=1, minutes=59), sessions, sender)
    assert report.sent == 0
    _sweep, report = await _at(clock, OPENS + timedelta(hours=2), sessions, sender)
    assert report.sent == 1


async def test_holidays_and_pauses_get_nothing(ama, clock, sessions, sender, accra) -> None:
    await identify(ama)
    async with transaction(sessions) as session:
        session.add(
            Holiday(
                circle_id=accra.circle_id,
                starts_on=date(2026, 9, 7),
                ends_on=date(2026, 9, 11),
                name="Mid-term break",
            )
        )
    sweep, report = await _at(clock, OPENS + timedelta(hours=1), sessions, sender)
    assert (sweep.opened, report.sent) == (0, 0)
    await ama.send("/pause")
    await ama.tap("7 days")  # paused until Monday 14 September, 17:00
    sweep, report = await _at(clock, OPENS + timedelta(days=7), sessions, sender)
    assert sweep.opened == 0
    sweep, report = await _at(
        clock, OPENS + timedelta(days=7, hours=1, minutes=1), sessions, sender
    )
    assert (sweep.opened, report.sent) == (1, 1)  # the pause ended inside the window


async def test_weeks_missed_while_the_scheduler_was_down_are_recorded(
    ama, clock, sessions, sender
) -> None:
    await identify(ama)
    sweep, report = await _at(clock, OPENS + timedelta(days=7, hours=2), sessions, sender)
    assert (sweep.missed, sweep.opened, report.sent) == (1, 1, 1)
    assert [c.status for c in await _checkins(sessions)] == [
        CheckInStatus.missed,
        CheckInStatus.open,
    ]


async def test_a_teacher_abroad_is_invited_at_16_in_their_own_timezone(
    ama, clock, sessions, sender
) -> None:
    await identify(ama)
    async with transaction(sessions) as session:
        await session.execute(
            update(Person)
            .where(Person.id == (await on_telegram(session, ama.user.id)).id)
            .values(timezone="Asia/Seoul")
        )
    seoul_four_pm = datetime(2026, 9, 14, 7, 0, tzinfo=UTC)  # Monday 16:00 in Seoul
    sweep, _ = await _at(clock, seoul_four_pm - timedelta(minutes=1), sessions, sender)
    assert sweep.opened == 0
    sweep, report = await _at(clock, seoul_four_pm, sessions, sender)
    assert (sweep.opened, report.sent) == (1, 1)


async def test_a_restart_in_the_middle_of_a_wave_sends_each_invitation_once(
    phone, accra, clock, sessions, sender, app, limits
) -> None:
    from support.story import onboard

    from circles.models import Role

    teachers = []
    for n in range(5):
        teacher = phone(f"T{n}")
        await onboard(teacher, accra.codes[Role.teacher])
        teachers.append(teacher)
    fake = teachers[0].fake
    before = [len(fake.sent_to(t.chat_id)) for t in teachers]
    clock.set(OPENS)
    await checkin_sweep(sessions, clock)
    first = OutboxSender(app.bot, sessions, clock, limits, batch=2)
    rows = await first.claim()  # claims two, then "crashes" before sending them
    assert len(rows) == 2
    restarted = OutboxSender(app.bot, sessions, clock, limits)
    report = await restarted.drain()
    assert report.sent == 3  # the claimed two are left alone while the claim lasts
    clock.advance(timedelta(minutes=6))  # the crashed sender's claim runs out
    report = await restarted.drain()
    assert report.sent == 2
    async with sessions() as session:
        states = dict(
            (await session.execute(select(Outbox.state, func.count()).group_by(Outbox.state))).all()
        )
    assert states == {OutboxState.sent: 5}
    received = [len(fake.sent_to(t.chat_id)) - n for t, n in zip(teachers, before, strict=True)]
    assert received == [1, 1, 1, 1, 1]  # everyone, once


async def test_a_nudge_queued_in_english_goes_out_in_french_after_she_switches(
    ama, clock, sessions, sender
) -> None:
    await identify(ama)
    await _at(clock, OPENS, sessions, sender)
    clock.set(OPENS + timedelta(hours=24))
    assert (await checkin_sweep(sessions, clock)).nudged == 1  # queued while she reads English
    await ama.send("/language")
    texts = await ama.tap("Français")
    assert texts and "Your" not in texts[0]
    assert (await sender.drain()).sent == 1
    nudge = ama.messages()[-1]
    assert nudge["text"] == (
        "Votre point hebdomadaire est encore ouvert. Il prend environ cinq minutes."
    )
    assert ama.labels(nudge) == [translate("Open my check-in", "fr")]
    assert ama.labels(nudge) != ["Open my check-in"]
