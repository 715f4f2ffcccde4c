"""The simulator is a sandbox: it joins only demo circles, shows only demo practices, and
bounds what one visitor can make the server keep (rate limits, one person per browser).
"""

from __future__ import annotations

import html
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from support.people import simulated_people
from support.web import buttons_of, csrf_of
from support.world import World, add_published_practice, add_recife

from api.app import create_app
from api.web.simulator import STARTS_PER_MINUTE
from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import (
    Channel,
    Circle,
    Identity,
    Invite,
    Membership,
    ShareScope,
)
from circles.settings import Settings

NOT_DEMO = "In the simulator you can join only a demo circle"
LOST = "The simulator no longer knows your chat"


@pytest.fixture
async def world(world: World, sessions: SessionMaker) -> World:
    """The world, with circle A as the demo circle the simulator joins (B stays real)."""
    async with sessions() as session, session.begin():
        await session.execute(update(Circle).where(Circle.id == world.a.circle).values(demo=True))
    return world


def _client(app, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://api")


async def _start(client: httpx.AsyncClient, **form: str) -> httpx.Response:
    page = await client.get("/simulator")
    data = {"csrf": csrf_of(page.text), "language": "en", "name": "Zoe", **form}
    return await client.post("/simulator/start", data=data)


async def _say(client: httpx.AsyncClient, text: str) -> str:
    csrf = csrf_of((await client.get("/simulator")).text)
    sent = await client.post("/simulator/send", data={"csrf": csrf, "text": text})
    assert sent.status_code == 303, sent.text
    return html.unescape((await client.get("/simulator")).text)


async def _press(client: httpx.AsyncClient, label: str) -> None:
    page = (await client.get("/simulator")).text
    for bubble, data, shown in buttons_of(page):
        if shown.removeprefix("✓ ") == label:
            csrf = csrf_of(page)
            pressed = await client.post(
                "/simulator/press", data={"csrf": csrf, "data": data, "bubble": bubble}
            )
            assert pressed.status_code == 303
            return
    raise AssertionError(f"no button {label!r} in {buttons_of(page)}")


async def _simulated_people(sessions: SessionMaker) -> int:
    async with sessions() as session:
        return (
            await session.scalar(select(func.count()).select_from(simulated_people().subquery()))
            or 0
        )


async def test_a_real_circles_invite_code_typed_in_the_simulator_does_not_join(
    world: World, api, sessions: SessionMaker
) -> None:
    client = api()
    assert (await _start(client)).status_code == 303
    async with sessions() as session:
        real = await session.get_one(Invite, world.b.invite)
        uses = real.uses
    page = await _say(client, f"/start {real.code}")
    assert NOT_DEMO in page
    # An unknown code gets the same answer: the simulator tells nobody which codes exist.
    assert (await _say(client, "/start NoSuchCode123")).count(NOT_DEMO) == 2
    async with sessions() as session:
        assert (await session.get_one(Invite, world.b.invite)).uses == uses
        joined_b = await session.scalar(
            select(func.count())
            .select_from(Membership)
            .join(Identity, Identity.person_id == Membership.person_id)
            .where(
                Membership.circle_id == world.b.circle,
                Identity.channel == Channel.simulator,
            )
        )
        assert joined_b == 0


async def test_the_start_form_cannot_name_a_real_circle(world: World, api) -> None:
    client = api()
    refused = await _start(client, circle_id=str(world.b.circle))
    assert refused.status_code == 404
    assert "There is no demo circle with this id." in refused.text


async def test_a_simulated_teacher_does_not_find_a_real_practice_shared_with_their_country(
    world: World, api, sessions: SessionMaker
) -> None:
    async with transaction(sessions) as session:
        recife = await add_recife(session)
        ids = {
            title: await add_published_practice(
                session, circle_id=circle_id, title=title, scope=scope
            )
            for circle_id, title, scope in (
                (recife.id, "Hinge questions from Recife", ShareScope.country),
                (world.a.circle, "Hinge questions in the demo", ShareScope.circle),
            )
        }
    client = api()
    await _start(client)
    await _press(client, "I agree")
    await _press(client, "English")
    await _say(client, "UTC")
    await _say(client, "Zoe Teacher")
    page = await _say(client, "/practices hinge")
    assert "Hinge questions in the demo" in page
    assert "Recife" not in page
    # Opening the real practice by its id, as a forged button would, shows nothing of it.
    csrf = csrf_of(page)
    real = ids["Hinge questions from Recife"]
    pressed = await client.post("/simulator/press", data={"csrf": csrf, "data": f"p:v:{real}"})
    assert pressed.status_code == 303
    assert "Recife" not in (await client.get("/simulator")).text


async def test_starting_again_from_one_browser_keeps_one_simulated_person(
    world: World, api, sessions: SessionMaker
) -> None:
    client = api()
    assert (await _start(client)).status_code == 303
    async with sessions() as session:
        invites = await session.scalar(select(func.count()).select_from(Invite))
    assert (await _start(client)).status_code == 303
    csrf = csrf_of((await client.get("/simulator")).text)
    assert (await client.post("/simulator/leave", data={"csrf": csrf})).status_code == 303
    assert (await _start(client, name="Zoe again")).status_code == 303
    assert await _simulated_people(sessions) == 1
    async with sessions() as session:
        # A member already: starting again made no new invite.
        assert await session.scalar(select(func.count()).select_from(Invite)) == invites
    assert (await _start(api())).status_code == 303  # another browser is another teacher
    assert await _simulated_people(sessions) == 2


async def test_the_21st_start_in_a_minute_from_one_client_gets_429(
    world: World, settings: Settings, engine: AsyncEngine, clock: FakeClock
) -> None:
    app = create_app(settings, engine, clock)
    async with _client(app) as client, _client(app, "192.0.2.7") as neighbour:
        for _ in range(STARTS_PER_MINUTE):
            assert (await _start(client)).status_code == 303
        refused = await _start(client)
        assert refused.status_code == 429
        assert "Too many requests from your address" in refused.text
        assert (await _start(neighbour)).status_code == 303  # another address is not held up
        clock.advance(timedelta(minutes=1))
        assert (await _start(client)).status_code == 303


async def test_a_restart_without_a_web_secret_says_the_chat_was_lost(
    world: World, settings: Settings, engine: AsyncEngine, clock: FakeClock
) -> None:
    async with _client(create_app(settings, engine, clock)) as before:
        await _start(before)
        csrf = csrf_of((await before.get("/simulator")).text)
        cookies = dict(before.cookies)
    async with _client(create_app(settings, engine, clock)) as after:  # a new process
        after.cookies.update(cookies)
        sent = await after.post("/simulator/send", data={"csrf": csrf, "text": "/help"})
        assert sent.status_code == 409 and LOST in html.unescape(sent.text)
        after.cookies.clear()
        after.cookies.update(cookies)
        page = await after.get("/simulator")
        assert LOST in html.unescape(page.text) and "/simulator/start" in page.text
        again = await after.get("/simulator")  # said once; the new session starts cleanly
        assert LOST not in html.unescape(again.text)


async def test_a_restart_with_a_web_secret_keeps_the_visitor(
    world: World, settings: Settings, engine: AsyncEngine, clock: FakeClock, sessions
) -> None:
    settings = settings.model_copy(update={"web_secret": SecretStr("s3cret-for-the-cookies")})
    async with _client(create_app(settings, engine, clock)) as before:
        await _start(before)
        cookies = dict(before.cookies)
    async with _client(create_app(settings, engine, clock)) as after:
        after.cookies.update(cookies)
        page = await _say(after, "/help")
        assert LOST not in page and "You are a teacher in Demo circle" in page
    assert await _simulated_people(sessions) == 1


@pytest.mark.parametrize("crafted", ["99999999999999999999", "²", "-1", "0", "1e3"])
async def test_crafted_ids_in_simulator_forms_answer_4xx(world: World, api, crafted: str) -> None:
    client = api()
    started = await _start(client, circle_id=crafted)
    assert started.status_code == 404
    assert (await _start(client)).status_code == 303
    csrf = csrf_of((await client.get("/simulator")).text)
    pressed = await client.post(
        "/simulator/press", data={"csrf": csrf, "data": "x:closed", "bubble": crafted}
    )
    assert pressed.status_code == 303
