"""Acting on the circle page: reply to a help request, mark it handled, remind a teacher."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from support.fakebotapi import FakeBotApi, FakeUser
from support.pace import FakePace
from support.phone import Phone
from support.web import csrf_of, sign_in
from support.world import World
from telegram.ext import Application

from bot.flows import nudge
from bot.handlers.telegram.app import build_application
from bot.handlers.telegram.ratelimit import TelegramLimits
from bot.handlers.telegram.sender import OutboxSender
from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.i18n import translate
from circles.models import (
    Answer,
    AuditLog,
    CheckIn,
    CheckInStatus,
    Holiday,
    Outbox,
    Person,
)
from circles.services.followups import _REPLIED
from circles.settings import Settings

ANA_CHAT = 5001  # Ana's Telegram id in the world


async def _on_circle_page(api, world: World, role: str = "facilitator_a"):
    client = api()
    await sign_in(client, world.secrets[role])
    page = await client.get(f"/dashboard/circles/{world.a.circle}")
    return client, page.text


async def _help_request(sessions: SessionMaker, world: World) -> int:
    """Ana's voice note to "anything the circle could help with" in the last week."""
    async with sessions() as session:
        answer_id = await session.scalar(
            select(Answer.id).where(
                Answer.person_id == world.a.person,
                Answer.checkin_id == world.a.checkin,
                Answer.question_key == "help",
            )
        )
    assert answer_id is not None
    return answer_id


def _listed(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'class="request card" data-answer="(\d+)"', page)}


async def test_open_requests_are_listed_and_leave_the_list_when_handled(
    world: World, api, sessions: SessionMaker
) -> None:
    answer_id = await _help_request(sessions, world)
    client, page = await _on_circle_page(api, world)
    assert answer_id in _listed(page)
    assert "a voice note" in page and "Mark handled" in page and "Reply" in page
    url = f"/dashboard/circles/{world.a.circle}/requests/{answer_id}/handled"

    assert (await client.post(url, data={"csrf": "forged"})).status_code == 403
    assert answer_id in _listed((await client.get(f"/dashboard/circles/{world.a.circle}")).text)

    handled = await client.post(url, data={"csrf": csrf_of(page)})
    assert handled.status_code == 303
    after = await client.get(handled.headers["location"])
    assert "Marked as handled." in after.text
    assert answer_id not in _listed(after.text)
    again = await client.post(url, data={"csrf": csrf_of(page)})
    assert again.status_code == 303  # twice is once
    async with sessions() as session:
        answer = await session.get_one(Answer, answer_id)
        audits = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "request.handled"))
        ).all()
    assert answer.handled_at is not None
    assert answer.handled_by == f"token:{world.token_ids['facilitator_a']}"
    assert len(audits) == 1


async def test_another_circles_request_is_not_found(
    world: World, api, sessions: SessionMaker
) -> None:
    answer_id = await _help_request(sessions, world)
    client, _ = await _on_circle_page(api, world, "facilitator_b")
    page = await client.get(f"/dashboard/circles/{world.b.circle}")
    csrf = csrf_of(page.text)
    for circle in (world.a.circle, world.b.circle):
        for action, form in (("handled", {}), ("reply", {"text": "Hello", "name": "Grace"})):
            url = f"/dashboard/circles/{circle}/requests/{answer_id}/{action}"
            missing = f"/dashboard/circles/{circle}/requests/987654/{action}"
            theirs = await client.post(url, data={**form, "csrf": csrf})
            nothing = await client.post(missing, data={**form, "csrf": csrf})
            assert theirs.status_code == nothing.status_code == 404
            assert theirs.text == nothing.text
    async with sessions() as session:
        assert (await session.get_one(Answer, answer_id)).handled_at is None
        assert await session.scalar(select(Outbox.id)) is None


async def test_union_representatives_see_no_names_and_cannot_act(
    world: World, api, sessions: SessionMaker
) -> None:
    answer_id = await _help_request(sessions, world)
    client, page = await _on_circle_page(api, world, "union_rep_a")
    assert 'id="requests"' not in page and "Remind" not in page
    refused = await client.post(
        f"/dashboard/circles/{world.a.circle}/requests/{answer_id}/handled",
        data={"csrf": csrf_of(page)},
    )
    assert refused.status_code == 403


@pytest.fixture
async def telegram(
    settings: Settings, sessions: SessionMaker, clock: FakeClock
) -> AsyncIterator[tuple[FakeBotApi, OutboxSender, Application]]:
    """The fake Bot API, the bot's outbox sender on it, and the bot."""
    async with FakeBotApi() as fake:
        pace = FakePace()
        limits = TelegramLimits(now=pace.now, sleep=pace.sleep)
        bot_settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=settings.database_url,
            telegram_token=fake.token,
            telegram_api_url=fake.base_url,
        )
        application = build_application(bot_settings, sessions, clock, limits)
        await application.initialize()
        yield fake, OutboxSender(application.bot, sessions, clock, limits), application
        await application.shutdown()


