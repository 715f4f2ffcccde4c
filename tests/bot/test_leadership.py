"""Distributed leadership: a teacher who codified her practice is invited to co-facilitate,
and facilitators answer a short monthly check-in that reaches their coordinators."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from support.story import onboard_facilitator

from circles.db import transaction
from circles.errors import Conflict
from circles.models import (
    CoFacilitation,
    CoFacilitationStatus,
    FacilitatorCheckIn,
    Holiday,
    Inquiry,
    Membership,
    Outbox,
    Person,
    Phase,
    Role,
)
from circles.services import leadership, privacy, teachers
from circles.services.access import scope_of_member
from scheduler.jobs import facilitator_sweep

INVITES = "Grace O. invites you to co-facilitate the learning circle Accra 1"
#: The first Monday of October 2026 (the 1st is a Thursday): the circle's check-in day.
OCTOBER_5 = date(2026, 10, 5)


async def _codified(sessions, ama_id: int, circle_id: int) -> None:
    """Ama's inquiry reached codify (as if she had piloted her practice for weeks)."""
    async with transaction(sessions) as session:
        session.add(Inquiry(person_id=ama_id, circle_id=circle_id, phase=Phase.codify))


async def _person(sessions, name: str) -> Person:
    async with sessions() as session:
        return await session.scalar(select(Person).where(Person.display_name == name))


async def _invite(sessions, clock, *, by: Person, person_id: int, circle_id: int):
    async with transaction(sessions) as session:
        scope = scope_of_member(by.id, circle_id, Role.facilitator)
        return await leadership.invite(
            session,
            scope=scope,
            circle_id=circle_id,
            person_id=person_id,
            to_circle_id=None,
            now=clock.now(),
        )


async def test_a_teacher_who_codified_accepts_to_cofacilitate_and_keeps_her_journey(
    phone, accra, ama, sender, sessions, clock
) -> None:
    grace = await onboard_facilitator(phone, accra)
    by, teacher = await _person(sessions, "Grace O."), await _person(sessions, "Ama M.")
    await _codified(sessions, teacher.id, accra.circle_id)
    invitation = await _invite(
        sessions, clock, by=by, person_id=teacher.id, circle_id=accra.circle_id
    )

    await sender.drain()
    message = ama.messages()[-1]
    assert message["text"].startswith(INVITES)
    assert "your inquiries and practices stay yours" in message["text"]
    assert message["text"].endswith("The invitation is open until October 7, 2026.")
    assert ama.labels(message) == ["Accept", "Decline"]
    accept, decline = ama.button_data("Accept", message), ama.button_data("Decline", message)

    texts = await ama.tap("Accept", message)
    assert texts == [
        "Welcome as a facilitator of Accra 1! Send /circle to see your circle. Your "
        "inquiries and practices stay yours."
    ]
    await ama.tap_data(message, accept)
    assert ama.last_notice() == "You already accepted this invitation."
    await ama.tap_data(message, decline)
    assert ama.last_notice() == "You already accepted this invitation."

    async with sessions() as session:
        role = await session.scalar(
            select(Membership.role).where(Membership.person_id == teacher.id)
        )
        assert role is Role.facilitator
        stored = await session.get_one(CoFacilitation, invitation.id)
        assert stored.status is CoFacilitationStatus.accepted
        # Her inquiry is hers still, and her facilitators read her page as before.
        page = await teachers.teacher_page(
            session,
            scope=scope_of_member(by.id, accra.circle_id, Role.facilitator),
            circle_id=accra.circle_id,
            person_id=teacher.id,
        )
        assert page.person.id == teacher.id and page.inquiries
    texts = await ama.send("/circle")
    assert "Accra 1" in texts[0]

    await sender.drain()
    assert grace.messages()[-1]["text"] == (
        "Ama M. accepted your invitation to co-facilitate Accra 1."
    )


