"""``/practices``: the public repository shows what authors shared with everyone, and only that."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from xml.etree import ElementTree as ET

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from support.world import SEEDED_AT, World, add_published_practice

from api.app import create_app
from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import (
    Answer,
    Circle,
    GradeBand,
    Person,
    Practice,
    PracticeStatus,
    Reflection,
    ShareScope,
    Strategy,
)
from circles.settings import Settings

ATOM = "{http://www.w3.org/2005/Atom}"
ANA = "Quadros brancos para perguntas-chave"  # the demo's practice: everyone, named
KOFI = "Traffic-light cards"  # shared with everyone, anonymously


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The public repository switched on."""
    return settings.model_copy(update={"public_repository": True})


@pytest.fixture
async def shared(world: World, sessions: SessionMaker) -> dict[str, int]:
    """Practices of every kind: two public ones, and one of each kind that must stay hidden."""
    async with transaction(sessions) as session:
        await session.execute(
            update(Practice)
            .where(Practice.id == world.b.practice)
            .values(
                status=PracticeStatus.published,
                share_scope=ShareScope.everyone,
                author_visible=False,
                strategy=Strategy.peer_assessment,
                tags=["peer_assessment"],
                subject="Science",
                grade_band=GradeBand.primary,
                summary="Pupils show a green, amber or red card.",
                content={"steps": "Hand out the cards; ask; read the room."},
                published_at=SEEDED_AT,
            )
        )
        # Waiting for review, though shared with everyone.
        await session.execute(
            update(Practice)
            .where(Practice.id == world.a.practice)
            .values(share_scope=ShareScope.everyone)
        )
        hidden = {
            "circle": await add_published_practice(
                session,
                circle_id=world.a.circle,
                title="Circle exit tickets",
                scope=ShareScope.circle,
            ),
            "country": await add_published_practice(
                session,
                circle_id=world.a.circle,
                title="Country hinge questions",
                scope=ShareScope.country,
            ),
            "archived": await add_published_practice(
                session,
                circle_id=world.a.circle,
                title="Archived gallery walk",
                scope=ShareScope.everyone,
            ),
            "review": world.a.practice,
        }
        await session.execute(
            update(Practice)
            .where(Practice.id == hidden["archived"])
            .values(status=PracticeStatus.archived, archived_at=SEEDED_AT + timedelta(days=1))
        )
        demo = Circle(name="Sandbox circle", country="GH", language="en", timezone="UTC", demo=True)
        session.add(demo)
        await session.flush()
        assert demo.id is not None
        hidden["demo"] = await add_published_practice(
            session, circle_id=demo.id, title="Sandbox think-pair-share", scope=ShareScope.everyone
        )
        ana_id = await session.scalar(select(Person.id).where(Person.display_name == "Ana Souza"))
        ana = Practice(
            circle_id=world.a.circle,
            author_id=ana_id,
            status=PracticeStatus.published,
            share_scope=ShareScope.everyone,
            author_visible=True,
            title=ANA,
            summary="Todos respondem no quadro branco.",
            strategy=Strategy.eliciting_evidence,
            tags=["eliciting_evidence", "feedback"],
            subject="Matemática",
            grade_band=GradeBand.lower_secondary,
            country="BR",
            language="pt_BR",
            content={"steps": "Prepare uma pergunta curta.", "ratings": [2.0, 3.0, 4.0]},
            created_at=SEEDED_AT - timedelta(days=9),
            updated_at=SEEDED_AT - timedelta(days=9),
            published_at=SEEDED_AT - timedelta(days=8),
        )
        session.add(ana)
        await session.flush()
        assert ana.id is not None
        return {"ana": ana.id, "kofi": world.b.practice, **hidden}


@pytest.fixture
def visitor(api) -> Callable[..., httpx.AsyncClient]:
    """A client without a token: anyone on the internet."""
    return lambda **headers: api(**headers)


def _titles(html: str) -> list[str]:
    return re.findall(r'<h2 lang="[^"]+"><a href="/practices/\d+[^"]*">([^<]+)</a>', html)


