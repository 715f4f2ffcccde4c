"""Two bots in one `circles run`, the second added while it runs: after SIGHUP the new bot
answers its circle's teachers, the default bot keeps answering the others, and a bot
removed stops without stopping the process."""

from __future__ import annotations

import os
import signal

from pydantic import SecretStr
from support.fakebotapi import FakeBotApi, FakeUser
from support.places import add_circle
from support.proxy import BotApiByToken
from support.seeds import writing
from support.service import start_circles

from circles.clock import SystemClock
from circles.models import Channel, Role, TokenRole
from circles.secrets import generate_key
from circles.services import channels
from circles.services.access import Scope
from circles.services.invites import create_invite
from circles.settings import Settings

ADMIN = Scope("test", TokenRole.admin)
CI_TOKEN = "654321:CI-SECRET-TOKEN"


async def test_a_bot_added_while_running_answers_its_circle_after_sighup(
    database_url: str,
) -> None:
    key = generate_key()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=database_url, secrets_key=SecretStr(key)
    )
    now = SystemClock().now()
    async with writing(database_url) as session:
        accra = await add_circle(session, "Accra live", now=now)
        abidjan = await add_circle(session, "Abidjan live", now=now, country="CI")
        accra_code = (await create_invite(session, circle=accra, role=Role.teacher, now=now)).code
        abidjan_code = (
            await create_invite(session, circle=abidjan, role=Role.teacher, now=now)
        ).code
    async with (
        FakeBotApi() as default,
        FakeBotApi(token=CI_TOKEN, bot_username="circles_ci_bot", bot_id=654321) as ci,
        BotApiByToken([(default.token, default.base_url), (CI_TOKEN, ci.base_url)]) as api,
    ):
        service = await start_circles(
            database_url,
            "--only",
            "bot",
            CIRCLES_TELEGRAM_TOKEN=default.token,
            CIRCLES_TELEGRAM_API_URL=api.url,
            CIRCLES_TELEGRAM_CHAT_GAP="0",
            CIRCLES_SECRETS_KEY=key,
        )
        try:
            await service.wait_for_log("bot @circles_test_bot is polling")
            async with writing(database_url) as session:
                await channels.add_account(
                    session,
                    scope=ADMIN,
                    settings=settings,
                    new=channels.NewAccount(
                        Channel.telegram, "ci", CI_TOKEN, username="circles_ci_bot"
                    ),
                    now=now,
                )
                await channels.assign(session, scope=ADMIN, name="ci", country="CI", now=now)
            os.kill(service.process.pid, signal.SIGHUP)
            await service.wait_for_log("bot @circles_ci_bot is polling")

            awa = FakeUser(id=7201, first_name="Awa", language_code="fr")
            ci.user_message(awa, f"/start {abidjan_code}")
            [welcome] = await ci.wait_for_messages(awa.id, 1, timeout=20)
            assert "Abidjan live" in welcome["text"]
            kofi = FakeUser(id=7101, first_name="Kofi", language_code="en")
            default.user_message(kofi, f"/start {accra_code}")
            [welcome] = await default.wait_for_messages(kofi.id, 1, timeout=20)
            assert "Accra live" in welcome["text"]
            assert default.sent_to(awa.id) == [] and ci.sent_to(kofi.id) == []

            async with writing(database_url) as session:
                await channels.remove_account(session, scope=ADMIN, name="ci", now=now)
            os.kill(service.process.pid, signal.SIGHUP)
            await service.wait_for_log("the bot of channel account ci stopped")
            kofi_again = len(default.sent_to(kofi.id))
            default.user_message(kofi, "/help")
            await default.wait_for_messages(kofi.id, kofi_again + 1, timeout=20)
            assert await service.stop() == 0
            assert not any(CI_TOKEN in line for line in service.lines)
        finally:
            if service.process.returncode is None:
                service.process.kill()
                await service.process.wait()
