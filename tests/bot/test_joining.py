"""A teacher joins a circle with an invite link; bad codes are explained; updates run once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from support.people import on_telegram
from support.places import add_circle
from telegram import Update

from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import Channel, Identity, Invite, Membership, Role


async def _memberships(sessions: SessionMaker, user_id: int) -> list[Membership]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Membership)
            .join(Identity, Identity.person_id == Membership.person_id)
            .where(Identity.channel == Channel.telegram, Identity.address == str(user_id))
        )
        return list(rows)


async def test_teacher_joins_with_a_valid_code_and_is_asked_for_consent(
    phone, accra, sessions
) -> None:
    ama = phone("Ama")
    texts = await ama.send(f"/start {accra.codes[Role.teacher]}")
    assert "Welcome to Accra 1! You joined as teacher." in texts[0]
    welcome, consent = texts[0].split("\n\n", 1)
    assert "Your facilitators: Grace Owusu." in welcome
    assert "Do you agree that we store your answers" in consent
    assert len(texts) == 1  # one message: the welcome and the question with its buttons
    assert ama.labels() == ["I agree", "No, thank you"]
    [membership] = await _memberships(sessions, ama.user.id)
    assert membership.role is Role.teacher


async def test_start_without_a_code_explains_how_to_join(phone, sessions) -> None:
    texts = await phone().send("/start")
    assert "open the invite link your facilitator sent you" in texts[0]
    assert "/start" in texts[0]


async def test_unknown_code_is_explained_and_nothing_joins(phone, accra, sessions) -> None:
    ama = phone()
    texts = await ama.send("/start not-a-real-code")
    assert texts == [
        "I do not know this invite code. Please check the link, or ask your "
        "facilitator for a new one."
    ]
    assert await _memberships(sessions, ama.user.id) == []


async def test_expired_code_says_when_it_expired(phone, accra, sessions, clock: FakeClock) -> None:
    clock.advance(timedelta(days=31))
    ama = phone()
    texts = await ama.send(f"/start {accra.codes[Role.teacher]}")
    assert texts[0].startswith("This invite expired on Wed, Oct 7, 2026")
    assert await _memberships(sessions, ama.user.id) == []


async def test_used_up_code_is_refused(phone, accra, sessions) -> None:
    await phone("Kofi").send(f"/start {accra.codes[Role.union_rep]}")  # admits one person
    late = phone("Efua")
    texts = await late.send(f"/start {accra.codes[Role.union_rep]}")
    assert "already been used by as many people as it allows" in texts[0]
    assert await _memberships(sessions, late.user.id) == []


async def test_revoked_code_is_refused(phone, accra, sessions, clock) -> None:
    async with transaction(sessions) as session:
        invite = await session.scalar(
            select(Invite).where(Invite.code == accra.codes[Role.teacher])
        )
        invite.revoked_at = clock.now()
    texts = await phone().send(f"/start {accra.codes[Role.teacher]}")
    assert "This invite has been withdrawn" in texts[0]


async def test_the_same_update_delivered_twice_is_handled_once(
    phone, accra, sessions, fake, app
) -> None:
    from circles.metrics import REGISTRY

    def counted(name: str) -> float:
        return REGISTRY.get_sample_value(name) or 0.0

    handled, skipped = (
        counted("circles_updates_handled_total"),
        counted("circles_updates_duplicate_total"),
    )
    ama = phone()
    update = fake.user_message(ama.user, f"/start {accra.codes[Role.teacher]}", enqueue=False)
    first = await ama.deliver(update)
    again = await ama.deliver(update)
    assert counted("circles_updates_handled_total") == handled + 1
    assert counted("circles_updates_duplicate_total") == skipped + 1
    assert len(first) == 1 and "Welcome to Accra 1!" in first[0]
    assert again == []
    async with sessions() as session:
        invite = await session.scalar(
            select(Invite).where(Invite.code == accra.codes[Role.teacher])
        )
        assert invite.uses == 1
        assert (
            await session.scalar(
                select(func.count()).select_from(Membership).where(Membership.role == Role.teacher)
            )
            == 1
        )


async def test_help_lists_what_a_member_can_do(phone, accra) -> None:
    ama = phone()
    await ama.send(f"/start {accra.codes[Role.teacher]}")
    [text] = await ama.send("/help")
    assert "You are a teacher in Accra 1." in text
    for command in ("/checkin", "/journey", "/mydata", "/forgetme", "/help"):
        assert command in text


async def test_help_before_joining_says_how_to_join(phone) -> None:
    [text] = await phone().send("/help")
    assert "You are not in a circle yet" in text
    assert "/checkin" not in text


async def test_start_in_a_group_points_to_a_private_chat(phone, accra, fake, sessions) -> None:
    ama = phone()
    group = fake.group_chat(-100200, "Accra teachers")
    update = fake.user_message(
        ama.user, f"/start {accra.codes[Role.teacher]}", chat=group, enqueue=False
    )
    await ama.app.process_update(Update.de_json(update, ama.app.bot))
    [reply] = fake.texts_to(-100200)
    assert "private chat" in reply
    assert "https://t.me/circles_test_bot" in reply
    assert await _memberships(sessions, ama.user.id) == []


async def test_an_unsupported_phone_language_falls_back_to_the_circles(
    phone, sessions, clock
) -> None:
    from circles.services.invites import create_invite

    async with transaction(sessions) as session:
        circle = await add_circle(session, "Abidjan 1", now=clock.now(), country="CI")
        invite = await create_invite(session, circle=circle, role=Role.teacher, now=clock.now())
    kofi = phone("Kofi", language_code="sw")
    texts = await kofi.send(f"/start {invite.code}")
    assert texts[0].startswith("Bienvenue dans Abidjan 1")
    assert "\n\nAvant de commencer\u00a0: vos réponses sont des données" in texts[0]


async def test_nothing_of_the_telegram_profile_is_kept_before_consent(phone, accra, sessions):
    ama = phone("Ama")
    await ama.send(f"/start {accra.codes[Role.teacher]}")
    async with sessions() as session:
        person = await on_telegram(session, ama.user.id)
    assert person.display_name is None
    await ama.tap("No, thank you")
    async with sessions() as session:
        from circles.models import FlowRun

        runs = (await session.scalars(select(FlowRun))).all()
    assert all("Ama" not in str(run.state) for run in runs)
