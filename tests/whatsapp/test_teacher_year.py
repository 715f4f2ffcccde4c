"""A teacher's year on WhatsApp through the real ``circles run``.

Ama joins Accra 1 by the text of the wa.me link ``circles invite create`` prints, is
onboarded and names her challenge; pilots her practice weekly (the first week's evidence
a photo of student work); goes to a circle meeting and reflects after it; codifies her
practice after three weeks; and hears the coordinator's news. Once her 24-hour window has
closed, what the bot starts goes as its approved template, and tapping a template's quick
reply opens the step it names.

The fake Cloud API runs on loopback in this test, the process is told its URL; the test
posts signed webhooks to the process's ``/whatsapp/webhook``. Time moves through the
process's file clock and SIGUSR1 sweeps, never by sleeping.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from support.fakecloud import FakeCloud, image, quick_reply, sign
from support.places import add_circle
from support.seeds import writing
from support.service import Running, start_circles

from bot.handlers.whatsapp.webhook import PATH
from circles.models import TokenRole
from circles.services.tokens import create_token

from .conftest import APP_SECRET, VERIFY_TOKEN, WaPhone, shown

NUMBER = "15550000000"
MONDAY_MORNING = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)
#: Accra 1's check-ins open on Mondays at 16:00 (Accra is UTC+0): weeks 37, 38 and 39.
OPENS = [datetime(2026, 9, day, 16, 0, tzinfo=UTC) for day in (7, 14, 21)]
MEETING = datetime(2026, 9, 8, 16, 30, tzinfo=UTC)  # the day after the first check-in
#: The Wednesday after the third check-in: her window has closed again.
NEWS_DAY = datetime(2026, 9, 23, 10, 0, tzinfo=UTC)
NEWS = "Regional hub on Friday at 15:00."
INVITATION = "Time for this week's check-in about your practice"
#: Each pilot week as she types it: what she did, what she saw (None: a photo), her
#: rating, what she will adjust.
WEEKS = (
    ("Whiteboards in three lessons.", None, "3", "Ask earlier."),
    ("One hinge question per lesson.", "Most answered alone.", "4", "Give think time."),
    ("Hinge question after ten minutes.", "Two thirds right.", "5", "Regroup at once."),
)


@dataclass
class RemoteWaPhone(WaPhone):
    """A WhatsApp user whose messages reach ``circles run`` by signed webhook calls.

    Every message the teacher sends in this story gets exactly one message back, so an
    action is handled once the first reply has reached the fake Cloud API.
    """

    async def handled(self, before: int) -> None:
        await self.cloud.wait_for(
            lambda: len(self.cloud.sent_to(self.wa_id)) > before, what="the bot's reply"
        )

    async def receive(self, prefix: str, after: int = 0) -> dict[str, Any]:
        """Wait for a message the bot starts whose text (or template name) begins with
        ``prefix``, among those sent after the first ``after``; return it."""

        def found() -> dict[str, Any] | None:
            for message in self.cloud.sent_to(self.wa_id)[after:]:
                said = message["template"]["name"] if message["type"] == "template" else None
                if (said or shown(message)).startswith(prefix):
                    return message
            return None

        await self.cloud.wait_for(lambda: found() is not None, what=repr(prefix))
        message = found()
        assert message is not None
        return message

    async def tap_template(self, template: dict[str, Any]) -> list[str]:
        """Tap the quick reply of a template message."""
        assert template["type"] == "template", template
        (button,) = [c for c in template["template"]["components"] if c["type"] == "button"]
        payload = button["parameters"][0]["payload"]
        return await self.deliver(quick_reply(self.wa_id, payload, "Open"))


def whatsapp_env(cloud: FakeCloud, tmp_path: Path) -> dict[str, str]:
    """The WhatsApp door on the fake Cloud API (no Telegram: the bot's other door stays shut)."""
    return {
        "CIRCLES_WHATSAPP_TOKEN": cloud.token,
        "CIRCLES_WHATSAPP_PHONE_NUMBER_ID": cloud.phone_number_id,
        "CIRCLES_WHATSAPP_API_URL": cloud.api_url,
        "CIRCLES_WHATSAPP_APP_SECRET": APP_SECRET,
        "CIRCLES_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "CIRCLES_WHATSAPP_NUMBER": NUMBER,
        # Pacing per person is tested in-process (test_limits.py); here it would only make
        # the scripted teacher wait six seconds a message.
        "CIRCLES_WHATSAPP_PERSON_GAP": "0",
        "CIRCLES_MEDIA_DIR": str(tmp_path / "media"),
    }


async def invite_link(database_url: str, env: dict[str, str]) -> str:
    """The wa.me link ``circles invite create`` prints for Accra 1's teachers."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CIRCLES_")}
    environment |= env | {"CIRCLES_DATABASE_URL": database_url}
    command = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "circles_cli.main",
        "invite",
        "create",
        "--circle",
        "Accra 1",
        "--role",
        "teacher",
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(command.communicate(), 60)
    assert command.returncode == 0, err.decode()
    [link] = [line[len("WhatsApp: ") :] for line in out.decode().splitlines() if "wa.me" in line]
    return link


@dataclass
class Tokens:
    circle_id: int
    facilitator: str
    coordinator: str


async def accra_1(database_url: str) -> Tokens:
    """Accra 1, a facilitator's and a coordinator's API token."""
    now = MONDAY_MORNING  # the time of the process under test (its year begins then)
    async with writing(database_url) as session:
        circle = await add_circle(session, "Accra 1", now=now)
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
        return Tokens(circle.id, facilitator.secret, coordinator.secret)


@pytest.fixture
async def webhook() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the calls WhatsApp makes to the process."""
    async with httpx.AsyncClient() as client:
        yield client


async def join_and_identify(ama: RemoteWaPhone, link: str) -> None:
    """Send the link's text, onboard, and name a challenge and a practice."""
    [text] = parse_qs(urlsplit(link).query)["text"]
    [welcome] = await ama.send(text)
    assert welcome.startswith("Welcome to Accra 1! You joined as teacher.")
    assert ama.labels() == ["I agree", "No, thank you"]
    assert await ama.tap("I agree") == ["Which language should I use with you?"]
    await ama.tap("✓ English")
    await ama.tap("Africa/Accra")
    await ama.tap(ama.name)  # the profile name WhatsApp gave
    await ama.send("Mathematics")
    [done] = await ama.tap("Lower secondary")
    assert done.startswith(f"You are all set, {ama.name}!")
    await ama.send("Many students copy answers without checking.")
    await ama.send("A third of my Year 8 class")
    await ama.send("Exit tickets from Tuesday")
    await ama.send("Most copy the answer from a neighbour.")
    await ama.send("Every student explains their own answer.")
    await ama.tap("Eliciting evidence of learning")  # a list row: five do not fit buttons
    await ama.send("Mini whiteboards for one hinge question per lesson.")
    [thanks] = await ama.tap("4")
    assert thanks.startswith("Thank you! From next week")


async def pilot_week(ama: RemoteWaPhone, cloud: FakeCloud, week: int) -> str:
    """Answer the week's check-in from its first question; the last reply."""
    did, saw, rating, adjust = WEEKS[week]
    assert ama.labels() == ["Yes", "Partly", "No"]
    await ama.tap("Partly")
    await ama.send(did)
    if saw is None:
        cloud.receive_media(f"media-week-{week}", b"\xff\xd8 exit tickets", "image/jpeg")
        [rating_question] = await ama.deliver(image(ama.wa_id, f"media-week-{week}"))
    else:
        [rating_question] = await ama.send(saw)
    assert rating_question.endswith("How well did it work? (1 = not at all, 5 = very well)")
    await ama.tap(rating)
    await ama.send(adjust)
    [saved] = await ama.tap("Skip")
    assert saved.startswith("Thank you, your check-in is saved.")
    return saved


async def codify(ama: RemoteWaPhone) -> None:
    """Write the practice down from what was piloted, and send it for review."""
    [start] = await ama.tap("Codify my practice")
    assert start.endswith("Give your practice a short name.")
    await ama.send("Hinge questions on whiteboards")
    await ama.tap("Keep")  # the summary, from identify
    await ama.tap("Keep")  # the strategy
    await ama.tap("Feedback that moves learning forward")
    await ama.tap("Done")
    await ama.tap("Keep")  # the subject, from the profile
    await ama.tap("Keep")  # the level
    await ama.tap("Skip")  # the grade in her school's words
    [steps] = await ama.send("32")
    assert "\n".join(week[0] for week in WEEKS) in steps
    [evidence] = await ama.tap("Keep")
    assert "and 1 photo of student work" in evidence and "Ratings: 3 → 4 → 5" in evidence
    await ama.tap("Keep")
    await ama.tap("Keep")  # the challenge, as the conditions
    await ama.send("Write better lessons.")
    await ama.send("Mini whiteboards and markers")
    await ama.tap("My country")
    [look] = await ama.tap("Yes")
    assert look.startswith("“Hinge questions on whiteboards”\n")
    assert "By Ama Mensah, Accra 1" in look
    [sent] = await ama.tap("Send for review")
    assert sent.startswith("Thank you! Your practice is with your facilitators for review.")


async def reflect(ama: RemoteWaPhone) -> None:
    """The invitation to reflect came as its template: its quick reply starts the reflection."""
    invitation = await ama.receive("reflection_invitation")
    [first] = await ama.tap_template(invitation)
    intro, question = first.split("\n\n", 1)
    assert intro == "A short reflection on your circle meeting: four questions."
    assert question.startswith("What did you learn in the meeting?")
    await ama.send("Hinge questions need practice.")
    await ama.send("Plan them with a colleague.")
    await ama.send("Inspiring")
    [thanks] = await ama.tap("The facilitators")
    assert thanks == "Thank you for reflecting."


async def test_a_teachers_year_on_whatsapp_through_circles_run(
    database_url: str, tmp_path: Path, cloud: FakeCloud, webhook: httpx.AsyncClient
) -> None:
    tokens = await accra_1(database_url)
    env = whatsapp_env(cloud, tmp_path)
    link = await invite_link(database_url, env)
    assert link.startswith(f"https://wa.me/{NUMBER}?text=JOIN%20")
    service: Running = await start_circles(
        database_url, clock_file=tmp_path / "clock", start=MONDAY_MORNING, **env
    )
    try:
        await service.wait_for_log("the WhatsApp door takes messages at /whatsapp/webhook")
        if "Uvicorn running" not in service.log:
            await service.wait_for_log("Uvicorn running")

        async def post(body: bytes) -> httpx.Response:
            headers = {
                "content-type": "application/json",
                "x-hub-signature-256": sign(body, APP_SECRET),
            }
            return await webhook.post(f"{service.api_url}{PATH}", content=body, headers=headers)

        ama = RemoteWaPhone("233200000777", "Ama Mensah", cloud, post, None)
        await join_and_identify(ama, link)

        # Week 37: she wrote today, so the invitation comes as a message with its buttons.
        await service.sweep_at(OPENS[0])
        invitation = await ama.receive(INVITATION)
        assert invitation["type"] == "interactive"
        await pilot_week(ama, cloud, 0)

        facilitator = {"Authorization": f"Bearer {tokens.facilitator}"}
        async with httpx.AsyncClient(base_url=service.api_url, headers=facilitator) as api:
            meeting = await api.post(
                f"/v1/circles/{tokens.circle_id}/meetings",
                json={"date": "2026-09-08", "time": "16:30", "place": "Library"},
            )
            assert meeting.status_code == 201, meeting.text
            await ama.receive("New circle meeting")
            await ama.tap("Yes")
            await service.sweep_at(MEETING - timedelta(hours=24))
            await ama.receive("Reminder: circle meeting tomorrow")
            # Two hours after the meeting her window (she last wrote yesterday) has closed.
            await service.sweep_at(MEETING + timedelta(hours=2))
            await reflect(ama)

            # Weeks 38 and 39: a week since she last wrote; the invitation is its template,
            # and its quick reply opens the check-in at its first question.
            for week in (1, 2):
                before = len(cloud.sent_to(ama.wa_id))
                await service.sweep_at(OPENS[week])
                invitation = await ama.receive("checkin_invitation", after=before)
                [opened] = await ama.tap_template(invitation)
                assert opened.startswith(INVITATION)
                assert opened.endswith("Did you try your practice this week?")
                saved = await pilot_week(ama, cloud, week)
            assert "Your ratings so far: 3 → 4 → 5" in saved
            assert "You have piloted your practice 3 times." in saved
            await codify(ama)

            # Two days later the coordinator's news reaches her as the broadcast template.
            service.set_time(NEWS_DAY)
            coordinator = {"Authorization": f"Bearer {tokens.coordinator}"}
            news = await api.post(
                "/v1/broadcasts",
                headers=coordinator,
                json={
                    "variants": {"en": NEWS},
                    "default_language": "en",
                    "audience": {"circle_ids": [tokens.circle_id]},
                },
            )
            assert news.status_code == 201, news.text
            broadcast = await ama.receive("broadcast")
            [parameter] = broadcast["template"]["components"][0]["parameters"]
            assert parameter["text"] == NEWS

            summary = await api.get(
                f"/v1/circles/{tokens.circle_id}/summary", params={"week": "2026-W39"}
            )
            assert summary.status_code == 200, summary.text
            assert (summary.json()["answered"], summary.json()["expected"]) == (1, 1)
        assert await service.stop() == 0
    finally:
        await service.ensure_stopped()
    assert cloud.refused == []  # nothing broke WhatsApp's limits
    assert [m["type"] for m in cloud.sent_to(ama.wa_id)].count("template") == 4
    assert [m for m in cloud.sent_to(ama.wa_id) if shown(m) == NEWS] == []  # not twice
    # Answers and secrets stay out of the log.
    for secret in ("Whiteboards in three lessons", "Hinge questions need", cloud.token, APP_SECRET):
        assert secret not in service.log
