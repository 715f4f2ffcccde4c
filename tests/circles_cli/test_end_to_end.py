"""A circle's first weeks through the real ``circles run``, in polling and webhook mode.

Three teachers join by invite link, are onboarded, name their challenge, answer the
weekly check-in, are reminded of a meeting, reflect after it and receive a broadcast; a
facilitator then reads the circle's summary from the admin API. Telegram is the fake Bot
API; time moves through the process's file clock and SIGUSR1 sweeps, never by sleeping.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from support.fakebotapi import FakeBotApi, FakeUser
from support.places import add_circle
from support.seeds import writing
from support.service import RemotePhone, bot_env, ready_line, start_circles

from circles.models import Role, TokenRole
from circles.services.invites import create_invite
from circles.services.tokens import create_token

MONDAY_MORNING = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)
CHECKIN_OPENS = datetime(2026, 9, 7, 16, 0, tzinfo=UTC)  # Monday 16:00 in Accra
MEETING = datetime(2026, 9, 8, 16, 30, tzinfo=UTC)  # the next day, before any nudge
#: The invitation names the teacher's practice (pilot v2).
INVITATION = (
    "Time for this week's check-in about your practice: "
    "“Mini whiteboards for one hinge question per lesson.”"
)
NEWS = "Regional hub on Friday at 15:00."


@dataclass
class Circle:
    id: int
    code: str
    facilitator_token: str
    coordinator_token: str


async def make_circle(database_url: str) -> Circle:
    """Accra 1 with a teachers' invite, a facilitator's and a coordinator's API token."""
    now = MONDAY_MORNING  # the time of the process under test (its year begins then)
    async with writing(database_url) as session:
        circle = await add_circle(session, "Accra 1", now=now)
        invite = await create_invite(session, circle=circle, role=Role.teacher, now=now)
        facilitator = await create_token(
            session,
            role=TokenRole.facilitator,
            name="grace",
            actor="test",
            now=now,
            circle=circle,
        )
        coordinator = await create_token(
            session, role=TokenRole.coordinator, name="hub", actor="test", now=now
        )
        return Circle(circle.id, invite.code, facilitator.secret, coordinator.secret)


async def join_and_name_a_challenge(teacher: RemotePhone, code: str) -> None:
    """Join by the invite's deep link, go through onboarding and identify."""
    # The welcome and the consent question arrive as one message, with its buttons.
    [welcome] = await teacher.send(f"/start {code}")
    assert welcome.startswith("Welcome to Accra 1! You joined as teacher.\n\n")
    assert welcome.endswith("\n\nDo you agree that we store your answers for your learning circle?")
    assert teacher.labels() == ["I agree", "No, thank you"]
    assert await teacher.tap("I agree") == ["Which language should I use with you?"]
    await teacher.tap("✓ English")
    await teacher.tap("Africa/Accra")
    await teacher.send(teacher.user.first_name)
    await teacher.send("Mathematics")
    # "All set", the challenge's introduction and its first question: one message.
    [done] = await teacher.tap("Lower secondary")
    all_set, intro, question = done.split("\n\n", 2)
    assert all_set == f"You are all set, {teacher.user.first_name}!"
    assert intro.startswith("Let's find the classroom challenge")
    assert question.startswith("What challenge do you see in your classroom?")
    await teacher.send("Many students copy answers without checking.")
    await teacher.send("A third of my Year 8 class")
    await teacher.send("Exit tickets from Tuesday")
    await teacher.send("Most copy the answer from a neighbour.")  # the baseline
    await teacher.send("Every student explains their own answer.")  # the success evidence
    await teacher.tap("Eliciting evidence of learning")
    await teacher.send("Mini whiteboards for one hinge question per lesson.")
    [thanks] = await teacher.tap("4")
    assert thanks.startswith("Thank you! From next week")