async def test_a_teacher_declines_and_old_or_forged_buttons_change_nothing(
    phone, accra, ama, sender, sessions, clock
) -> None:
    grace = await onboard_facilitator(phone, accra)
    by, teacher = await _person(sessions, "Grace O."), await _person(sessions, "Ama M.")
    await _codified(sessions, teacher.id, accra.circle_id)
    await _invite(sessions, clock, by=by, person_id=teacher.id, circle_id=accra.circle_id)
    await sender.drain()
    message = ama.messages()[-1]
    accept = ama.button_data("Accept", message)

    # Grace cannot answer for Ama: the id is checked against the presser.
    await grace.tap_data(message, accept)
    assert grace.last_notice() == "This question is already closed."

    assert await ama.tap("Decline", message) == [
        "Thank you for your answer. You stay a teacher of your circle."
    ]
    await ama.tap_data(message, accept)
    assert ama.last_notice() == "You already declined this invitation."
    async with sessions() as session:
        role = await session.scalar(
            select(Membership.role).where(Membership.person_id == teacher.id)
        )
    assert role is Role.teacher
    await sender.drain()
    assert grace.messages()[-1]["text"] == (
        "Ama M. declined your invitation to co-facilitate Accra 1."
    )

    # A new invitation runs out after 30 days: pressing it then changes nothing.
    await _invite(sessions, clock, by=by, person_id=teacher.id, circle_id=accra.circle_id)
    await sender.drain()
    late = ama.messages()[-1]
    clock.advance(timedelta(days=leadership.INVITATION_DAYS, seconds=1))
    await ama.tap("Accept", late)
    assert ama.last_notice() == (
        "This invitation has expired. Your facilitator can invite you again."
    )
    async with sessions() as session:
        assert (
            await session.scalar(select(Membership.role).where(Membership.person_id == teacher.id))
            is Role.teacher
        )


async def test_only_a_teacher_who_codified_can_be_invited(
    phone, accra, ama, sender, sessions, clock
) -> None:
    await onboard_facilitator(phone, accra)
    by, teacher = await _person(sessions, "Grace O."), await _person(sessions, "Ama M.")
    try:
        await _invite(sessions, clock, by=by, person_id=teacher.id, circle_id=accra.circle_id)
    except Conflict as refused:
        assert refused.message == leadership.NOT_CODIFIED
    else:
        raise AssertionError("a teacher still identifying was invited")
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(CoFacilitation)) == 0
        assert await session.scalar(select(func.count()).select_from(Outbox)) == 0


# --- the facilitators' monthly check-in ------------------------------------------------------


async def _sweep(sessions, clock) -> tuple[int, int]:
    done = await facilitator_sweep(sessions, clock)
    return done.opened, done.nudged


async def _two_facilitators(phone, accra, sessions):
    """Grace in Accra (UTC) and Min-jun, a facilitator of the same circle living in Seoul."""
    grace = await onboard_facilitator(phone, accra)
    minjun = await onboard_facilitator(phone, accra)
    async with transaction(sessions) as session:
        people = list(
            await session.scalars(
                select(Person).where(Person.display_name == "Grace O.").order_by(Person.id)
            )
        )
        people[1].display_name, people[1].timezone = "Min-jun", "Asia/Seoul"
    return grace, minjun


