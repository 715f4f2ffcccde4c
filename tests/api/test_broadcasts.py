"""Coordinators broadcast through the API; facilitators schedule meetings through it."""

from __future__ import annotations

from sqlalchemy import func, select
from support.world import World

from circles.models import Outbox


async def test_a_coordinator_previews_sends_and_follows_a_broadcast(
    as_role, world: World, sessions
) -> None:
    client = as_role("coordinator")
    preview = await client.post("/v1/broadcasts/preview", json={"countries": ["BR"]})
    assert preview.status_code == 200
    recipients = preview.json()["recipients"]
    assert recipients > 0
    created = await client.post(
        "/v1/broadcasts",
        json={
            "variants": {"en": "Hub on Friday", "pt_BR": "Encontro regional na sexta"},
            "default_language": "en",
            "audience": {"countries": ["BR"]},
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "sending"
    assert (
        body["counts"]["pending"] + body["counts"]["skipped"] + body["counts"]["unreachable"]
        == recipients
    )
    async with sessions() as session:
        queued = await session.scalar(
            select(func.count())
            .select_from(Outbox)
            .where(Outbox.idempotency_key == f"broadcast-{body['id']}")
        )
    assert queued == body["counts"]["pending"]
    report = await client.get(f"/v1/broadcasts/{body['id']}")
    assert report.json()["languages"] == ["en", "pt_BR"]
    cancelled = await client.post(f"/v1/broadcasts/{body['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    again = await client.post(f"/v1/broadcasts/{body['id']}/cancel")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


async def test_a_country_coordinator_broadcasts_only_at_home(as_role, world: World) -> None:
    client = as_role("coordinator_gh")
    elsewhere = await client.post(
        "/v1/broadcasts",
        json={
            "variants": {"en": "Hi"},
            "default_language": "en",
            "audience": {"countries": ["BR"]},
        },
    )
    assert elsewhere.status_code == 403
    assert "GH" in elsewhere.json()["detail"]
    home = await client.post(
        "/v1/broadcasts", json={"variants": {"en": "Hi"}, "default_language": "en"}
    )
    assert home.status_code == 201
    assert home.json()["audience"]["countries"] == ["GH"]
    hidden = await client.get(f"/v1/broadcasts/{world.a.broadcast}")  # Brazil's
    assert hidden.status_code == 404


async def test_facilitators_and_union_reps_do_not_broadcast(as_role) -> None:
    for role in ("facilitator_a", "union_rep_a"):
        response = await as_role(role).post(
            "/v1/broadcasts", json={"variants": {"en": "Hi"}, "default_language": "en"}
        )
        assert response.status_code == 403


async def test_bad_broadcasts_are_precise_4xx(as_role) -> None:
    client = as_role("admin")
    for body, where in (
        ({"variants": {"en": "Hi"}, "default_language": "fr"}, "default language"),
        ({"variants": {"xx": "Hi"}, "default_language": "xx"}, "not supported"),
        (
            {"variants": {"en": "Hi"}, "default_language": "en", "send_at": "2020-01-01T00:00:00Z"},
            "past",
        ),
        (
            {"variants": {"en": "Hi"}, "default_language": "en", "audience": {"countries": ["ZZ"]}},
            "country",
        ),
    ):
        response = await client.post("/v1/broadcasts", json=body)
        assert response.status_code == 422, body
        assert where in response.json()["detail"]


async def test_an_audience_of_malformed_codes_is_refused_before_the_database(as_role) -> None:
    client = as_role("admin")
    for audience in (
        {"countries": ["0\u0000"]},
        {"countries": ["BRA"]},
        {"languages": ["fr\u0000"]},
        {"languages": ["français"]},
    ):
        response = await client.post("/v1/broadcasts/preview", json=audience)
        assert response.status_code == 422, audience
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_facilitator_schedules_a_meeting_through_the_api(
    as_role, world: World, sessions
) -> None:
    client = as_role("facilitator_a")
    response = await client.post(
        f"/v1/circles/{world.a.circle}/meetings",
        json={"date": "2026-09-24", "time": "19:00", "place": "Escola Municipal, sala 4"},
    )
    assert response.status_code == 201, response.text
    meeting = response.json()
    assert meeting["starts_at"].startswith("2026-09-24T22:00")  # 19:00 in São Paulo
    async with sessions() as session:
        invitations = await session.scalar(
            select(func.count())
            .select_from(Outbox)
            .where(Outbox.idempotency_key.like(f"meeting-{meeting['id']}-new-%"))
        )
    assert invitations > 0
    other = await client.post(
        f"/v1/circles/{world.b.circle}/meetings", json={"date": "2026-09-24", "time": "19:00"}
    )
    assert other.status_code == 404
    past = await client.post(
        f"/v1/circles/{world.a.circle}/meetings", json={"date": "2026-01-01", "time": "19:00"}
    )
    assert past.status_code == 422