async def test_the_public_repository_is_off_by_default(
    settings: Settings, engine: AsyncEngine, clock: FakeClock, shared: dict[str, int]
) -> None:
    app = create_app(settings.model_copy(update={"public_repository": False}), engine, clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api"
    ) as client:
        for path in ("/practices", f"/practices/{shared['ana']}", "/practices/feed.atom"):
            response = await client.get(path)
            assert response.status_code == 404, path
            assert "Quadros" not in response.text
    assert Settings(_env_file=None).public_repository is False  # type: ignore[call-arg]


async def test_only_published_practices_shared_with_everyone_are_public(
    visitor, shared: dict[str, int]
) -> None:
    client = visitor()
    listing = await client.get("/practices")
    assert listing.status_code == 200
    assert sorted(_titles(listing.text)) == sorted([ANA, KOFI])
    assert "set-cookie" not in listing.headers
    assert "default-src 'self'" in listing.headers["content-security-policy"]
    missing = await client.get("/practices/987654")
    assert missing.status_code == 404
    for kind in ("circle", "country", "archived", "review", "demo"):
        page = await client.get(f"/practices/{shared[kind]}")
        assert (page.status_code, page.text) == (404, missing.text), kind
    for words in ("exit tickets", "hinge", "gallery", "whiteboards", "sandbox"):
        found = await client.get("/practices", params={"q": words})
        assert _titles(found.text) == [], words
    for bad in ("abc", "-1", "99999999999999999999999"):
        assert (await client.get(f"/practices/{bad}")).status_code == 404


async def test_search_and_filters(visitor, shared: dict[str, int]) -> None:
    client = visitor()

    async def titles(**params: str) -> list[str]:
        response = await client.get("/practices", params=params)
        assert response.status_code == 200, params
        return _titles(response.text)

    assert await titles(q="quadro") == [ANA]
    assert await titles(q="CARD") == [KOFI]
    assert await titles(strategy="peer_assessment") == [KOFI]
    assert await titles(strategy="feedback") == [ANA]  # a tag, not the main strategy
    assert await titles(subject="matem") == [ANA]
    assert await titles(level="primary") == [KOFI]
    assert await titles(country="GH") == [KOFI]
    assert await titles(language="pt_BR") == [ANA]
    assert await titles(q="quadro", country="GH") == []
    assert await titles(page="2") == []
    switch = await client.get("/practices", params={"q": "card", "lang": "es"})
    assert 'href="/practices?q=card&amp;lang=ko"' in switch.text  # the search stays


async def test_bad_filters_get_a_clear_answer_in_the_visitors_language(
    visitor, shared: dict[str, int]
) -> None:
    client = visitor(**{"Accept-Language": "fr"})
    for params in ({"strategy": "magic"}, {"level": "phd"}, {"page": "x"}, {"page": "0"}):
        response = await client.get("/practices", params=params)
        assert response.status_code == 400, params
        assert '<html lang="fr">' in response.text
    english = await visitor().get("/practices", params={"level": "phd"})
    assert "“Level” has a value the repository does not know" in english.text
    long = await client.get("/practices", params={"subject": "x" * 500})
    assert long.status_code == 400


async def test_a_practice_page_in_the_visitors_language_with_the_practice_in_its_own(
    visitor, shared: dict[str, int]
) -> None:
    french = visitor(**{"Accept-Language": "fr-FR,fr;q=0.9"})
    page = await french.get(f"/practices/{shared['ana']}")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert '<article class="card practice" lang="pt-BR">' in page.text
    assert "Ana Souza" in page.text  # she chose to show her name
    assert "Brésil" in page.text  # the country in the visitor's language
    assert "Prepare uma pergunta" in page.text
    assert "4.0" not in page.text and "ratings" not in page.text  # her pilot ratings stay home
    german = await french.get(f"/practices/{shared['ana']}", params={"lang": "de"})
    assert '<html lang="de">' in german.text
    assert 'href="/practices?lang=de"' in german.text
    anonymous = await french.get(f"/practices/{shared['kofi']}")
    assert "Kofi" not in anonymous.text
    assert "Kumasi" not in anonymous.text  # nor the circle's name
    assert 'lang="en"' in anonymous.text


