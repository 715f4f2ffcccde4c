"""The simulator's WhatsApp look: the same conversation within WhatsApp's limits."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from support.people import simulated_people, simulator_address
from support.web import buttons_of, csrf_of
from support.world import World, make_demo

from circles.clock import FakeClock
from circles.db import SessionMaker
from circles.models import Channel, Identity
from circles.services.outbox import enqueue, say
from circles.services.people import Address
from circles.text import t


@pytest.fixture
async def world(world: World, sessions: SessionMaker) -> World:
    return await make_demo(sessions, world)


async def _joined(client: httpx.AsyncClient) -> str:
    """A simulated teacher who consented and chose English; the page's CSRF value."""
    form = await client.get("/simulator")
    csrf = csrf_of(form.text)
    await client.post("/simulator/start", data={"csrf": csrf, "language": "en", "name": "Zoe"})
    for label in ("I agree", "English"):
        await _press(client, csrf, label)
    return csrf


async def _press(client: httpx.AsyncClient, csrf: str, label: str) -> str:
    page = (await client.get("/simulator")).text
    found = [(b, d) for b, d, shown in buttons_of(page) if shown.removeprefix("✓ ") == label]
    assert found, (label, buttons_of(page))
    bubble, data = found[-1]
    await client.post("/simulator/press", data={"csrf": csrf, "data": data, "bubble": bubble})
    return (await client.get("/simulator")).text


async def _look(client: httpx.AsyncClient, csrf: str, app: str) -> httpx.Response:
    return await client.post("/simulator/look", data={"csrf": csrf, "app": app})


async def test_eight_languages_are_a_list_on_whatsapp_and_buttons_on_telegram(
    world: World, api
) -> None:
    client = api()
    csrf = await _joined(client)
    await client.post("/simulator/send", data={"csrf": csrf, "text": "/language"})
    telegram = (await client.get("/simulator")).text
    assert "Choose from the list" not in telegram
    assert (await _look(client, csrf, "whatsapp")).status_code == 303
    await client.post("/simulator/send", data={"csrf": csrf, "text": "/language"})
    page = (await client.get("/simulator")).text
    assert "looks as it would in WhatsApp" in page
    assert page.count("Choose from the list") == 1
    last = max(b for b, _d, _l in buttons_of(page))
    languages = [label for b, _d, label in buttons_of(page) if b == last]
    assert len(languages) == 8 and "Français" in languages  # every choice, none lost


async def test_a_tap_on_whatsapp_is_the_teachers_reply_not_an_edit(world: World, api) -> None:
    client = api()
    csrf = await _joined(client)
    await _look(client, csrf, "whatsapp")
    await client.post("/simulator/send", data={"csrf": csrf, "text": "/language"})
    page = await _press(client, csrf, "Français")
    # The question stays as it was (no "→ Français" mark), and her tap shows as her reply.
    assert "→ Français" not in page
    assert '<li class="bubble me"' in page and ">Français</div>" in page


async def test_a_message_while_the_window_is_closed_shows_as_its_template(
    world: World, api, sessions: SessionMaker, clock: FakeClock
) -> None:
    client = api()
    csrf = await _joined(client)
    await _look(client, csrf, "whatsapp")
    async with sessions() as session, session.begin():
        person = await session.scalar(simulated_people())
        address = await simulator_address(session, person)
        # She last wrote two days ago: WhatsApp's 24-hour window is closed.
        await session.execute(
            update(Identity)
            .where(Identity.channel == Channel.simulator, Identity.address == address)
            .values(last_inbound_at=clock.now() - timedelta(days=2))
        )
        text = t(
            "Good news: your practice “{title}” was reviewed and is now published in the "
            "evidence repository. Thank you for sharing it!",
            title="Hinge questions",
        )
        await enqueue(
            session,
            to=Address(Channel.simulator, address),
            payload=say(text),
            key="practice-review-1-1",
            now=clock.now(),
        )
    page = (await client.get("/simulator")).text
    assert "WhatsApp delivers this as the approved template review_published." in page
    assert "Good news: your practice “Hinge questions” was reviewed" in page


async def test_with_the_window_open_or_telegrams_look_the_message_is_itself(
    world: World, api, sessions: SessionMaker, clock: FakeClock
) -> None:
    client = api()
    csrf = await _joined(client)  # she has just written: the window is open
    await _look(client, csrf, "whatsapp")
    async with sessions() as session, session.begin():
        person = await session.scalar(simulated_people())
        address = await simulator_address(session, person)
        await enqueue(
            session,
            to=Address(Channel.simulator, address),
            payload=say(
                t(
                    "Your practice “{title}” was reviewed. Your facilitator asks for some changes:",
                    title="X",
                )
            ),
            key="practice-review-1-1",
            now=clock.now(),
        )
    page = (await client.get("/simulator")).text
    assert "Your practice “X” was reviewed" in page
    assert "approved template" not in page


async def test_an_unknown_look_is_refused_and_changes_nothing(world: World, api) -> None:
    client = api()
    csrf = await _joined(client)
    refused = await _look(client, csrf, "signal")
    assert refused.status_code == 422
    assert "Choose one of the apps the simulator offers." in refused.text
    page = (await client.get("/simulator")).text
    assert 'value="telegram" aria-pressed="true"' in page
