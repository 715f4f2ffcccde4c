"""Coordinators add a bot per country through the API; tokens go in and never come out."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from support.world import World

from api.app import create_app
from circles.secrets import generate_key
from circles.settings import Settings

TOKEN = "987654:GH-SECRET-TOKEN"
GH_BOT = {"app": "telegram", "name": "gh", "token": TOKEN, "username": "circles_gh_bot"}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The test settings with a secrets key."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        media_dir=tmp_path / "media",
        secrets_key=SecretStr(generate_key()),
    )


async def test_a_coordinator_adds_a_bot_and_gives_it_their_country(
    world: World, as_role, sessions
) -> None:
    coordinator = as_role("coordinator_gh")
    added = await coordinator.post("/v1/channel-accounts", json=GH_BOT)
    assert added.status_code == 201, added.text
    body = added.json()
    assert (body["name"], body["link"], body["countries"]) == (
        "gh",
        "https://t.me/circles_gh_bot",
        [],
    )
    assert TOKEN not in added.text and "token" not in body

    assigned = await coordinator.post(
        "/v1/channel-accounts/assignments", json={"account": "gh", "country": "gh"}
    )
    assert assigned.status_code == 201, assigned.text
    own = await coordinator.post(
        "/v1/channel-accounts/assignments", json={"account": "gh", "circle_id": world.b.circle}
    )
    assert own.status_code == 201, own.text
    listed = await coordinator.get("/v1/channel-accounts")
    assert listed.status_code == 200
    [account] = listed.json()
    assert (account["countries"], account["circle_ids"]) == (["GH"], [world.b.circle])
    assert TOKEN not in listed.text

    async with sessions() as session:
        stored = (await session.execute(text("SELECT * FROM channel_account"))).all()
    assert TOKEN not in repr(stored)


async def test_coordinators_assign_only_inside_their_scope(world: World, as_role) -> None:
    assert (await as_role("admin").post("/v1/channel-accounts", json=GH_BOT)).status_code == 201
    coordinator = as_role("coordinator_gh")
    other_circle = await coordinator.post(
        "/v1/channel-accounts/assignments", json={"account": "gh", "circle_id": world.a.circle}
    )
    missing_circle = await coordinator.post(
        "/v1/channel-accounts/assignments", json={"account": "gh", "circle_id": 987_654}
    )
    assert other_circle.status_code == missing_circle.status_code == 404
    assert other_circle.json() == missing_circle.json()
    other_country = await coordinator.post(
        "/v1/channel-accounts/assignments", json={"account": "gh", "country": "BR"}
    )
    assert other_country.status_code == 404
    # The admin's view shows nothing of Brazil to the Ghana coordinator afterwards either.
    await as_role("admin").post(
        "/v1/channel-accounts/assignments", json={"account": "gh", "circle_id": world.a.circle}
    )
    [seen] = (await coordinator.get("/v1/channel-accounts")).json()
    assert seen["circle_ids"] == []


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({**GH_BOT, "username": None}, 422, "needs the bot's username"),
        ({**GH_BOT, "app": "whatsapp"}, 422, "needs its number"),
        ({**GH_BOT, "name": "Not A Slug"}, 422, "name"),
        ({**GH_BOT, "token": "has spaces in it"}, 422, "token"),
        ({**GH_BOT, "app": "simulator"}, 422, "app"),
    ],
)
async def test_bad_accounts_are_precise_problems(
    world: World, as_role, body: dict, status: int, words: str
) -> None:
    response = await as_role("admin").post("/v1/channel-accounts", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.json()["detail"]
    assert "has spaces in it" not in response.text and TOKEN not in response.text


async def test_names_are_unique_and_roles_are_checked(world: World, as_role) -> None:
    admin = as_role("admin")
    assert (await admin.post("/v1/channel-accounts", json=GH_BOT)).status_code == 201
    again = await admin.post("/v1/channel-accounts", json=GH_BOT)
    assert again.status_code == 409
    assert "already a channel account named gh" in again.json()["detail"]
    unknown = await admin.post(
        "/v1/channel-accounts/assignments", json={"account": "nope", "country": "GH"}
    )
    assert unknown.status_code == 404
    both = await admin.post(
        "/v1/channel-accounts/assignments",
        json={"account": "gh", "country": "GH", "circle_id": world.b.circle},
    )
    assert both.status_code == 422
    for role in ("facilitator_a", "union_rep_a"):
        assert (await as_role(role).get("/v1/channel-accounts")).status_code == 403
        refused = await as_role(role).post("/v1/channel-accounts", json={**GH_BOT, "name": "x"})
        assert refused.status_code == 403


async def test_without_a_secrets_key_nothing_is_stored(
    world: World, settings: Settings, engine, clock
) -> None:
    app = create_app(settings.model_copy(update={"secrets_key": None}), engine, clock)
    headers = {"Authorization": f"Bearer {world.secrets['admin']}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api", headers=headers
    ) as admin:
        response = await admin.post("/v1/channel-accounts", json=GH_BOT)
    assert response.status_code == 409
    assert "CIRCLES_SECRETS_KEY" in response.json()["detail"]
