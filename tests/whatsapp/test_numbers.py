"""Two WhatsApp numbers in one deployment: each circle hears from, and talks to, its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from support.fakecloud import VERSION, FakeCloud, encoded, sign, text, webhook
from support.people import add_person
from support.places import add_circle
from support.proxy import GraphApiByNumber

from api.app import create_app
from bot.handlers.whatsapp import webhook as whatsapp_webhook
from bot.handlers.whatsapp.client import WhatsAppClient
from bot.handlers.whatsapp.runner import Numbers, client_for
from bot.handlers.whatsapp.sender import WhatsAppSender
from bot.handlers.whatsapp.tier import Reach
from bot.handlers.whatsapp.worker import InboxWorker, Number
from circles.db import transaction
from circles.models import (
    Channel,
    ChannelAccount,
    Consent,
    Identity,
    Inbox,
    Membership,
    Outbox,
    OutboxState,
    Role,
    TokenRole,
)
from circles.secrets import generate_key
from circles.services import channels
from circles.services.access import Scope
from circles.services.broadcasts import Audience, broadcast_sweep, create_broadcast
from circles.services.invites import create_invite

from .conftest import shown

CI_TOKEN = "ci-number-token"
CI_SECRET = "ci-app-secret"
CI_NUMBER_ID = "900001"
ADMIN = Scope("test", TokenRole.admin)
#: Each person's WhatsApp id: Ghana's on the default number, Côte d'Ivoire's on ``ci-wa``.
WA = {"GH": "233200000077", "CI": "225070000077"}


@pytest.fixture
async def ci_cloud() -> AsyncIterator[FakeCloud]:
    """The Graph API as Côte d'Ivoire's number sees it."""
    async with FakeCloud(token=CI_TOKEN, phone_number_id=CI_NUMBER_ID) as fake:
        yield fake


@pytest.fixture
def keyed(wa_settings):
    """The WhatsApp settings with a secrets key."""
    return wa_settings.model_copy(update={"secrets_key": SecretStr(generate_key())})


@pytest.fixture
async def api(keyed, engine, clock) -> AsyncIterator[httpx.AsyncClient]:
    """The API app with the WhatsApp webhook, which knows the secrets key."""
    app = create_app(keyed, engine, clock)
    whatsapp_webhook.install(app, keyed)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api"
    ) as client:
        yield client


async def _add_ci_number(sessions, clock, keyed) -> ChannelAccount:
    """Add the number ``ci-wa``, serving every circle of Côte d'Ivoire (as ``circles
    channel add`` and ``assign`` do)."""
    async with transaction(sessions) as session:
        account = await channels.add_account(
            session,
            scope=ADMIN,
            settings=keyed,
            new=channels.NewAccount(
                Channel.whatsapp,
                "ci-wa",
                CI_TOKEN,
                phone_number="+225 07 00 00 00 01",
                phone_number_id=CI_NUMBER_ID,
                app_secret=CI_SECRET,
            ),
            now=clock.now(),
        )
        await channels.assign(session, scope=ADMIN, name="ci-wa", country="CI", now=clock.now())
        return account


@pytest.fixture
async def ci_account(sessions, clock, keyed) -> ChannelAccount:
    """The number ``ci-wa``, serving every circle of Côte d'Ivoire."""
    return await _add_ci_number(sessions, clock, keyed)


@pytest.fixture
async def ci_client(ci_cloud: FakeCloud) -> AsyncIterator[WhatsAppClient]:
    client = WhatsAppClient(
        api_url=ci_cloud.api_url, phone_number_id=CI_NUMBER_ID, token=CI_TOKEN, http=None
    )
    yield client
    await client.aclose()


async def _two_circles(sessions, clock, ci_number: int | None = None) -> None:
    """A teacher in Accra (Ghana) and one in Abidjan (Côte d'Ivoire), both written lately:
    Accra's to the default number, Abidjan's to ``ci_number`` (an account id; None: the
    default number)."""
    async with transaction(sessions) as session:
        accra = await add_circle(session, "Accra N", now=clock.now())
        abidjan = await add_circle(session, "Abidjan N", now=clock.now(), country="CI")
        for circle, language in ((accra, "en"), (abidjan, "fr")):
            person = await add_person(
                session, language=language, consent=Consent.given, created_at=clock.now()
            )
            session.add(
                Identity(
                    person_id=person.id,
                    channel=Channel.whatsapp,
                    address=WA[circle.country],
                    last_inbound_at=clock.now() - timedelta(hours=1),
                    last_inbound_account=ci_number if circle.country == "CI" else None,
                )
            )
            session.add(Membership(person_id=person.id, circle_id=circle.id, role=Role.teacher))


