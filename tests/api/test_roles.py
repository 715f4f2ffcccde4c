"""What each role may do: union representatives read summaries, coordinators their countries."""

from __future__ import annotations

import pytest
from support.world import LAST_WEEK, World

from tests.api.routes import BODIES, OPERATIONS


async def test_a_union_rep_reads_the_summary_without_names(world: World, as_role) -> None:
    rep = as_role("union_rep_a")
    summary = (await rep.get(f"/v1/circles/{world.a.circle}/summary")).json()
    assert summary["answered"] == 8 and summary["not_answered_count"] == 2
    assert summary["not_answered"] == [] and summary["names_shown"] is False
    assert all(b["name"] is None and b["person_id"] is None for b in summary["blockers"])
    # Only reflections written for the whole circle.
    assert {r["visibility"] for r in summary["reflections"]} == {"circle"}
    assert (await rep.get(f"/v1/circles/{world.a.circle}")).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"), [op for op in OPERATIONS if op[0] in ("POST", "DELETE")]
)
async def test_a_union_rep_changes_nothing(method: str, path: str, world: World, as_role) -> None:
    url = path.format(
        circle_id=world.a.circle,
        invite_id=world.a.invite,
        practice_id=world.a.practice,
        broadcast_id=world.a.broadcast,
        token_id=world.a.token,
        holiday_id=world.a.holiday,
        meeting_id=world.a.meeting,
        person_id=world.a.person,
        answer_id=world.a.answer,
        hub_id=world.a.hub,
        session_id=world.a.session,
        country="BR",
    )
    rep = as_role("union_rep_a")
    if method == "DELETE":
        response = await rep.delete(url)
    else:
        response = await rep.post(url, json=BODIES.get(path, {}))
    assert response.status_code == 403, url
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_union_rep_reads_no_details(world: World, as_role) -> None:
    rep = as_role("union_rep_a")
    for url in (
        f"/v1/circles/{world.a.circle}/members",
        f"/v1/circles/{world.a.circle}/checkins",
        f"/v1/circles/{world.a.circle}/reflections",
        "/v1/practices",
        "/v1/exports/answers",
    ):
        response = await rep.get(url)
        assert response.status_code == 403, url
        assert "summaries only" in response.json()["detail"]
    assert (await rep.get("/v1/exports/summaries")).status_code == 200


async def test_a_coordinator_sees_only_the_countries_of_their_token(world: World, as_role) -> None:
    ghana = as_role("coordinator_gh")
    circles = (await ghana.get("/v1/circles")).json()["items"]
    assert [c["name"] for c in circles] == ["Kumasi 2"]
    assert (await ghana.get(f"/v1/circles/{world.a.circle}")).status_code == 404
    own = await ghana.get(f"/v1/countries/GH/summary?week={LAST_WEEK}")
    assert own.status_code == 200 and own.json()["circles"] == 1
    refused = await ghana.get("/v1/countries/BR/summary")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Your token does not cover circles in BR."
    overall = (await ghana.get(f"/v1/summary?week={LAST_WEEK}")).json()
    assert [line["key"] for line in overall["lines"]] == ["GH"]
    created = await ghana.post(
        "/v1/circles",
        json={"name": "Recife 3", "country": "BR", "language": "pt", "timezone": "America/Recife"},
    )
    assert created.status_code == 403


async def test_country_summaries_are_not_for_facilitators(world: World, as_role) -> None:
    facilitator = as_role("facilitator_a")
    for url in ("/v1/countries/BR/summary", "/v1/summary"):
        response = await facilitator.get(url)
        assert response.status_code == 403
        assert "coordinators and admins" in response.json()["detail"]
    assert (await facilitator.get("/v1/tokens")).status_code == 403
    assert (await facilitator.get("/v1/audit")).status_code == 403


async def test_reflections_follow_their_authors_choice(world: World, as_role) -> None:
    url = f"/v1/circles/{world.a.circle}/reflections"
    facilitator = (await as_role("facilitator_a").get(url)).json()["items"]
    assert sorted(r["visibility"] for r in facilitator) == ["circle", "facilitators"]
    assert all(r["one_word"] != "private" for r in facilitator)
    assert (await as_role("admin").get(url)).json()["items"] == []
