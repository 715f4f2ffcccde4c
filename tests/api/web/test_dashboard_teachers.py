"""A teacher's page on the dashboard: reached from the circle page, scoped, with photos."""

from __future__ import annotations

import re

from sqlalchemy import select
from support.web import sign_in
from support.world import World

from circles.db import SessionMaker, transaction
from circles.models import Answer, Inquiry, Practice
from circles.services import media
from circles.settings import Settings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def _signed_in(api, world: World, role: str = "facilitator_a"):
    client = api()
    await sign_in(client, world.secrets[role])
    return client


async def test_every_teacher_on_the_circle_page_links_to_their_page(world: World, api) -> None:
    client = await _signed_in(api, world)
    circle = (await client.get(f"/dashboard/circles/{world.a.circle}")).text
    links = set(re.findall(rf'href="/dashboard/circles/{world.a.circle}/teachers/(\d+)"', circle))
    assert links == {str(t) for t in world.teachers_a}
    meetings = circle[circle.index('id="meetings"') : circle.index('id="holidays"')]
    assert f'href="/dashboard/circles/{world.a.circle}/teachers/{world.a.person}"' in meetings
    teacher = await client.get(f"/dashboard/circles/{world.a.circle}/teachers/{world.a.person}")
    assert teacher.status_code == 200
    assert "<h1>Ana Souza</h1>" in teacher.text
    assert "joined on Jul 13, 2026" in teacher.text  # a day, in the circle's timezone
    assert "Pilot weeks" in teacher.text
    assert "Photo, kept in Telegram" in teacher.text  # Telegram's photo is named, not fetched
    assert "Mini whiteboards for hinge questions" in teacher.text
    assert "Waiting for review" in teacher.text
    assert "No reflection you may read." in teacher.text  # Ana keeps hers to herself
    assert "private" not in teacher.text


async def test_the_page_is_in_the_viewers_language(world: World, api) -> None:
    client = api(**{"Accept-Language": "fr"})
    await sign_in(client, world.secrets["facilitator_a"])
    teacher = await client.get(f"/dashboard/circles/{world.a.circle}/teachers/{world.a.person}")
    assert '<html lang="fr">' in teacher.text


async def test_a_teacher_outside_the_scope_is_no_page(world: World, api) -> None:
    client = await _signed_in(api, world, "facilitator_b")
    theirs = await client.get(f"/dashboard/circles/{world.a.circle}/teachers/{world.a.person}")
    mine = await client.get(f"/dashboard/circles/{world.b.circle}/teachers/{world.a.person}")
    missing = await client.get(f"/dashboard/circles/{world.b.circle}/teachers/987654")
    assert theirs.status_code == mine.status_code == missing.status_code == 404
    assert "Ana Souza" not in theirs.text + mine.text
    assert mine.text == missing.text


async def _kept_photo(sessions: SessionMaker, settings: Settings, world: World) -> str:
    """Make Ana's evidence photo one of the media store's, as a WhatsApp photo would be."""
    file_id = media.file_id_for("whatsapp:wamid.1", "image/png")
    media.save(settings.media_dir, file_id=file_id, content=PNG)
    async with transaction(sessions) as session:
        answer = await session.scalar(select(Answer).where(Answer.file_id == "photo-2"))
        assert answer is not None
        answer.file_id = file_id
    return file_id


async def test_a_kept_photo_shows_to_those_who_may_read_the_teacher(
    world: World, api, sessions: SessionMaker, settings: Settings
) -> None:
    file_id = await _kept_photo(sessions, settings, world)
    name = file_id.removeprefix(media.PREFIX)
    url = f"/dashboard/circles/{world.a.circle}/teachers/{world.a.person}/photos/{name}"
    client = await _signed_in(api, world)

    page = await client.get(f"/dashboard/circles/{world.a.circle}/teachers/{world.a.person}")
    assert f'src="{url}"' in page.text
    shown = await client.get(url)
    assert shown.status_code == 200
    assert shown.content == PNG and shown.headers["content-type"] == "image/png"

    # Not from another teacher's page, not to another circle, not signed out.
    other = world.teachers_a[1]
    wrong_teacher = url.replace(f"/teachers/{world.a.person}/", f"/teachers/{other}/")
    assert (await client.get(wrong_teacher)).status_code == 404
    outsider = await _signed_in(api, world, "facilitator_b")
    assert (await outsider.get(url)).status_code == 404
    assert (await api().get(url)).status_code == 303
    assert (await client.get(url.replace(name, "0" * 40 + ".png"))).status_code == 404
    assert (await client.get(url.replace(name, "..%2F..%2Fcircles.db"))).status_code == 404


async def test_a_baseline_photo_shows_on_the_page(
    world: World, api, sessions: SessionMaker, settings: Settings
) -> None:
    file_id = media.file_id_for("whatsapp:wamid.2", "image/png")
    media.save(settings.media_dir, file_id=file_id, content=PNG)
    async with transaction(sessions) as session:
        inquiry = await session.scalar(select(Inquiry).where(Inquiry.person_id == world.a.person))
        assert inquiry is not None
        inquiry.baseline_file_id = file_id
    client = await _signed_in(api, world)
    page = await client.get(f"/dashboard/circles/{world.a.circle}/teachers/{world.a.person}")
    url = re.search(r'src="([^"]+)" alt="Baseline"', page.text)
    assert url is not None
    assert (await client.get(url.group(1))).content == PNG


async def test_the_review_card_shows_the_whole_practice_with_its_photos(
    world: World, api, sessions: SessionMaker, settings: Settings
) -> None:
    kept = media.file_id_for("whatsapp:wamid.3", "image/jpeg")
    media.save(settings.media_dir, file_id=kept, content=b"\xff\xd8\xff" + b"\x00" * 16)
    async with transaction(sessions) as session:
        practice = await session.get_one(Practice, world.a.practice)
        practice.summary = "Hinge questions answered on mini whiteboards."
        practice.content = {
            **practice.content,
            "evidence": "Two thirds got the exit question right by week three.",
            "conditions": "Needs a whiteboard per pair.",
            "lessons": "Ask one hinge question, not three.",
            "evidence_photos": [kept, "photo-2"],
        }
    client = await _signed_in(api, world)
    page = (await client.get(f"/dashboard/circles/{world.a.circle}")).text
    card = page[page.index(f'data-practice="{world.a.practice}"') :]
    card = card[: card.index("Approve and publish")]

    for shown in (
        "Hinge questions answered on mini whiteboards.",
        "Ask, show, regroup",
        "Two thirds got the exit question right by week three.",
        "Needs a whiteboard per pair.",
        "Ask one hinge question, not three.",
        "2 → 3 → 4",
        "1 photo of student work is kept in Telegram.",
    ):
        assert shown in card, shown
    url = re.search(r'<img src="([^"]+)"', card)
    assert url is not None and url.group(1).startswith(
        f"/dashboard/circles/{world.a.circle}/teachers/{world.a.person}/photos/"
    )
    photo = await client.get(url.group(1))
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
