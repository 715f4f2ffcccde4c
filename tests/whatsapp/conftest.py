"""Fixtures for the WhatsApp door: a fake Cloud API on loopback, the API app with the
webhook, the inbox worker, a circle, and phones that write to the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from support.fakecloud import FakeCloud, button_reply, encoded, list_reply, sign, text, webhook
from support.people import add_person
from support.places import CircleSetup, staffed_circle

from api.app import create_app
from bot.flows.events import Event
from bot.flows.queued import payload
from bot.handlers.whatsapp import webhook as whatsapp_webhook
from bot.handlers.whatsapp.runner import client_for
from bot.handlers.whatsapp.sender import WhatsAppSender
from bot.handlers.whatsapp.worker import InboxWorker
from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import Channel, Consent, Identity, Membership, Outbox, Role
from circles.services.outbox import enqueue
from circles.services.people import Address
from circles.settings import Settings

APP_SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "verify-me"


@pytest.fixture
async def cloud() -> AsyncIterator[FakeCloud]:
    async with FakeCloud() as fake:
        yield fake


@pytest.fixture
def wa_settings(settings: Settings, cloud: FakeCloud) -> Settings:
    """Settings with WhatsApp configured against the fake Cloud API."""
    return settings.model_copy(
        update={
            "whatsapp_token": SecretStr(cloud.token),
            "whatsapp_phone_number_id": cloud.phone_number_id,
            "whatsapp_api_url": cloud.api_url,
            "whatsapp_app_secret": SecretStr(APP_SECRET),
            "whatsapp_verify_token": SecretStr(VERIFY_TOKEN),
            "whatsapp_number": "15550000000",
        }
    )


@pytest.fixture
async def api(wa_settings: Settings, engine, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    """The API app with the WhatsApp webhook, called in process."""
    app = create_app(wa_settings, engine, clock)
    whatsapp_webhook.install(app, wa_settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api"
    ) as client:
        yield client


Post = Callable[..., Any]


@pytest.fixture
def post(api: httpx.AsyncClient) -> Post:
    """POST a webhook body, signed with the app secret unless ``signature`` is given."""

    async def send(body: bytes, signature: str | None = None) -> httpx.Response:
        headers = {"content-type": "application/json"}
        signed = sign(body, APP_SECRET) if signature is None else signature
        if signed:
            headers["x-hub-signature-256"] = signed
        return await api.post("/whatsapp/webhook", content=body, headers=headers)

    return send


@pytest.fixture
async def worker(
    wa_settings: Settings, sessions: SessionMaker, clock: FakeClock
) -> AsyncIterator[InboxWorker]:
    client = client_for(wa_settings)
    yield InboxWorker(wa_settings, sessions, clock, client)
    await client.aclose()


@pytest.fixture
async def wa_sender(
    wa_settings: Settings, sessions: SessionMaker, clock: FakeClock
) -> AsyncIterator[WhatsAppSender]:
    client = client_for(wa_settings)
    yield WhatsAppSender(client, sessions, clock)
    await client.aclose()


@pytest.fixture
async def accra(sessions: SessionMaker, clock: FakeClock) -> CircleSetup:
    """Accra 1: English, Africa/Accra, facilitator Grace Owusu, an invite per role."""
    async with transaction(sessions) as session:
        return await staffed_circle(session, "Accra 1", "Grace Owusu", now=clock.now())


def shown(message: dict[str, Any]) -> str:
    """The text a person sees of a sent message."""
    kind = message["type"]
    content = message[kind]
    if kind == "text":
        return content["body"]
    if kind == "interactive":
        return content["body"]["text"]
    return content.get("caption", "")


def choices(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, id) of a message's reply buttons or list rows (a row's whole label is its
    description when it has one)."""
    if message["type"] != "interactive":
        return []
    action = message["interactive"]["action"]
    if message["interactive"]["type"] == "button":
        return [(b["reply"]["title"], b["reply"]["id"]) for b in action["buttons"]]
    return [
        (r.get("description", r["title"]), r["id"]) for s in action["sections"] for r in s["rows"]
    ]