async def _news_for_everyone(sessions, clock) -> None:
    """A coordinator's news to every circle, in English and French, queued."""
    async with transaction(sessions) as session:
        await create_broadcast(
            session,
            variants={"en": "Hub on Friday.", "fr": "Hub vendredi."},
            default_language="en",
            audience=Audience(),
            created_by="token:1",
            now=clock.now(),
        )
        await broadcast_sweep(session, now=clock.now())


async def _drain_both_numbers(sessions, clock, wa_settings, ci_account, ci_client) -> None:
    """Send what is queued: the default number's sender, with ci-wa's beside it."""
    ci = WhatsAppSender(ci_client, sessions, clock, account=ci_account.id)
    default = client_for(wa_settings)
    try:
        await WhatsAppSender(default, sessions, clock, others={ci_account.id: ci}).drain()
    finally:
        await default.aclose()


async def test_a_broadcast_goes_out_from_each_circles_own_number(
    sessions, clock, wa_settings, cloud, ci_cloud, ci_account, ci_client
) -> None:
    await _two_circles(sessions, clock, ci_number=ci_account.id)
    await _news_for_everyone(sessions, clock)
    await _drain_both_numbers(sessions, clock, wa_settings, ci_account, ci_client)

    assert [shown(m) for m in cloud.sent_to(WA["GH"])] == ["Hub on Friday."]
    assert [shown(m) for m in ci_cloud.sent_to(WA["CI"])] == ["Hub vendredi."]
    assert cloud.sent_to(WA["CI"]) == [] and ci_cloud.sent_to(WA["GH"]) == []
    async with sessions() as session:
        by = dict((await session.execute(select(Outbox.address, Outbox.sent_by))).all())
    assert by == {WA["GH"]: None, WA["CI"]: ci_account.id}


async def test_each_number_counts_its_own_tier(sessions, clock, ci_account) -> None:
    now = clock.now()
    async with transaction(sessions) as session:
        for index in range(3):
            session.add(
                Outbox(
                    channel=Channel.whatsapp,
                    address=f"22507000000{index}",
                    idempotency_key="broadcast-1",
                    state=OutboxState.sent,
                    template="broadcast",
                    sent_at=now - timedelta(hours=1),
                    sent_by=ci_account.id,
                    created_at=now,
                )
            )
    default = await Reach.read(sessions, 250, now)
    ci = await Reach.read(sessions, 250, now, ci_account.id)
    assert (default.room, ci.room) == (250, 247)


