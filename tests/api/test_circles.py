"""Coordinators create circles; facilitators page through members with filters."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from support.world import World

from circles.db import SessionMaker, transaction
from circles.models import AuditLog, Person, Phase
from circles.services.privacy import forget_person


async def test_an_admin_creates_a_circle_and_the_audit_log_says_who(
    world: World, as_role, sessions: SessionMaker, clock
) -> None:
    body = {
        "name": "Recife 3",
        "country": "br",
        "language": "pt-BR",
        "timezone": "America/Recife",
        "checkin_weekday": 2,
        "checkin_time": "15:30",
    }
    response = await as_role("admin").post("/v1/circles", json=body)
    assert response.status_code == 201
    created = response.json()
    assert created["country"] == "BR" and created["language"] == "pt_BR"
    assert created["checkin_time"] == "15:30" and created["checkin_weekday"] == 2
    async with sessions() as session:
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "circle.create"))
    assert audit is not None
    assert audit.actor == f"token:{world.token_ids['admin']}"
    assert audit.target_id == created["id"] and audit.at == clock.now()
    again = await as_role("admin").post("/v1/circles", json=body)
    assert again.status_code == 409
    assert again.json()["detail"] == "A circle named Recife 3 already exists."


async def test_a_circle_with_an_unknown_timezone_is_refused(world: World, as_role) -> None:
    response = await as_role("coordinator").post(
        "/v1/circles",
        json={"name": "X", "country": "BR", "language": "pt", "timezone": "Mars/Olympus"},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "Mars/Olympus is not a known timezone."


async def test_members_show_role_phase_pause_and_last_answer(
    world: World, as_role, sessions: SessionMaker, clock
) -> None:
    async with transaction(sessions) as session:
        ana = await session.get_one(Person, world.teachers_a[0])
        ana.paused_until = clock.now() + timedelta(days=7)
        kwame = await session.get_one(Person, world.teachers_a[1])
        await forget_person(session, person=kwame, now=clock.now(), media_dir=None)
    client = as_role("facilitator_a")
    url = f"/v1/circles/{world.a.circle}/members"
    members = (await client.get(url)).json()["items"]
    names = [m["name"] for m in members]
    assert "Kwame Mensah" not in names and None not in names  # forgotten: gone
    assert len(members) == 9 + 2 + 1
    ana_row = next(m for m in members if m["name"] == "Ana Souza")
    assert ana_row["paused"] is True and ana_row["phase"] == Phase.pilot.value
    assert ana_row["last_answer_at"] is not None
    paused = (await client.get(url, params={"paused": "true"})).json()["items"]
    assert [m["name"] for m in paused] == ["Ana Souza"]
    facilitators = (await client.get(url, params={"role": "facilitator"})).json()["items"]
    assert {m["name"] for m in facilitators} == {"Paulo Freire-Costa", "Grace Owusu"}
    assert facilitators[0]["phase"] is None
    piloting = (await client.get(url, params={"phase": "pilot"})).json()["items"]
    assert len(piloting) == 9


async def test_a_cursor_walks_every_member_once(world: World, as_role) -> None:
    client = as_role("facilitator_a")
    url = f"/v1/circles/{world.a.circle}/members"
    everyone = [m["person_id"] for m in (await client.get(url)).json()["items"]]
    seen: list[int] = []
    params: dict[str, str | int] = {"limit": 5}
    pages = 0
    while True:
        page = (await client.get(url, params=params)).json()
        seen += [m["person_id"] for m in page["items"]]
        pages += 1
        if not page["next_cursor"]:
            break
        assert page["next_cursor"].isascii() and str(seen[-1]) not in page["next_cursor"]
        params["cursor"] = page["next_cursor"]
    assert seen == everyone and pages == 3