@dataclass
class WaPhone:
    """One person writing to the bot on WhatsApp."""

    wa_id: str
    name: str
    cloud: FakeCloud
    post: Post
    worker: InboxWorker | None

    async def deliver(self, *messages: dict) -> list[str]:
        """Deliver ``messages`` by webhook, let the bot handle them; the texts sent back."""
        before = len(self.cloud.sent_to(self.wa_id))
        response = await self.post(encoded(webhook(*messages, names={self.wa_id: self.name})))
        assert response.status_code == 200, response.text
        await self.handled(before)
        return [shown(m) for m in self.cloud.sent_to(self.wa_id)[before:]]

    async def handled(self, before: int) -> None:
        """Return once the bot handled what was delivered: the worker drains the inbox."""
        assert self.worker is not None
        await self.worker.drain()

    async def send(self, body: str) -> list[str]:
        return await self.deliver(text(self.wa_id, body))

    async def join(self, code: str) -> list[str]:
        """Join with ``code`` and onboard (consent, English, the first timezone and the
        profile name offered, Mathematics, lower secondary); the texts of the last step."""
        await self.send(f"JOIN {code}")
        await self.tap("I agree")
        await self.tap("✓ English")
        await self.tap(self.labels()[0])
        await self.tap(self.name)
        await self.send("Mathematics")
        return await self.tap("Lower secondary")

    async def to_evidence(self, code: str) -> None:
        """Join, onboard and answer identify up to its evidence question."""
        await self.join(code)
        await self.send("Many students copy answers without checking.")
        await self.send("About a third of my Year 8 class")

    def last_interactive(self) -> dict[str, Any]:
        for message in reversed(self.cloud.sent_to(self.wa_id)):
            if message["type"] == "interactive":
                return message
        raise AssertionError("no message with choices")

    def labels(self) -> list[str]:
        return [title for title, _id in choices(self.last_interactive())]

    async def tap(self, title: str) -> list[str]:
        """Tap a reply button, or choose a list row, of the newest message with choices."""
        message = self.last_interactive()
        for label, data in choices(message):
            if label == title:
                reply = button_reply if message["interactive"]["type"] == "button" else list_reply
                return await self.deliver(reply(self.wa_id, data, title))
        raise AssertionError(f"no choice {title!r}; choices: {choices(message)}")


@pytest.fixture
def wa_phone(cloud: FakeCloud, post: Post, worker: InboxWorker) -> Callable[..., WaPhone]:
    numbers = iter(range(233_200_000_001, 233_200_001_000))

    def make(name: str = "Ama Mensah") -> WaPhone:
        return WaPhone(str(next(numbers)), name, cloud, post, worker)

    return make


async def whatsapp_teacher(
    sessions: SessionMaker,
    clock: FakeClock,
    wa_id: str,
    *,
    wrote_ago: timedelta,
    language: str = "en",
    circle_id: int | None = None,
) -> int:
    """A consenting teacher (of ``circle_id``, if given) who last wrote on WhatsApp
    ``wrote_ago``; their person id."""
    async with transaction(sessions) as session:
        person = await add_person(
            session,
            display_name="Ama",
            language=language,
            timezone="Africa/Accra",
            consent=Consent.given,
            created_at=clock.now() - timedelta(days=30),
        )
        session.add(
            Identity(
                person_id=person.id,
                channel=Channel.whatsapp,
                address=wa_id,
                last_inbound_at=clock.now() - wrote_ago,
                created_at=person.created_at,
            )
        )
        if circle_id is not None:
            session.add(
                Membership(
                    person_id=person.id,
                    circle_id=circle_id,
                    role=Role.teacher,
                    joined_at=person.created_at,
                )
            )
        return person.id


async def wrote_now(sessions: SessionMaker, clock: FakeClock, wa_id: str) -> None:
    """``wa_id`` writes: their 24-hour window opens."""
    async with transaction(sessions) as session:
        identity = await session.scalar(select(Identity).where(Identity.address == wa_id))
        identity.last_inbound_at = clock.now()


async def queue_for(
    sessions: SessionMaker, clock: FakeClock, wa_id: str, event: Event, key: str, **kw: Any
) -> None:
    """Queue ``event`` for ``wa_id`` under ``key`` (``priority``…: :func:`enqueue`'s)."""
    async with transaction(sessions) as session:
        await enqueue(
            session,
            to=Address(Channel.whatsapp, wa_id),
            payload=payload(event),
            key=key,
            now=clock.now(),
            **kw,
        )


async def outbox_rows(sessions: SessionMaker) -> list[Outbox]:
    """Every outbox row, oldest first."""
    async with sessions() as session:
        return list(await session.scalars(select(Outbox).order_by(Outbox.id)))
