"""Hubs and exchange sessions through the API: coordinators group circles, schedule a
session for a hub, read its attendance per circle and country; facilitators may not."""

from __future__ import annotations

from sqlalchemy import select
from support.world import LAST_WEEK, World

from circles.models import Outbox, Person, RsvpResponse
from circles.services import exchange_sessions

SESSION = {
    "title": "Hinge questions across countries",
    "starts_at": "2026-09-10T14:00:00+02:00",
    "ends_at": "2026-09-10T15:30:00+02:00",
    "place": "https://meet.example.org/exchange",
}


async def _regional_hub(client, world: World) -> int:
    created = await client.post("/v1/hubs", json={"name": "Atlantic hub", "kind": "regional"})
    assert created.status_code == 201, created.text
    hub = created.json()["id"]
    for circle in (world.a.circle, world.b.circle):
        added = await client.post(f"/v1/hubs/{hub}/circles", json={"circle_id": circle})
        assert added.status_code == 200, added.text
    again = await client.post(f"/v1/hubs/{hub}/circles", json={"circle_id": world.a.circle})
    assert sorted(again.json()["circle_ids"]) == sorted([world.a.circle, world.b.circle])
    return hub


async def test_a_coordinator_groups_circles_in_a_hub_and_reads_its_summary(
    as_role, world: World
) -> None:
    client = as_role("coordinator")
    hub = await _regional_hub(client, world)
    duplicate = await client.post("/v1/hubs", json={"name": "Atlantic hub", "kind": "regional"})
    assert duplicate.status_code == 409
    listed = (await client.get("/v1/hubs")).json()
    assert [(h["name"], h["circles"]) for h in listed] == [
        ("Atlantic hub", 2),
        ("BR national hub", 1),
        ("GH national hub", 1),
    ]
    summary = await client.get(f"/v1/hubs/{hub}/summary?week={LAST_WEEK}")
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert body["circles"] == 2
    assert {line["name"] for line in body["lines"]} == {"Kumasi 2", "Demo circle"}
    # A coordinator of Ghana reads the hub's Ghanaian circle only, and no Brazilian hub.
    ghana = as_role("coordinator_gh")
    own = (await ghana.get(f"/v1/hubs/{hub}/summary?week={LAST_WEEK}")).json()
    assert [line["name"] for line in own["lines"]] == ["Kumasi 2"]
    assert (await ghana.get(f"/v1/hubs/{world.a.hub}")).status_code == 404
    national = await ghana.post(
        "/v1/hubs", json={"name": "Brazil hub", "kind": "national", "country": "BR"}
    )
    assert national.status_code == 403
    wrong = await ghana.post(f"/v1/hubs/{world.b.hub}/circles", json={"circle_id": world.a.circle})
    assert wrong.status_code == 404
    national = await client.post(
        f"/v1/hubs/{world.b.hub}/circles", json={"circle_id": world.a.circle}
    )
    assert national.status_code == 422
    assert national.json()["detail"] == "A national hub holds circles of GH only."


async def test_a_broadcast_audience_names_a_hub(as_role, world: World) -> None:
    client = as_role("coordinator")
    whole = await client.post("/v1/broadcasts/preview", json={"countries": ["GH"]})
    hub = await client.post("/v1/broadcasts/preview", json={"hub_ids": [world.b.hub]})
    assert hub.json()["recipients"] == whole.json()["recipients"] > 0