async def test_a_reply_reaches_the_teacher_in_her_language(
    world: World, api, sessions: SessionMaker, telegram
) -> None:
    fake, sender, _bot = telegram
    answer_id = await _help_request(sessions, world)
    async with transaction(sessions) as session:
        await session.execute(
            update(Person).where(Person.id == world.a.person).values(language="fr")
        )
    client, page = await _on_circle_page(api, world)
    url = f"/dashboard/circles/{world.a.circle}/requests/{answer_id}/reply"
    words = "Essayez les ardoises en binômes ; je passe jeudi."

    empty = await client.post(url, data={"csrf": csrf_of(page), "text": "  ", "name": "Grace"})
    assert empty.status_code == 422
    assert "Please write your reply." in empty.text
    replied = await client.post(
        url, data={"csrf": csrf_of(page), "text": words, "name": "Grace Owusu"}
    )
    assert replied.status_code == 303
    assert "done=replied" in replied.headers["location"]
    await sender.drain()

    (message,) = fake.texts_to(ANA_CHAT)
    assert message == f"{translate(_REPLIED, 'fr', name='Grace Owusu')}\n\n{words}"
    async with sessions() as session:
        row = await session.scalar(select(Outbox))
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "request.reply"))
    assert row is not None and row.idempotency_key == f"reply-{answer_id}-1"
    assert audit is not None and words not in str(audit.detail)
    # A second reply is a second message; the request stays open until marked handled.
    await client.post(url, data={"csrf": csrf_of(page), "text": "Et vendredi ?", "name": "G"})
    await sender.drain()
    assert len(fake.texts_to(ANA_CHAT)) == 2
    assert answer_id in _listed((await client.get(f"/dashboard/circles/{world.a.circle}")).text)


# --- Remind -----------------------------------------------------------------------------------


async def _not_answered(sessions: SessionMaker, world: World) -> int:
    """Make Ana's check-in of the week open again: she has not answered yet."""
    async with transaction(sessions) as session:
        checkin = await session.get_one(CheckIn, world.a.checkin)
        checkin.status, checkin.answered_at = CheckInStatus.open, None
    return world.a.person


async def _remind(client: httpx.AsyncClient, world: World, person_id: int, csrf: str):
    return await client.post(
        f"/dashboard/circles/{world.a.circle}/teachers/{person_id}/remind", data={"csrf": csrf}
    )


async def test_remind_reaches_a_teacher_once_a_day_like_nudge(
    world: World, api, sessions: SessionMaker, clock: FakeClock, telegram
) -> None:
    fake, sender, _bot = telegram
    ana = await _not_answered(sessions, world)
    client, page = await _on_circle_page(api, world)
    assert f"/teachers/{ana}/remind" in page

    first = await _remind(client, world, ana, csrf_of(page))
    assert first.headers["location"].endswith("done=remind-sent#pending")
    second = await _remind(client, world, ana, csrf_of(page))
    assert second.headers["location"].endswith("done=remind-already#pending")
    shown = await client.get(second.headers["location"])
    assert "This teacher was already reminded today." in shown.text
    await sender.drain()
    (reminder,) = fake.texts_to(ANA_CHAT)
    async with sessions() as session:
        language = (await session.get_one(Person, ana)).language
    by = translate("Your facilitator", language)
    assert reminder.startswith(translate(nudge._NUDGE_OPEN, language, name=by))

    clock.advance(timedelta(days=1))
    client, page = await _on_circle_page(api, world)  # a new working day, a new session
    third = await _remind(client, world, ana, csrf_of(page))
    assert third.headers["location"].endswith("done=remind-sent#pending")
    async with sessions() as session:
        keys = (await session.scalars(select(Outbox.idempotency_key))).all()
        nudges = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "checkin.nudge"))
        ).all()
    assert sorted(keys) == ["nudge-2026-08-26", "nudge-2026-08-27"]
    assert len(nudges) == 2


async def test_remind_refuses_who_answered_or_is_not_a_teacher_here(
    world: World, api, sessions: SessionMaker
) -> None:
    client, page = await _on_circle_page(api, world)
    answered = await _remind(client, world, world.a.person, csrf_of(page))
    assert answered.headers["location"].endswith("done=remind-not_due#pending")
    for person in (world.b.person, world.facilitator_a, 987654):
        assert (await _remind(client, world, person, csrf_of(page))).status_code == 404
    assert (await _remind(client, world, world.a.person, "forged")).status_code == 403
    async with sessions() as session:
        assert await session.scalar(select(Outbox.id)) is None


async def test_no_reminder_during_a_holiday(
    world: World, api, sessions: SessionMaker, clock: FakeClock
) -> None:
    ana = await _not_answered(sessions, world)
    today = clock.now().date()
    async with transaction(sessions) as session:
        session.add(Holiday(circle_id=world.a.circle, starts_on=today, ends_on=today))
    client, page = await _on_circle_page(api, world)
    held = await _remind(client, world, ana, csrf_of(page))
    assert held.headers["location"].endswith("done=remind-holiday#pending")
    async with sessions() as session:
        assert await session.scalar(select(Outbox.id)) is None


async def test_nudge_in_the_bot_counts_a_reminder_from_the_dashboard(
    world: World, api, sessions: SessionMaker, telegram
) -> None:
    fake, _sender, bot = telegram
    ana = await _not_answered(sessions, world)
    client, page = await _on_circle_page(api, world)
    await _remind(client, world, ana, csrf_of(page))

    grace = Phone(fake, bot, FakeUser(id=5101, first_name="Grace", language_code="en"))
    said = "\n".join(await grace.send("/nudge"))

    # Grace reads Portuguese: "1 teacher was already reminded today."
    assert "1 professor(a) já recebeu um lembrete hoje." in said
    async with sessions() as session:
        assert len((await session.scalars(select(Outbox.id))).all()) == 1