async def test_the_monthly_checkin_opens_at_each_facilitators_local_time_and_is_answered_once(
    phone, accra, sender, sessions, clock
) -> None:
    grace, minjun = await _two_facilitators(phone, accra, sessions)
    # Accra 1 opens its check-ins on Mondays at 16:00: 16:00 in Seoul is 07:00 UTC.
    clock.set(datetime(2026, 10, 5, 6, 59, tzinfo=UTC))
    assert await _sweep(sessions, clock) == (0, 0)
    clock.set(datetime(2026, 10, 5, 7, 0, tzinfo=UTC))
    assert await _sweep(sessions, clock) == (1, 0)
    assert await _sweep(sessions, clock) == (0, 0)  # a second sweep, or a restart, adds nothing
    clock.set(datetime(2026, 10, 5, 15, 59, tzinfo=UTC))
    assert await _sweep(sessions, clock) == (0, 0)
    clock.set(datetime(2026, 10, 5, 16, 0, tzinfo=UTC))
    assert await _sweep(sessions, clock) == (1, 0)

    await sender.drain()
    opened = grace.messages()[-1]
    assert opened["text"] == (
        "Time for your monthly check-in as a facilitator of Accra 1: what went well, and what "
        "support you need. It takes about three minutes."
    )
    assert grace.labels(opened) == ["Open my monthly check-in"]
    assert minjun.labels(minjun.messages()[-1]) == ["Open my monthly check-in"]
    open_data = grace.button_data("Open my monthly check-in", opened)
    texts = await grace.tap("Open my monthly check-in", opened)
    assert "What went well in your circle this month?" in texts[0]
    await grace.send("Every teacher brought student work.")
    texts = await grace.send("Ideas for teachers who fall behind.")
    assert "How did the month go in your circle?" in texts[0]
    texts = await grace.tap("4")
    assert texts[-1].startswith("Thank you. Your coordinators will read it.")
    await grace.tap_data(opened, open_data)
    assert grace.last_notice() == "You already answered this month's check-in. Thank you!"
    # Min-jun cannot open Grace's.
    await minjun.tap_data(opened, open_data)
    assert minjun.last_notice() == "This question is already closed."

    async with sessions() as session:
        answered = await session.scalar(
            select(FacilitatorCheckIn).where(FacilitatorCheckIn.answered_at.is_not(None))
        )
    assert (answered.went_well, answered.support, answered.rating) == (
        "Every teacher brought student work.",
        "Ideas for teachers who fall behind.",
        4,
    )
    assert answered.month == date(2026, 10, 1)

    # Three days on, Min-jun (silent) is reminded once; Grace, who answered, is not.
    clock.set(datetime(2026, 10, 8, 7, 0, tzinfo=UTC))
    assert await _sweep(sessions, clock) == (0, 1)
    assert await _sweep(sessions, clock) == (0, 0)
    await sender.drain()
    reminded = minjun.messages()[-1]
    assert reminded["text"].startswith("Your monthly check-in as a facilitator of Accra 1")
    assert minjun.labels(reminded) == ["Open my monthly check-in"]
    assert "still open" not in grace.messages()[-1]["text"]
    # After two weeks it is closed.
    clock.set(datetime(2026, 10, 20, 7, 0, tzinfo=UTC))
    await minjun.tap("Open my monthly check-in", reminded)
    assert minjun.last_notice() == (
        "This month's check-in is closed. The next one comes next month."
    )


async def test_holidays_and_a_pause_hold_the_monthly_checkin(
    phone, accra, sender, sessions, clock
) -> None:
    await _two_facilitators(phone, accra, sessions)
    # November 2026 starts on a Sunday: its first Monday, the 2nd, is a holiday week.
    async with transaction(sessions) as session:
        session.add(
            Holiday(
                circle_id=accra.circle_id,
                starts_on=date(2026, 11, 2),
                ends_on=date(2026, 11, 6),
            )
        )
        minjun = await session.scalar(select(Person).where(Person.display_name == "Min-jun"))
        minjun.paused_until = datetime(2026, 11, 10, tzinfo=UTC)
    clock.set(datetime(2026, 11, 2, 16, 0, tzinfo=UTC))
    assert await _sweep(sessions, clock) == (0, 0)
    clock.set(datetime(2026, 11, 7, 9, 0, tzinfo=UTC))
    assert await _sweep(sessions, clock) == (1, 0)  # Grace, once the holiday is over
    clock.set(datetime(2026, 11, 10, 8, 0, tzinfo=UTC))
    assert await _sweep(sessions, clock) == (1, 0)  # Min-jun, once her pause is over
    async with sessions() as session:
        months = list(await session.scalars(select(FacilitatorCheckIn.month)))
    assert months == [date(2026, 11, 1)] * 2


