"""``/v1/repository`` and practice edits: search, share scope, versions, archive, booklet."""

from __future__ import annotations

from support.world import World


async def _publish(world: World, as_role) -> None:
    for role, practice in (
        ("facilitator_a", world.a.practice),
        ("facilitator_b", world.b.practice),
    ):
        response = await as_role(role).post(f"/v1/practices/{practice}/approve")
        assert response.status_code == 200


async def test_a_circle_only_practice_stays_in_its_circle_until_shared(
    world: World, as_role
) -> None:
    await _publish(world, as_role)
    mine = await as_role("facilitator_a").get("/v1/repository", params={"q": "whiteboards"})
    assert [p["title"] for p in mine.json()["items"]] == ["Mini whiteboards for hinge questions"]
    assert mine.json()["items"][0]["author_name"] is None  # the author chose anonymity
    theirs = await as_role("facilitator_b").get("/v1/repository", params={"q": "whiteboards"})
    assert theirs.json() == {"items": [], "total": 0, "next_offset": None}
    hidden = await as_role("facilitator_b").get(f"/v1/repository/{world.a.practice}")
    assert hidden.status_code == 404

    edit = await as_role("facilitator_a").patch(
        f"/v1/practices/{world.a.practice}",
        json={"share_scope": "everyone", "summary": "Everyone answers on a whiteboard."},
    )
    assert edit.status_code == 200
    assert (edit.json()["version"], edit.json()["share_scope"]) == (2, "everyone")
    found = await as_role("facilitator_b").get("/v1/repository", params={"q": "WHITEBOARD"})
    assert found.json()["total"] == 1
    one = await as_role("facilitator_b").get(f"/v1/repository/{world.a.practice}")
    assert one.json()["summary"] == "Everyone answers on a whiteboard."
    assert one.json()["adoptions"] == 0

    versions = await as_role("facilitator_a").get(f"/v1/practices/{world.a.practice}/versions")
    assert [(v["version"], v["share_scope"], v["summary"]) for v in versions.json()] == [
        (1, "circle", None),
        (2, "everyone", "Everyone answers on a whiteboard."),
    ]
    other = await as_role("facilitator_b").get(f"/v1/practices/{world.a.practice}/versions")
    assert other.status_code == 404


async def test_filters_and_roles(world: World, as_role) -> None:
    await _publish(world, as_role)
    await as_role("facilitator_b").patch(
        f"/v1/practices/{world.b.practice}",
        json={"share_scope": "country", "tags": ["peer_assessment"], "grade_band": "primary"},
    )
    coordinator = as_role("coordinator_gh")
    found = await coordinator.get("/v1/repository", params={"grade_band": "primary"})
    assert [p["title"] for p in found.json()["items"]] == ["Traffic-light cards"]
    by_tag = await as_role("admin").get("/v1/repository", params={"strategy": "peer_assessment"})
    assert [p["tags"] for p in by_tag.json()["items"]] == [["peer_assessment"]]
    in_brazil = await as_role("admin").get("/v1/repository", params={"country": "br"})
    assert [p["country"] for p in in_brazil.json()["items"]] == ["BR"]

    union_rep = as_role("union_rep_a")
    assert (await union_rep.get("/v1/repository")).status_code == 200
    refused = await union_rep.patch(f"/v1/practices/{world.a.practice}", json={"title": "Mine"})
    assert refused.status_code == 403


async def test_bad_requests_get_precise_problems(world: World, as_role) -> None:
    await _publish(world, as_role)
    client = as_role("facilitator_a")
    for params in (
        {"country": "GHA"},
        {"strategy": "homework"},
        {"limit": 0},
        {"q": "x" * 201},
        {"subject": "ma\x00th"},  # PostgreSQL text cannot hold NUL
        {"language": "x' OR 1=1"},
    ):
        response = await client.get("/v1/repository", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
    empty = await client.patch(f"/v1/practices/{world.a.practice}", json={})
    assert empty.status_code == 422
    assert empty.json()["detail"] == "The request changes nothing; send at least one field."
    unknown = await client.patch(f"/v1/practices/{world.a.practice}", json={"status": "published"})
    assert unknown.status_code == 422
    too_long = await client.patch(f"/v1/practices/{world.a.practice}", json={"title": "x" * 201})
    assert too_long.status_code == 422
    nul = await client.patch(f"/v1/practices/{world.a.practice}", json={"steps": "a\x00b"})
    assert nul.status_code == 422

    archived = await client.post(f"/v1/practices/{world.a.practice}/archive")
    assert (archived.status_code, archived.json()["status"]) == (200, "archived")
    again = await client.post(f"/v1/practices/{world.a.practice}/archive")
    assert (again.status_code, again.json()["detail"]) == (
        409,
        "This practice is archived already.",
    )
    assert (await client.get("/v1/repository")).json()["total"] == 0


async def test_the_booklet_comes_as_html_or_markdown_in_the_readers_language(
    world: World, as_role
) -> None:
    await _publish(world, as_role)
    await as_role("facilitator_b").patch(
        f"/v1/practices/{world.b.practice}", json={"share_scope": "everyone"}
    )
    client = as_role("facilitator_a", **{"Accept-Language": "fr"})
    page = await client.get("/v1/repository/booklet")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert 'filename="practices.html"' in page.headers["content-disposition"]
    assert page.text.startswith("<!DOCTYPE html>") and '<html lang="fr">' in page.text
    assert "Mini whiteboards for hinge questions" in page.text
    assert "Traffic-light cards" in page.text
    markdown = await client.get(
        "/v1/repository/booklet", params={"format": "markdown", "group": "country"}
    )
    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    assert markdown.text.index("Brésil") < markdown.text.index("Ghana")
    bad = await client.get("/v1/repository/booklet", params={"format": "pdf"})
    assert bad.status_code == 422


async def test_a_union_rep_reads_the_booklet_of_what_reaches_their_circle(
    world: World, as_role
) -> None:
    await _publish(world, as_role)
    page = await as_role("union_rep_a").get("/v1/repository/booklet")
    assert page.status_code == 200
    assert "Mini whiteboards for hinge questions" in page.text
    assert "Traffic-light cards" not in page.text  # circle B's, shared with its circle only


async def test_a_big_booklet_is_rendered_in_batches_off_the_event_loop(
    world: World, as_role, monkeypatch
) -> None:
    import threading

    from circles.services import booklet

    await _publish(world, as_role)
    await as_role("facilitator_b").patch(
        f"/v1/practices/{world.b.practice}", json={"share_scope": "everyone"}
    )
    client = as_role("admin", **{"Accept-Language": "pt-BR"})
    whole = await client.get("/v1/repository/booklet", params={"group": "country"})
    rendered: list[tuple[str, int]] = []
    practices = booklet._Html.practices

    def spy(batch):
        rendered.append((threading.current_thread().name, len(batch)))
        return practices(batch)

    monkeypatch.setattr(booklet._Html, "practices", staticmethod(spy))
    monkeypatch.setattr(booklet, "BATCH", 1)
    batched = await client.get("/v1/repository/booklet", params={"group": "country"})
    assert batched.text == whole.text
    assert batched.text.index("Brasil") < batched.text.index("Gana")
    assert [size for _thread, size in rendered] == [1, 1]
    assert threading.main_thread().name not in {thread for thread, _size in rendered}
