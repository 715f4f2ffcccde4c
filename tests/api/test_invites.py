"""Facilitators create and revoke invites and see how much of each is left."""

from __future__ import annotations

from sqlalchemy import select
from support.world import World

from circles.db import SessionMaker
from circles.models import AuditLog


async def test_a_facilitator_creates_lists_and_revokes_an_invite(
    world: World, as_role, sessions: SessionMaker, clock
) -> None:
    client = as_role("facilitator_a")
    url = f"/v1/circles/{world.a.circle}/invites"
    created = await client.post(url, json={"role": "facilitator", "max_uses": 2, "valid_days": 7})
    assert created.status_code == 201
    invite = created.json()
    assert invite["uses_left"] == 2 and invite["state"] == "active"
    assert invite["expires_at"].startswith("2026-09-02")  # seven days after Wednesday 26 August
    active = (await client.get(url, params={"state": "active"})).json()["items"]
    assert invite["id"] in [i["id"] for i in active]
    revoked = await client.post(f"{url}/{invite['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert [
        i["id"] for i in (await client.get(url, params={"state": "revoked"})).json()["items"]
    ] == [invite["id"]]
    again = await client.post(f"{url}/{invite['id']}/revoke")
    assert again.status_code == 409
    async with sessions() as session:
        actions = list(
            await session.scalars(
                select(AuditLog.action)
                .where(AuditLog.target_type == "invite")
                .order_by(AuditLog.id)
            )
        )
        details = list(await session.scalars(select(AuditLog.detail)))
    assert actions == ["invite.create", "invite.revoke"]
    assert all(invite["code"] not in str(detail) for detail in details)


async def test_an_invite_without_expiry_and_with_too_many_uses(world: World, as_role) -> None:
    url = f"/v1/circles/{world.a.circle}/invites"
    client = as_role("admin")
    forever = (await client.post(url, json={"role": "teacher", "valid_days": None})).json()
    assert forever["expires_at"] is None and forever["uses_left"] == 10
    too_many = await client.post(url, json={"role": "teacher", "max_uses": 5000})
    assert too_many.status_code == 422
    assert too_many.json()["detail"].startswith("body.max_uses")
