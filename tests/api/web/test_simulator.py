"""The chat simulator: the same flows and rows as Telegram, behind forms with CSRF."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from support.people import simulated_people, simulator_address
from support.web import buttons_of, csrf_of
from support.world import World, make_demo

from api.app import create_app
from circles.clock import FakeClock
from circles.db import SessionMaker
from circles.models import Answer, AnswerKind, Channel, Circle, Consent, Membership, Person, Role
from circles.services.demo import DEMO_CIRCLE
from circles.services.outbox import enqueue, message_payload
from circles.services.people import Address
from circles.services.simulation import SIMULATED_ID_CEILING


@pytest.fixture
async def world(world: World, sessions: SessionMaker) -> World:
    """The world, with circle A as the demo circle the simulator joins."""
    return await make_demo(sessions, world)


async def _start(client: httpx.AsyncClient, language: str = "en") -> str:
    form = await client.get("/simulator")
    csrf = csrf_of(form.text)
    started = await client.post(
        "/simulator/start", data={"csrf": csrf, "language": language, "name": "Zoe"}
    )
    assert started.status_code == 303
    return csrf


async def _press(client: httpx.AsyncClient, csrf: str, label: str) -> str:
    page = (await client.get("/simulator")).text
    for bubble, data, shown in buttons_of(page):
        if shown.removeprefix("✓ ") == label:
            pressed = await client.post(
                "/simulator/press", data={"csrf": csrf, "data": data, "bubble": bubble}
            )
            assert pressed.status_code == 303
            return (await client.get("/simulator")).text
    raise AssertionError(f"no button {label!r} in {buttons_of(page)}")


async def _say(client: httpx.AsyncClient, csrf: str, text: str) -> str:
    sent = await client.post("/simulator/send", data={"csrf": csrf, "text": text})
    assert sent.status_code == 303
    return (await client.get("/simulator")).text


async def test_simulated_teacher_joins_the_demo_circle_as_a_real_member(
    world: World, api, sessions: SessionMaker
) -> None:
    client = api()
    csrf = await _start(client)
    page = (await client.get("/simulator")).text
    assert "I agree" in page
    await _press(client, csrf, "I agree")
    await _press(client, csrf, "English")
    await _say(client, csrf, "UTC")
    page = await _say(client, csrf, "Zoe Teacher")
    assert "Which subject" in page
    async with sessions() as session:
        person = await session.scalar(select(Person).where(Person.display_name == "Zoe Teacher"))
        assert person is not None and person.consent is Consent.given
        assert int(await simulator_address(session, person)) <= SIMULATED_ID_CEILING
        membership = await session.scalar(
            select(Membership).where(Membership.person_id == person.id)
        )
        assert membership is not None and membership.circle_id == world.a.circle
        assert membership.role is Role.teacher


async def test_photo_upload_is_stored_as_photo_evidence(
    world: World, api, sessions: SessionMaker
) -> None:
    client = api()
    csrf = await _start(client)
    await _press(client, csrf, "I agree")
    await _press(client, csrf, "English")
    for text in ("UTC", "Zoe", "Maths"):
        await _say(client, csrf, text)
    await _press(client, csrf, "Primary")
    await _say(client, csrf, "Students copy answers.")
    await _say(client, csrf, "Year 5")
    sent = await client.post(
        "/simulator/photo",
        data={"csrf": csrf, "caption": "Exit tickets"},
        files={"file": ("work.png", b"\x89PNG\r\n\x1a\nnot-really", "image/png")},
    )
    assert sent.status_code == 303
    async with sessions() as session:
        answer = await session.scalar(
            select(Answer).where(
                Answer.question_key == "evidence",
                Answer.kind == AnswerKind.photo,
                Answer.file_id.like("simulator:%"),
            )
        )
        assert answer is not None and answer.value_text == "Exit tickets"
    refused = await client.post(
        "/simulator/photo",
        data={"csrf": csrf},
        files={"file": ("notes.txt", b"hello", "text/plain")},
    )
    assert refused.status_code == 415


async def test_forms_without_the_csrf_value_change_nothing(
    world: World, api, sessions: SessionMaker
) -> None:
    client = api()
    assert (await client.post("/simulator/start", data={"language": "en"})).status_code == 403
    csrf = await _start(client)
    assert (await client.post("/simulator/send", data={"text": "/help"})).status_code == 403
    other = api()  # another browser has another CSRF value
    await other.get("/simulator")
    assert (
        await other.post("/simulator/send", data={"csrf": csrf, "text": "/help"})
    ).status_code in (403, 409)


async def test_simulator_seeds_the_demo_circle_when_there_is_none(
    api, sessions: SessionMaker
) -> None:
    client = api()
    start = await client.get("/simulator")
    assert "Demo circle" in start.text
    await _start(client)
    async with sessions() as session:
        circles = await session.scalar(
            select(func.count()).select_from(Circle).where(Circle.name == DEMO_CIRCLE)
        )
        assert circles == 1


async def test_queued_messages_show_up_in_the_chat(
    world: World, api, sessions: SessionMaker, clock: FakeClock
) -> None:
    client = api()
    await _start(client)
    async with sessions() as session, session.begin():
        person = await session.scalar(simulated_people())
        assert person is not None
        await enqueue(
            session,
            to=Address(Channel.simulator, await simulator_address(session, person)),
            payload=message_payload("Your practice was published.", [[("OK", "x:closed")]]),
            key="test-1",
            now=clock.now(),
        )
    page = (await client.get("/simulator")).text
    assert "Your practice was published." in page
    assert ("OK") in [label for _b, _d, label in buttons_of(page)]


async def test_commands_answer_in_the_chosen_language(world: World, api) -> None:
    client = api()
    csrf = await _start(client, language="fr")
    page = (await client.get("/simulator")).text
    assert '<html lang="fr">' in page
    page = await _say(client, csrf, "/nonsense")
    assert "/nonsense" in page


async def test_simulator_can_be_switched_off(settings, engine, clock) -> None:
    app = create_app(settings.model_copy(update={"simulator": False}), engine, clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        assert (await client.get("/simulator")).status_code == 404
        assert (await client.post("/simulator/start", data={"csrf": "x"})).status_code == 404


async def test_nul_characters_from_a_form_are_dropped(world: World, api) -> None:
    client = api()
    csrf = await _start(client)
    page = await _say(client, csrf, "/he\x00lp")
    assert "What you can do" in page


async def test_a_simulated_teacher_who_erases_their_data_leaves_no_bubbles_behind(
    world: World, api
) -> None:
    client = api()
    csrf = await _start(client)
    await _press(client, csrf, "I agree")
    await _press(client, csrf, "English")
    await _say(client, csrf, "UTC")
    page = await _say(client, csrf, "Zoe Fractions-Teacher")
    assert "Zoe Fractions-Teacher" in page
    page = await _say(client, csrf, "/forgetme")
    page = await _press(client, csrf, "Yes, erase everything")
    assert "Everything about you is erased" in page
    assert "Zoe Fractions-Teacher" not in page
