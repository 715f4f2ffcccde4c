"""Admins issue, list and revoke tokens; the secret is shown once."""

from __future__ import annotations

from sqlalchemy import select
from support.world import World

from circles.db import SessionMaker
from circles.models import AuditLog


async def test_an_admin_issues_a_token_that_works_until_revoked(
    world: World, as_role, api, sessions: SessionMaker
) -> None:
    admin = as_role("admin")
    created = await admin.post(
        "/v1/tokens",
        json={
            "name": "Kumasi facilitators",
            "role": "facilitator",
            "circle_id": world.b.circle,
            "expires_at": "2027-07-31T00:00:00+00:00",
        },
    )
    assert created.status_code == 201
    issued = created.json()
    secret = issued["secret"]
    assert secret.startswith("lc_") and issued["token"]["prefix"] == secret[:10]
    new = api(secret)
    assert [c["name"] for c in (await new.get("/v1/circles")).json()["items"]] == ["Kumasi 2"]
    listing = await admin.get("/v1/tokens", params={"active": "true", "limit": 200})
    assert secret not in listing.text and "token_hash" not in listing.text
    names = [t["name"] for t in listing.json()["items"]]
    assert "Kumasi facilitators" in names and "expired" not in names and "revoked" not in names
    token_id = issued["token"]["id"]
    revoked = await admin.post(f"/v1/tokens/{token_id}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert (await new.get("/v1/circles")).status_code == 401
    async with sessions() as session:
        rows = list(await session.scalars(select(AuditLog).where(AuditLog.target_id == token_id)))
    assert [r.action for r in rows if r.target_type == "apitoken"][-2:] == [
        "token.create",
        "token.revoke",
    ]
    assert all(secret not in str(r.detail) for r in rows)
    audit = (await admin.get("/v1/audit", params={"action": "token.revoke"})).json()["items"]
    assert audit[0]["target_id"] == token_id


async def test_token_requests_that_make_no_sense_are_422(world: World, as_role) -> None:
    admin = as_role("admin")
    for body, detail in (
        ({"name": "x", "role": "facilitator"}, "need a circle"),
        ({"name": "x", "role": "admin", "circle_id": world.a.circle}, "leave out the circle"),
        ({"name": "x", "role": "facilitator", "countries": ["GH"]}, "coordinator"),
        ({"name": "x", "role": "coordinator", "countries": ["XX"]}, "XX is not"),
        ({"name": "x", "role": "admin", "expires_at": "2020-01-01T00:00:00Z"}, "future"),
        ({"name": "x", "role": "admin", "expires_at": "2030-01-01T00:00:00"}, "timezone"),
    ):
        response = await admin.post("/v1/tokens", json=body)
        assert response.status_code == 422, body
        assert detail in response.json()["detail"], response.json()
    missing = await admin.post(
        "/v1/tokens", json={"name": "x", "role": "facilitator", "circle_id": 999}
    )
    assert missing.status_code == 404
