"""Summaries speak the language the request asks for."""

from __future__ import annotations

from support.world import LAST_WEEK, World

from api.deps import negotiate_language


def test_the_preferred_supported_language_wins() -> None:
    assert negotiate_language("pt-BR,pt;q=0.9,en;q=0.8", "en") == "pt_BR"
    assert negotiate_language("xx-YY, de-CH;q=0.5, fr;q=0.4", "en") == "de"
    assert negotiate_language("fr;q=0.2, ko;q=0.9", "en") == "ko"
    assert negotiate_language("*", "en") == "en"
    assert negotiate_language("ko;q=0, ;;;, q=", "en") == "en"
    assert negotiate_language(None, "fr") == "fr"


async def test_portuguese_labels_for_a_brazilian_reader(world: World, as_role) -> None:
    client = as_role("facilitator_a", **{"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"})
    response = await client.get(f"/v1/circles/{world.a.circle}/summary")
    assert response.headers["content-language"] == "pt-BR"
    summary = response.json()
    assert summary["language"] == "pt_BR"
    phases = {p["key"]: p["label"] for p in summary["phases"]}
    assert phases["pilot"] == "experimentação" and phases["identify"] == "identificação"
    tried = {t["key"]: t["label"] for t in summary["tried"]}
    assert tried["yes"] == "Sim"
    assert summary["headline"] == "8 de 10 professores responderam esta semana (80%)."


async def test_the_default_week_is_the_week_of_the_latest_check_in(world: World, as_role) -> None:
    summary = (await as_role("facilitator_a").get(f"/v1/circles/{world.a.circle}/summary")).json()
    assert summary["week"] == LAST_WEEK
    assert summary["ratings"]["weeks"][-1]["week"] == LAST_WEEK
    earlier = await as_role("facilitator_a").get(
        f"/v1/circles/{world.a.circle}/summary", params={"week": "2026-W30"}
    )
    assert earlier.json()["week"] == "2026-W30" and earlier.json()["answered"] == 9


async def test_a_country_summary_lists_its_circles(world: World, as_role) -> None:
    summary = (
        await as_role("coordinator").get(f"/v1/countries/gh/summary?week={LAST_WEEK}")
    ).json()
    assert summary["country"] == "GH" and summary["circles"] == 1
    assert summary["teachers"] == 2
    # Kofi answered; Abena has no check-in at all this week.
    assert summary["answered"] == 1 and summary["expected"] == 2
    assert summary["lines"][0]["name"] == "Kumasi 2"
    assert summary["ratings"]["mean"] == 5.0
    invalid = await as_role("coordinator").get("/v1/countries/ZZ/summary")
    assert invalid.status_code == 422
