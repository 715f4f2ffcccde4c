"""Two bots in one deployment: each circle's members hear from, and talk to, their own bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from support.fakebotapi import FakeBotApi, FakeUser
from support.pace import FakePace
from support.people import add_person, on_telegram
from support.phone import Phone
from support.places import add_circle

from api.app import create_app
from bot.handlers.telegram import webhook
from bot.handlers.telegram.app import build_application
from bot.handlers.telegram.context import CirclesApplication
from bot.handlers.telegram.inbox import UpdateInbox
from bot.handlers.telegram.ratelimit import TelegramLimits
from bot.handlers.telegram.runner import account_webhook_url
from bot.handlers.telegram.sender import OutboxSender
from circles.db import transaction
from circles.models import (
    Channel,
    ChannelAccount,
    Consent,
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
from circles.services.channels import extra_accounts
from circles.services.invites import create_invite
from circles.services.outbox import book_bulk_slots
from circles.settings import Settings

ADMIN = Scope("test", TokenRole.admin)
CI_TOKEN = "654321:CI-SECRET-TOKEN"


@pytest.fixture
async def ci_fake() -> AsyncIterator[FakeBotApi]:
    """The Bot API as Côte d'Ivoire's bot sees it: another token, another username."""
    async with FakeBotApi(token=CI_TOKEN, bot_username="circles_ci_bot", bot_id=654321) as api:
        yield api


@pytest.fixture
def keyed(settings) -> Settings:
    """The test settings with a secrets key."""
    return settings.model_copy(update={"secrets_key": SecretStr(generate_key())})


@pytest.fixture
async def ci_account(sessions, clock, keyed) -> ChannelAccount:
    """The bot ``ci``, serving every circle of Côte d'Ivoire."""
    async with transaction(sessions) as session:
        account = await channels.add_account(
            session,
            scope=ADMIN,
            settings=keyed,
            new=channels.NewAccount(Channel.telegram, "ci", CI_TOKEN, username="circles_ci_bot"),
            now=clock.now(),
        )
        await channels.assign(session, scope=ADMIN, name="ci", country="CI", now=clock.now())
        return account


@pytest.fixture
def ci_limits() -> TelegramLimits:
    pace = FakePace()
    return TelegramLimits(now=pace.now, sleep=pace.sleep)


@pytest.fixture
async def ci_app(
    ci_fake: FakeBotApi, ci_account: ChannelAccount, settings, sessions, clock, ci_limits, app
) -> AsyncIterator[CirclesApplication]:
    """The ``ci`` bot's application, as ``circles run`` builds it."""
    bot_settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=settings.database_url, telegram_api_url=ci_fake.base_url
    )
    application = build_application(
        bot_settings, sessions, clock, ci_limits, token=CI_TOKEN, account=ci_account.id
    )
    application.bot_data.default_username = app.bot.username
    await application.initialize()
    yield application
    await application.shutdown()


async def _two_circles(sessions, clock) -> dict[str, int]:
    """Accra (Ghana, the default bot) and Abidjan (Côte d'Ivoire, the ``ci`` bot)."""
    async with transaction(sessions) as session:
        accra = await add_circle(session, "Accra A", now=clock.now())
        abidjan = await add_circle(session, "Abidjan A", now=clock.now(), country="CI")
        chats = {}
        for chat, circle, language in ((7100, accra, "en"), (7200, abidjan, "fr")):
            person = await add_person(
                session,
                telegram=chat,
                display_name=f"teacher {chat}",
                language=language,
                consent=Consent.given,
                created_at=clock.now(),
            )
            session.add(Membership(person_id=person.id, circle_id=circle.id, role=Role.teacher))
            chats[circle.country] = chat
        return chats


async def test_a_broadcast_reaches_each_circle_through_its_own_bot(
    sessions, clock, app, fake, ci_app, ci_fake, ci_account, limits, ci_limits
) -> None:
    chats = await _two_circles(sessions, clock)
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
    sender = OutboxSender(
        app.bot, sessions, clock, limits, accounts={ci_account.id: (ci_app.bot, ci_limits)}
    )
    report = await sender.drain()

    assert report.sent == 2
    assert fake.texts_to(chats["GH"]) == ["Hub on Friday."]
    assert ci_fake.texts_to(chats["CI"]) == ["Hub vendredi."]
    assert fake.texts_to(chats["CI"]) == [] and ci_fake.texts_to(chats["GH"]) == []


async def test_rows_of_a_bot_this_process_does_not_run_wait(
    sessions, clock, app, fake, ci_account, limits
) -> None:
    chats = await _two_circles(sessions, clock)
    async with transaction(sessions) as session:
        await create_broadcast(
            session,
            variants={"en": "Hub on Friday."},
            default_language="en",
            audience=Audience(),
            created_by="token:1",
            now=clock.now(),
        )
        await broadcast_sweep(session, now=clock.now())
    report = await OutboxSender(app.bot, sessions, clock, limits).drain()

    assert (report.sent, report.deferred) == (1, 1)
    assert fake.texts_to(chats["CI"]) == []  # never through the wrong bot
    async with sessions() as session:
        waiting = await session.scalar(select(Outbox).where(Outbox.address == str(chats["CI"])))
    assert waiting.state is OutboxState.pending
    assert waiting.not_before == clock.now() + timedelta(minutes=1)