async def test_a_session_for_a_hub_invites_its_circles_and_counts_attendance(
    as_role, world: World, sessions, clock
) -> None:
    client = as_role("coordinator")
    hub = await _regional_hub(client, world)
    created = await client.post("/v1/sessions", json={**SESSION, "audience": {"hub_ids": [hub]}})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["starts_at"] == "2026-09-10T12:00:00Z"
    assert body["online_url"] == "https://meet.example.org/exchange"
    async with sessions() as session:
        told = set(
            await session.scalars(
                select(Outbox.address).where(
                    Outbox.idempotency_key.like(f"session-{body['id']}-new-%")
                )
            )
        )
    assert told == {"5001", "5101", "5201", "6001", "6101"}  # both circles' people on Telegram
    async with sessions() as session, session.begin():
        for person_id, answer in (
            (world.author_a, RsvpResponse.yes),
            (world.b.person, RsvpResponse.maybe),
        ):
            await exchange_sessions.answer_session(
                session,
                person=await session.get_one(Person, person_id),
                session_id=body["id"],
                response=answer,
                now=clock.now(),
            )
    seen = (await client.get(f"/v1/sessions/{body['id']}/attendance")).json()
    circles = {line["name"]: line for line in seen["circles"]}
    assert (circles["Demo circle"]["yes"], circles["Kumasi 2"]["maybe"]) == (1, 1)
    assert {c["country"]: (c["yes"], c["maybe"]) for c in seen["countries"]} == {
        "BR": (1, 0),
        "GH": (0, 1),
    }
    assert circles["Kumasi 2"]["invited"] >= 2

    moved = await client.patch(
        f"/v1/sessions/{body['id']}", json={"starts_at": "2026-09-11T12:00:00Z"}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["ends_at"] == "2026-09-11T13:30:00Z"
    listed = (await client.get("/v1/sessions?upcoming=true")).json()
    assert body["id"] in [s["id"] for s in listed]
    cancelled = await client.post(f"/v1/sessions/{body['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    again = await client.post(f"/v1/sessions/{body['id']}/cancel")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


async def test_bad_sessions_are_refused_clearly(as_role, world: World) -> None:
    client = as_role("coordinator")
    audience = {"audience": {"countries": ["GH"]}}
    for body, detail in (
        (
            {**SESSION, **audience, "starts_at": "2026-08-01T10:00:00Z"},
            "The session must be in the future.",
        ),
        (SESSION, "A session needs an audience: circles, countries or hubs."),
        (
            {**SESSION, **audience, "ends_at": "2026-09-10T11:00:00Z"},
            "A session ends 15 minutes to 12 hours after it starts.",
        ),
        (
            {**SESSION, "audience": {"hub_ids": [987654]}},
            "There is no hub with the id 987654.",
        ),
    ):
        refused = await client.post("/v1/sessions", json=body)
        assert refused.status_code == 422, body
        assert refused.json()["detail"] == detail
    naive = await client.post(
        "/v1/sessions", json={**SESSION, **audience, "starts_at": "2026-09-10T14:00:00"}
    )
    assert naive.status_code == 422


async def test_facilitators_and_union_reps_cannot_hold_sessions_or_hubs(
    as_role, world: World
) -> None:
    for role in ("facilitator_a", "union_rep_a"):
        client = as_role(role)
        body = {**SESSION, "audience": {"circle_ids": [world.a.circle]}}
        assert (await client.post("/v1/sessions", json=body)).status_code == 403
        assert (await client.get("/v1/sessions")).status_code == 403
        assert (await client.get(f"/v1/sessions/{world.a.session}/attendance")).status_code == 403
        assert (await client.get("/v1/hubs")).status_code == 403


async def test_a_country_coordinator_sees_only_their_countries_sessions(
    as_role, world: World
) -> None:
    ghana = as_role("coordinator_gh")
    listed = (await ghana.get("/v1/sessions")).json()
    assert [s["id"] for s in listed] == [world.b.session]
    assert (await ghana.get(f"/v1/sessions/{world.a.session}")).status_code == 404
    created = await ghana.post(
        "/v1/sessions", json={**SESSION, "audience": {"hub_ids": [world.b.hub]}}
    )
    assert created.status_code == 201, created.text
    assert created.json()["audience"]["countries"] == ["GH"]
    elsewhere = await ghana.post(
        "/v1/sessions", json={**SESSION, "audience": {"countries": ["BR"]}}
    )
    assert elsewhere.status_code == 403