async def test_mydata_lists_and_forgetme_erases_invitations_and_monthly_checkins(
    phone, accra, ama, sender, sessions, clock, tmp_path
) -> None:
    await onboard_facilitator(phone, accra)
    by, teacher = await _person(sessions, "Grace O."), await _person(sessions, "Ama M.")
    await _codified(sessions, teacher.id, accra.circle_id)
    await _invite(sessions, clock, by=by, person_id=teacher.id, circle_id=accra.circle_id)
    await sender.drain()
    await ama.tap("Accept", ama.messages()[-1])
    clock.set(datetime(2026, 10, 5, 16, 0, tzinfo=UTC))
    assert await _sweep(sessions, clock) == (2, 0)  # Grace and Ama, now a facilitator
    await sender.drain()
    await ama.tap("Open my monthly check-in", ama.messages()[-1])
    await ama.send("We met twice.")
    await ama.send("A second facilitator for the meetings.")
    await ama.tap("Skip")

    async with sessions() as session:
        person = await session.get_one(Person, teacher.id)
        data = await privacy.export_person_data(session, person=person, media_dir=tmp_path)
    [invitation] = data["co_facilitation_invitations"]
    assert invitation["status"] == "accepted"
    assert data["co_facilitation_invitations_sent"] == []
    [checkin] = data["facilitator_checkins"]
    assert (checkin["went_well"], checkin["support"], checkin["rating"]) == (
        "We met twice.",
        "A second facilitator for the meetings.",
        None,
    )

    async with sessions() as session:
        inviter = await session.get_one(Person, by.id)
        sent = await privacy.export_person_data(session, person=inviter, media_dir=tmp_path)
    assert [i["person_id"] for i in sent["co_facilitation_invitations_sent"]] == [teacher.id]

    async with transaction(sessions) as session:
        inviter = await session.get_one(Person, by.id)
        await privacy.forget_person(session, person=inviter, now=clock.now(), media_dir=tmp_path)
    async with sessions() as session:
        kept = await session.scalar(select(CoFacilitation))
    assert (kept.inviter_id, kept.invited_by) == (None, privacy.FORGOTTEN_ACTOR)

    async with transaction(sessions) as session:
        person = await session.get_one(Person, teacher.id)
        await privacy.forget_person(session, person=person, now=clock.now(), media_dir=tmp_path)
    async with sessions() as session:
        for model in (CoFacilitation, FacilitatorCheckIn):
            left = await session.scalars(select(model).where(model.person_id == teacher.id))
            assert list(left) == []
        assert await session.scalar(select(func.count()).select_from(FacilitatorCheckIn)) == 0


async def test_a_facilitator_invites_from_the_bot_with_cofacilitate(
    phone, accra, ama, sender, sessions, clock
) -> None:
    grace = await onboard_facilitator(phone, accra)
    texts = await grace.send("/cofacilitate")
    assert texts == [
        "No teacher of Accra 1 who codified a practice is waiting for an invitation to "
        "co-facilitate."
    ]
    teacher = await _person(sessions, "Ama M.")
    await _codified(sessions, teacher.id, accra.circle_id)
    texts = await grace.send("/cofacilitate")
    assert texts[0].startswith("Teachers of Accra 1 who codified a practice.")
    listed = grace.messages()[-1]
    assert grace.labels(listed) == ["Ama M."]
    data = grace.button_data("Ama M.", listed)
    # A teacher cannot use a facilitator's button, even one copied from her chat.
    await ama.tap_data(listed, data)
    assert ama.last_notice() == "This question is already closed."
    assert await grace.tap("Ama M.", listed) == [
        "Ama M. is invited to co-facilitate. You will be told their answer."
    ]
    await grace.tap_data(listed, data)
    assert grace.last_notice() == (
        "This teacher already has an open invitation to co-facilitate that circle."
    )
    await sender.drain()
    assert ama.messages()[-1]["text"].startswith(INVITES)