async def test_the_atom_feed_lists_newly_published_practices(
    visitor, shared: dict[str, int]
) -> None:
    response = await visitor().get("/practices/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for child in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{child}") is not None, child
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [KOFI, ANA]  # newest first
    by_title = {e.findtext(f"{ATOM}title"): e for e in entries}
    for title, key in ((ANA, "ana"), (KOFI, "kofi")):
        entry = by_title[title]
        assert entry.findtext(f"{ATOM}id") == f"http://api/practices/{shared[key]}"
        link = entry.find(f"{ATOM}link")
        assert link is not None and link.get("href") == f"http://api/practices/{shared[key]}"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.findtext(f"{ATOM}updated"))
    assert by_title[ANA].findtext(f"{ATOM}author/{ATOM}name") == "Ana Souza"
    assert by_title[KOFI].find(f"{ATOM}author") is None
    assert b"Kofi" not in response.content


async def test_no_page_shows_anything_of_people_who_did_not_choose_everyone(
    visitor, shared: dict[str, int], sessions: SessionMaker
) -> None:
    """Every public page and the feed, searched for every name and text of a person."""
    async with sessions() as session:
        named = set(
            await session.scalars(
                select(Person.display_name)
                .join(Practice, Practice.author_id == Person.id)
                .where(
                    Practice.status == PracticeStatus.published,
                    Practice.share_scope == ShareScope.everyone,
                    Practice.author_visible.is_(True),
                )
            )
        )
        names = set(await session.scalars(select(Person.display_name))) - named
        texts: set[str] = set()
        for row in await session.execute(
            select(Reflection.learnt, Reflection.will_change, Reflection.one_word)
        ):
            texts.update(t for t in row if t)
        texts.update(t for t in await session.scalars(select(Answer.value_text)) if t)
        texts.update(await session.scalars(select(Circle.name)))
    secrets = {s for s in names | texts if len(s) >= 5}
    assert "Kofi Asante" in secrets and "Kofi's secret" in secrets and "Ana Souza" not in secrets

    client = visitor()
    paths = [
        "/practices",
        "/practices?q=card",
        "/practices?country=GH",
        "/practices/feed.atom",
        *(f"/practices/{practice_id}" for practice_id in shared.values()),
    ]
    for path in paths:
        response = await client.get(path)
        body = response.text
        leaked = sorted(s for s in secrets if s in body)
        assert leaked == [], (path, leaked)


async def test_a_visitor_searches_reads_a_practice_and_finds_the_feed_in_chromium(
    shared: dict[str, int], live_server, browser_page, screenshots
) -> None:
    """Search, a practice page and the feed link in a browser; axe-core finds nothing serious."""
    from axe_playwright_python.async_playwright import Axe

    page = browser_page
    response = await page.goto(live_server.url + "/practices")
    assert response is not None and response.status == 200
    assert await page.locator("article.practice").count() == 2
    assert _blocking(await Axe().run(page)) == []

    await page.fill("#q", "quadro")
    async with page.expect_navigation():
        await page.locator("form.search button").click()
    assert await page.locator("article.practice h2").all_inner_texts() == [ANA]
    async with page.expect_navigation():
        await page.get_by_role("link", name=ANA).click()
    assert page.url == f"{live_server.url}/practices/{shared['ana']}"
    assert await page.locator("h1").inner_text() == ANA
    assert await page.locator("article.practice").get_attribute("lang") == "pt-BR"
    assert "Ana Souza" in await page.locator(".byline").inner_text()
    await page.screenshot(path=str(screenshots / "public-practice.png"), full_page=True)
    assert _blocking(await Axe().run(page)) == []

    feed = await page.get_by_role(
        "link", name="Newly published practices (Atom feed)"
    ).get_attribute("href")
    assert feed == "/practices/feed.atom"
    atom = await page.request.get(live_server.url + feed)
    assert atom.ok
    titles = [
        e.findtext(f"{ATOM}title") for e in ET.fromstring(await atom.body()).iter(f"{ATOM}entry")
    ]
    assert titles == [KOFI, ANA]


def _blocking(results) -> list[str]:
    """axe-core's serious and critical violations."""
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in {"serious", "critical"}
    ]