async def test_each_bot_books_its_own_bulk_schedule(sessions, clock, ci_account) -> None:
    now, gap = clock.now(), timedelta(seconds=1)
    async with transaction(sessions) as session:
        first = await book_bulk_slots(session, count=30, gap=gap, now=now)
        second = await book_bulk_slots(session, count=30, gap=gap, now=now)
        ci = await book_bulk_slots(session, count=30, gap=gap, now=now, account=ci_account.id)
    assert first == now and second == now + 30 * gap
    assert ci == now  # the other bot's 30 slots do not delay this one


async def test_a_member_who_writes_to_the_wrong_bot_is_sent_to_theirs(
    sessions, clock, app, fake, ci_app, ci_fake
) -> None:
    chats = await _two_circles(sessions, clock)
    awa = FakeUser(id=chats["CI"], first_name="Awa", language_code="fr")
    on_default = Phone(fake, app, awa)
    said = await on_default.send("/checkin")
    assert said == [
        "Votre cercle échange avec moi via un autre bot\u00a0: https://t.me/circles_ci_bot. "
        "Merci de m’écrire là-bas."
    ]
    assert await on_default.send("Bonjour") == said
    # Each bot numbers its own updates from 1: the ci bot's first is not taken for a repeat.
    assert "un autre bot" not in (await Phone(ci_fake, ci_app, awa).send("/journey"))[0]

    kofi = FakeUser(id=chats["GH"], first_name="Kofi", language_code="en")
    said = await Phone(ci_fake, ci_app, kofi).send("/journey")
    assert said == [
        "Your circle talks with me through another bot: https://t.me/circles_test_bot. "
        "Please write to me there."
    ]
    answered = await Phone(fake, app, kofi).send("/journey")
    assert answered and "another bot" not in answered[0]


async def test_an_invite_brought_to_the_wrong_bot_gives_its_link_there(
    sessions, clock, app, fake, ci_app, ci_fake
) -> None:
    async with transaction(sessions) as session:
        abidjan = await add_circle(session, "Abidjan I", now=clock.now(), country="CI")
        code = (
            await create_invite(session, circle=abidjan, role=Role.teacher, now=clock.now())
        ).code
    newcomer = FakeUser(id=7500, first_name="Yao", language_code="en")
    said = await Phone(fake, app, newcomer).send(f"/start {code}")
    assert said == [
        "This invite is for a circle that talks with me through another bot. Join there: "
        f"https://t.me/circles_ci_bot?start={code}"
    ]
    async with sessions() as session:
        assert await on_telegram(session, newcomer.id) is None  # nobody joined
    joined = await Phone(ci_fake, ci_app, newcomer).send(f"/start {code}")
    assert "another bot" not in joined[0]
    async with sessions() as session:
        assert await on_telegram(session, newcomer.id) is not None


async def test_each_bot_takes_its_webhook_calls_on_its_own_path(
    settings, engine, sessions, clock, app, ci_app, ci_account
) -> None:
    secret = "s3cret-token"
    hooked = settings.model_copy(
        update={
            "webhook_url": "https://bot.example.org/telegram/hook",
            "webhook_secret": SecretStr(secret),
        }
    )
    api = create_app(hooked, engine, clock)
    webhook.install(api, hooked)
    default_inbox = UpdateInbox(app, sessions, clock)
    ci_inbox = UpdateInbox(ci_app, sessions, clock, receiver="ci")
    api.state.telegram, api.state.telegram_inbox = app, default_inbox
    api.state.telegram_accounts = {"ci": ci_app}
    api.state.telegram_account_inboxes = {"ci": ci_inbox}
    update = {
        "update_id": 41,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 7600, "type": "private"},
            "from": {"id": 7600, "is_bot": False, "first_name": "Yao"},
            "text": "/help",
        },
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api), base_url="http://api"
    ) as client:

        async def post(path: str, given: str = secret) -> httpx.Response:
            return await client.post(path, json=update, headers={webhook.SECRET_HEADER: given})

        assert (await post("/telegram/hook/ci")).status_code == 200
        assert (await post("/telegram/hook/ci", "wrong")).status_code == 403
        unknown = await post("/telegram/hook/nope")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"
    async with sessions() as session:
        stored = (await session.execute(select(Inbox.message_id, Inbox.receiver))).all()
    assert stored == [(f"a{ci_account.id}:41", "ci")]
    assert await default_inbox.process_pending() == 0  # not the default bot's row
    assert await ci_inbox.process_pending() == 1
    assert account_webhook_url("https://bot.example.org/telegram/hook", "ci") == (
        "https://bot.example.org/telegram/hook/ci"
    )
    assert account_webhook_url("https://bot.example.org/telegram/hook", None).endswith("/hook")


async def test_the_runner_finds_each_bot_of_the_database_and_says_once_when_it_cannot(
    keyed, sessions, clock, ci_account, caplog
) -> None:
    complained: set[str] = set()
    [found] = await extra_accounts(keyed, sessions, Channel.telegram, complained)
    assert (found.name, found.id, found.token) == ("ci", ci_account.id, CI_TOKEN)
    assert await extra_accounts(keyed, sessions, Channel.whatsapp, complained) == []

    without_key = keyed.model_copy(update={"secrets_key": None})
    for _minute in range(3):  # the runner looks every minute: one line, not one a minute
        assert await extra_accounts(without_key, sessions, Channel.telegram, complained) == []
    assert caplog.text.count("the extra channel accounts are not running") == 1
    # (httpx logs request URLs, which hold tokens: `circles run` keeps it at WARNING.)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(("bot.", "circles"))]
    assert ours and not any(CI_TOKEN in line for line in ours)