async def test_a_message_to_a_number_is_answered_from_it_or_pointed_home(
    sessions, clock, keyed, cloud, ci_cloud, ci_account, ci_client, api
) -> None:
    await _two_circles(sessions, clock)
    default = client_for(keyed)
    worker = InboxWorker(
        keyed, sessions, clock, default, {CI_NUMBER_ID: Number(ci_account.id, ci_client)}
    )

    async def write(wa_id: str, body: str, number: str, secret: str) -> None:
        call = webhook(text(wa_id, body))
        call["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = number
        raw = encoded(call)
        headers = {"content-type": "application/json", "x-hub-signature-256": sign(raw, secret)}
        response = await api.post("/whatsapp/webhook", content=raw, headers=headers)
        assert response.status_code == 200, response.text
        await worker.drain()

    try:
        # Signed with the ci number's own app secret, and answered from it.
        await write(WA["CI"], "/journey", CI_NUMBER_ID, CI_SECRET)
        assert cloud.sent_to(WA["CI"]) == []
        assert ci_cloud.sent_to(WA["CI"]) and "un autre" not in shown(
            ci_cloud.sent_to(WA["CI"])[-1]
        )
        # The Ghana teacher writes to the ci number: pointed to the default number.
        await write(WA["GH"], "/journey", CI_NUMBER_ID, CI_SECRET)
        assert [shown(m) for m in ci_cloud.sent_to(WA["GH"])] == [
            "Your circle talks with me on another number: https://wa.me/15550000000. "
            "Please write to me there."
        ]
        # The Abidjan teacher writes to the default number: pointed to theirs.
        await write(WA["CI"], "Bonjour", cloud.phone_number_id, "app-secret-for-tests")
        assert [shown(m) for m in cloud.sent_to(WA["CI"])] == [
            "Votre cercle échange avec moi sur un autre numéro\u00a0: "
            "https://wa.me/2250700000001. Merci de m’écrire là-bas."
        ]
    finally:
        await default.aclose()
    async with sessions() as session:
        numbers = list(await session.scalars(select(Inbox.receiver)))
    assert numbers == [CI_NUMBER_ID, CI_NUMBER_ID, cloud.phone_number_id]


async def test_a_call_signed_with_no_known_secret_is_refused(
    sessions, keyed, ci_account, api
) -> None:
    raw = encoded(webhook(text(WA["CI"], "hello")))
    headers = {"content-type": "application/json", "x-hub-signature-256": sign(raw, "guess")}
    response = await api.post("/whatsapp/webhook", content=raw, headers=headers)
    assert response.status_code == 403
    async with sessions() as session:
        assert list(await session.scalars(select(Inbox.id))) == []


async def test_a_join_code_sent_to_the_wrong_number_gives_its_link_there(
    sessions, clock, keyed, cloud, ci_account, post
) -> None:
    async with transaction(sessions) as session:
        abidjan = await add_circle(session, "Abidjan J", now=clock.now(), country="CI")
        code = (
            await create_invite(session, circle=abidjan, role=Role.teacher, now=clock.now())
        ).code
    default = client_for(keyed)
    worker = InboxWorker(keyed, sessions, clock, default)
    try:
        response = await post(encoded(webhook(text("225070000099", f"JOIN {code}"))))
        assert response.status_code == 200
        await worker.drain()
    finally:
        await default.aclose()
    assert [shown(m) for m in cloud.sent_to("225070000099")] == [
        "This invite is for a circle that talks with me on another number. Join there: "
        f"https://wa.me/2250700000001?text=JOIN%20{code}"
    ]
    async with sessions() as session:
        assert (
            list(
                await session.scalars(select(Identity.id).where(Identity.address == "225070000099"))
            )
            == []
        )


async def test_a_number_added_while_running_is_taken_up_and_let_go_when_removed(
    sessions, clock, keyed, cloud, ci_cloud, api
) -> None:
    await _two_circles(sessions, clock)
    routes = [(cloud.phone_number_id, cloud.base_url), (CI_NUMBER_ID, ci_cloud.base_url)]
    async with GraphApiByNumber(routes) as graph, httpx.AsyncClient() as http:
        # (No gap between two messages to one person: pacing is tested apart, on a fake pace.)
        settings = keyed.model_copy(
            update={"whatsapp_api_url": f"{graph.url}/{VERSION}", "whatsapp_person_gap": 0}
        )
        default = client_for(settings, http)
        worker = InboxWorker(settings, sessions, clock, default)
        sender = WhatsAppSender(default, sessions, clock)
        numbers = Numbers(settings, sessions, clock, http, worker, sender)
        await numbers.refresh()
        assert worker.numbers == {} and sender.others == {}

        await _add_ci_number(sessions, clock, keyed)  # `circles channel add` meanwhile
        await numbers.refresh()
        call = webhook(text(WA["CI"], "/journey"))
        call["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = CI_NUMBER_ID
        raw = encoded(call)
        headers = {"content-type": "application/json", "x-hub-signature-256": sign(raw, CI_SECRET)}
        assert (await api.post("/whatsapp/webhook", content=raw, headers=headers)).is_success
        await worker.drain()
        assert ci_cloud.sent_to(WA["CI"]) and cloud.sent_to(WA["CI"]) == []

        await _news_for_everyone(sessions, clock)
        await sender.drain()
        assert shown(ci_cloud.sent_to(WA["CI"])[-1]) == "Hub vendredi."
        assert [shown(m) for m in cloud.sent_to(WA["GH"])] == ["Hub on Friday."]

        async with transaction(sessions) as session:
            await channels.remove_account(session, scope=ADMIN, name="ci-wa", now=clock.now())
        await numbers.refresh()
        assert worker.numbers == {} and sender.others == {}


async def test_a_window_opened_with_another_number_is_not_this_numbers(
    sessions, clock, wa_settings, cloud, ci_cloud, ci_account, ci_client
) -> None:
    # Awa (Abidjan, served by ci-wa) last wrote to the default number an hour ago.
    await _two_circles(sessions, clock, ci_number=None)
    await _news_for_everyone(sessions, clock)
    await _drain_both_numbers(sessions, clock, wa_settings, ci_account, ci_client)
    # Kofi's window is the default number's: free-form. Awa's with ci-wa is closed: the
    # news goes from ci-wa as its template, never as a free-form message WhatsApp refuses.
    assert [shown(m) for m in cloud.sent_to(WA["GH"])] == ["Hub on Friday."]
    [sent] = ci_cloud.sent_to(WA["CI"])
    assert sent["type"] == "template"
    async with sessions() as session:
        templates = dict((await session.execute(select(Outbox.address, Outbox.template))).all())
    assert templates == {WA["GH"]: None, WA["CI"]: "broadcast"}
