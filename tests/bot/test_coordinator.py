"""A coordinator links their account and broadcasts from the bot."""

from __future__ import annotations

from circles.db import transaction
from circles.models import TokenRole
from circles.services.tokens import create_token


async def _token(sessions, clock, role=TokenRole.coordinator, countries=("GH",)) -> str:
    async with transaction(sessions) as session:
        issued = await create_token(
            session, role=role, name="hub", actor="cli", now=clock.now(), countries=list(countries)
        )
    return issued.secret


async def test_a_coordinator_broadcasts_to_the_teachers_of_their_country(
    phone, ama, sessions, clock, sender, fake
) -> None:
    secret = await _token(sessions, clock)
    kofi = phone("Kofi")
    texts = await kofi.send(f"/coordinator {secret}")
    assert texts == [
        "Your account is linked as a coordinator for GH. I deleted the message "
        "with the token. Send /broadcast to announce something."
    ]
    assert fake.calls_for("deleteMessage"), "the token must not stay in the chat"
    texts = await kofi.send("/broadcast")
    assert len(texts) == 1  # the introduction and the first question are one message
    assert texts[0].startswith("Let's write an announcement for your circles.")
    assert "\n\nWrite the announcement." in texts[0]
    assert (await kofi.voice())[0].startswith("Please answer with text.\n\nWrite the announcement.")
    await kofi.send("Regional hub in Kumasi on Friday at 15:00.")
    assert kofi.labels() == [
        "Everyone in my circles",
        "Teachers only",
        "Facilitators and union representatives",
    ]
    texts = await kofi.tap("Teachers only")
    assert texts == ["This reaches 1 person.\n\nSend it now?"]
    assert kofi.labels() == ["Yes", "No"]
    texts = await kofi.tap("Yes")
    assert texts == ["Sent: it is on its way to 1 person. /broadcasts shows how it goes."]
    await sender.drain()
    assert fake.texts_to(ama.chat_id)[-1] == "Regional hub in Kumasi on Friday at 15:00."
    [report] = await kofi.send("/broadcasts")
    assert report == (
        "“Regional hub in Kumasi on Friday at 15:0…”: 1 sent, 0 waiting, "
        "0 failed, 0 unreachable, 0 skipped."
    )


async def test_saying_no_sends_nothing(phone, ama, sessions, clock, sender, fake) -> None:
    kofi = phone("Kofi")
    await kofi.send(f"/coordinator {await _token(sessions, clock)}")
    await kofi.send("/broadcast")
    await kofi.send("Draft only")
    await kofi.tap("Everyone in my circles")
    assert await kofi.tap("No") == ["Not sent. Send /broadcast to start again."]
    assert (await sender.drain()).sent == 0


async def test_other_people_cannot_broadcast(phone, ama, sessions, clock) -> None:
    assert await ama.send("/broadcast") == [
        "Broadcasts are for coordinators. Link your account first: send /coordinator "
        "followed by your coordinator token."
    ]
    admin_secret = await _token(sessions, clock, role=TokenRole.admin, countries=())
    stranger = phone("Mallory")
    texts = await stranger.send("/coordinator lc_not-a-real-token")
    assert texts[0].startswith("This is not a valid coordinator token.")
    texts = await stranger.send(f"/coordinator {admin_secret}")
    assert "all countries" in texts[0]  # an admin token works everywhere
