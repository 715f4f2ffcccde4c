"""WhatsApp's renderer: every question of every flow, in every language, is a message the
Cloud API accepts (three buttons of 20 characters, lists of ten rows of 24, bodies of 1024),
and every choice stays reachable: a button, a list row, or a numbered line to type."""

from __future__ import annotations

import pytest
from support.asking import FLOWS, asked, quiet
from support.fakecloud import FakeCloud

from bot.flows.buttons import encode
from bot.flows.events import Say
from bot.flows.fit import WHATSAPP, Message, fit
from bot.handlers.whatsapp import render
from bot.handlers.whatsapp.client import GraphError, WhatsAppClient
from circles.clock import FakeClock
from circles.db import SessionMaker
from circles.settings import SUPPORTED_LANGUAGES
from circles.text import render as render_text

TO = "233200000077"


@pytest.fixture
async def client(cloud: FakeCloud):
    wa = WhatsAppClient(
        api_url=cloud.api_url, phone_number_id=cloud.phone_number_id, token=cloud.token, http=None
    )
    yield wa
    await wa.aclose()


@pytest.fixture
def quiet_effects(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a step's ``current`` and ``suggest`` effects, not what answering does."""
    quiet(monkeypatch)


def _reachable(message: Message, data: str, label: str, number: int) -> bool:
    keys = {d for row in message.keys for _l, d in row}
    lines = message.text.splitlines()
    return data in keys or f"{number}. {label}" in lines or f"{number}. ✓ {label}" in lines


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
async def test_every_question_is_accepted_by_whatsapp_and_every_choice_reachable(
    language: str,
    sessions: SessionMaker,
    clock: FakeClock,
    quiet_effects: None,
    cloud: FakeCloud,
    client: WhatsAppClient,
) -> None:
    lists = 0
    for flow in FLOWS:
        for step in flow.steps:
            async with sessions() as session:
                _person, _run, ask = await asked(session, flow, step, language, clock.now())
                await session.rollback()
            [message] = fit([ask], language, WHATSAPP).messages
            where = f"{flow.id} v{flow.version} {step.key} ({language})"
            await render.send(client, TO, message, language)
            assert cloud.refused == [], where
            lists += message.listed
            for n, choice in enumerate(ask.choices, start=1):
                label = render_text(choice.label, language)
                if ask.scale:
                    assert encode(choice.action) in {d for r in message.keys for _l, d in r} or (
                        ask.choices[0].value in message.text
                    ), where
                    continue
                assert _reachable(message, encode(choice.action), label, n), (where, label)
            for extra in ask.extra:
                if extra.control:
                    assert encode(extra.action) in {d for r in message.keys for _l, d in r}, where
    assert lists > 0  # some questions were lists


async def test_a_long_text_with_buttons_goes_first_and_the_buttons_keep_a_short_body(
    cloud: FakeCloud, client: WhatsAppClient
) -> None:
    from bot.flows.buttons import OpenCheckIn
    from bot.flows.events import Button

    long_text = "\n".join(f"Line {n}: " + "words " * 20 for n in range(30))
    shown = render.fitted([Say(long_text, ((Button("Open", OpenCheckIn(7)),),))], "en")
    await render.show(client, TO, shown, "en")
    assert cloud.refused == []
    *lead, last = cloud.sent_to(TO)
    assert [m["type"] for m in lead] == ["text"] * len(lead) and lead
    assert last["type"] == "interactive"
    assert len(last["interactive"]["body"]["text"]) <= 1024
    pieces = [m["text"]["body"] for m in lead] + [last["interactive"]["body"]["text"]]
    assert "\n".join(pieces) == long_text  # nothing lost, nothing repeated


async def test_graph_errors_carry_their_code(cloud: FakeCloud, client: WhatsAppClient) -> None:
    cloud.fail_next(131047)
    with pytest.raises(GraphError) as outside:
        await client.send_text(TO, "hello")
    assert outside.value.code == 131047 and not outside.value.retryable

    with pytest.raises(GraphError) as too_many:
        await client.send_buttons(TO, "Pick", [(str(n), f"Choice {n}") for n in range(4)])
    assert too_many.value.status == 400

    with pytest.raises(GraphError):
        await client.send_buttons(TO, "Pick", [("1", "A title far over twenty characters")])
    with pytest.raises(GraphError):
        await client.send_list(TO, "Pick", "Choose", [(str(n), str(n), None) for n in range(11)])

    cloud.fail_next(1, status=503)
    with pytest.raises(GraphError) as unavailable:
        await client.send_text(TO, "hello")
    assert unavailable.value.retryable

    wrong = WhatsAppClient(
        api_url=cloud.api_url, phone_number_id=cloud.phone_number_id, token="nope", http=None
    )
    try:
        with pytest.raises(GraphError) as token:
            await wrong.send_text(TO, "hello")
    finally:
        await wrong.aclose()
    assert token.value.code == 190
    assert cloud.sent == []


def _question(count: int, label: str = "Choice {n}"):
    from bot.flows.buttons import FlowAnswer
    from bot.flows.events import Ask, Choice

    return Ask(
        "Pick one",
        tuple(
            Choice(f"v{n}", label.format(n=n), FlowAnswer(run_id=1, seq=1, choice=f"v{n}"))
            for n in range(1, count + 1)
        ),
    )


@pytest.mark.parametrize(
    ("count", "label", "shape"),
    [
        (3, "Choice {n}", "buttons"),
        (4, "Choice {n}", "list"),
        (10, "Choice {n}", "list"),
        (11, "Choice {n}", "numbered"),
        (
            4,
            "A label longer than a list row's description can hold, even with a lot of room {n}",
            "numbered",
        ),
    ],
)
async def test_a_question_is_buttons_a_list_or_numbered_as_it_fits(
    cloud: FakeCloud, client: WhatsAppClient, count: int, label: str, shape: str
) -> None:
    [message] = render.fitted([_question(count, label)], "en").messages
    await render.send(client, TO, message, "en")
    assert cloud.refused == []
    (sent,) = cloud.sent_to(TO)
    interactive = sent["interactive"]
    if shape == "buttons":
        assert interactive["type"] == "button" and len(interactive["action"]["buttons"]) == 3
    elif shape == "list":
        assert interactive["type"] == "list"
        assert len(interactive["action"]["sections"][0]["rows"]) == count
    else:
        assert interactive["type"] == "button"
        lines = interactive["body"]["text"].splitlines()
        assert all(f"{n}. {label.format(n=n)}" in lines for n in range(1, count + 1))
        assert "Reply with the number of your choice." in lines


async def test_templates_and_uploaded_images_go_out_as_the_graph_api_expects(
    cloud: FakeCloud, client: WhatsAppClient
) -> None:
    wamid = await client.send_template(
        TO, "checkin_invitation", "fr", parameters=["Qu'avez-vous essayé ?"], payloads=["o:12:"]
    )
    (template,) = cloud.sent_to(TO)
    assert template["_id"] == wamid
    body, button = template["template"]["components"]
    assert [p["text"] for p in body["parameters"]] == ["Qu'avez-vous essayé ?"]
    assert button["sub_type"] == "quick_reply" and button["parameters"][0]["payload"] == "o:12:"
    media_id = await client.upload(b"\x89PNG...", filename="chart.png", mime_type="image/png")
    await client.send_image(TO, media_id, "Our chart")
    assert cloud.sent_to(TO)[-1]["image"] == {"id": media_id, "caption": "Our chart"}
    assert cloud.refused == []