async def answer_checkin(teacher: RemotePhone, rating: str) -> None:
    """Answer the invitation the scheduler sent; the last answer is delivered twice."""
    invitation = await teacher.wait_for_text(INVITATION)
    await teacher.tap("Partly", message=invitation)
    await teacher.send("Whiteboards on two days")
    await teacher.send("Half the class got it")
    await teacher.tap(rating)
    await teacher.send("Shorter questions")
    [saved] = await teacher.tap("Skip")  # the thanks and the ratings, as one message
    assert saved == f"Thank you, your check-in is saved.\n\nYour ratings so far: {rating}"
    # Telegram delivers the same update again (a lost acknowledgement): nothing happens.
    # By webhook it surely arrives twice; by polling only if the bot has not yet confirmed
    # its offset (the fake, like Telegram, drops what was confirmed).
    before = len(teacher.messages())
    await teacher.deliver(teacher.last_update)
    await teacher.send("/help")
    assert len(teacher.messages()) == before + 1


async def reflect(teacher: RemotePhone) -> None:
    """After the meeting, reflect for the facilitators."""
    ask = await teacher.wait_for_text("Thank you for taking part")
    # The reflection's introduction and its first question arrive as one message.
    [first] = await teacher.tap("Start my reflection", message=ask)
    intro, question = first.split("\n\n", 1)
    assert intro == "A short reflection on your circle meeting: four questions."
    assert question.startswith("What did you learn in the meeting?")
    await teacher.send("Hinge questions need practice.")
    await teacher.send("Plan them with a colleague.")
    await teacher.send("Inspiring")
    thanks, *_ = await teacher.tap("The facilitators", replies=1)
    assert thanks == "Thank you for reflecting."


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_circle_meets_answers_and_hears_news(
    database_url: str, tmp_path: Path, mode: str
) -> None:
    circle = await make_circle(database_url)
    async with FakeBotApi() as fake:
        service = await start_circles(
            database_url,
            clock_file=tmp_path / "clock",
            start=MONDAY_MORNING,
            **bot_env(fake, mode),
        )
        try:
            await service.wait_for_log(ready_line(mode))
            teachers = [
                RemotePhone(fake, FakeUser(id=7000 + n, first_name=name), mode, service)
                for n, name in enumerate(("Ama", "Kofi", "Efua"))
            ]
            await asyncio.gather(*(join_and_name_a_challenge(t, circle.code) for t in teachers))

            await service.sweep_at(CHECKIN_OPENS)
            await asyncio.gather(
                *(answer_checkin(t, r) for t, r in zip(teachers, "345", strict=True))
            )

            facilitator = {"Authorization": f"Bearer {circle.facilitator_token}"}
            async with httpx.AsyncClient(base_url=service.api_url, headers=facilitator) as api:
                meeting = await api.post(
                    f"/v1/circles/{circle.id}/meetings",
                    json={"date": "2026-09-08", "time": "16:30", "place": "Library"},
                )
                assert meeting.status_code == 201, meeting.text
                for teacher in teachers:
                    invitation = await teacher.wait_for_text("New circle meeting")
                    await teacher.tap("Yes", message=invitation)
                await service.sweep_at(MEETING - timedelta(hours=24))
                for teacher in teachers:  # the sweep ran before the clock moves on
                    await teacher.wait_for_text("Reminder: circle meeting tomorrow")
                await service.sweep_at(MEETING + timedelta(hours=2))
                await asyncio.gather(*(reflect(t) for t in teachers))

                coordinator = {"Authorization": f"Bearer {circle.coordinator_token}"}
                news = await api.post(
                    "/v1/broadcasts",
                    headers=coordinator,
                    json={
                        "variants": {"en": NEWS},
                        "default_language": "en",
                        "audience": {"circle_ids": [circle.id]},
                    },
                )
                assert news.status_code == 201, news.text
                for teacher in teachers:
                    await teacher.wait_for_text(NEWS)

                summary = await api.get(
                    f"/v1/circles/{circle.id}/summary", params={"week": "2026-W37"}
                )
                assert summary.status_code == 200, summary.text
                body = summary.json()
            assert body["answered"] == 3, body
            assert body["ratings"]["mean"] == 4.0, body
            assert await service.stop() == 0
        finally:
            await service.ensure_stopped()
    for teacher in teachers:
        assert teacher.texts().count(NEWS) == 1
        assert len([t for t in teacher.texts() if t.startswith(INVITATION)]) == 1
    # Answers and tokens stay out of the log.
    for secret in ("Whiteboards on two days", "Hinge questions", fake.token, "s3cret"):
        assert secret not in service.log
