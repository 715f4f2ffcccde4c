"""Coordinators see which bot serves which country, and give one a country or a circle."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from support.web import csrf_of, sign_in
from support.world import World

from circles.db import transaction
from circles.models import Channel, ChannelAssignment, TokenRole
from circles.secrets import generate_key
from circles.services import channels
from circles.services.access import Scope
from circles.settings import Settings

TOKEN = "555555:DASHBOARD-SECRET"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The test settings with a secrets key."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        media_dir=tmp_path / "media",
        secrets_key=SecretStr(generate_key()),
    )


async def _gh_bot(sessions, clock, settings) -> None:
    async with transaction(sessions) as session:
        await channels.add_account(
            session,
            scope=Scope("test", TokenRole.admin),
            settings=settings,
            new=channels.NewAccount(Channel.telegram, "gh", TOKEN, username="circles_gh_bot"),
            now=clock.now(),
        )


async def test_a_coordinator_gives_the_ghana_bot_a_circle(
    world: World, api, sessions, clock, settings
) -> None:
    await _gh_bot(sessions, clock, settings)
    client = api()
    await sign_in(client, world.secrets["coordinator_gh"])
    overview = await client.get("/dashboard")
    assert 'href="/dashboard/channels"' in overview.text
    page = await client.get("/dashboard/channels")
    assert page.status_code == 200
    assert "https://t.me/circles_gh_bot" in page.text and TOKEN not in page.text
    csrf = csrf_of(page.text)

    form = {"account": "gh", "circle_id": str(world.b.circle)}
    assert (await client.post("/dashboard/channels/assign", data=form)).status_code == 403
    saved = await client.post("/dashboard/channels/assign", data={**form, "csrf": csrf})
    assert saved.status_code == 303
    shown = await client.get(saved.headers["location"])
    assert "now serves this place" in shown.text and "Kumasi 2" in shown.text

    theirs = await client.post(
        "/dashboard/channels/assign",
        data={"account": "gh", "circle_id": str(world.a.circle), "csrf": csrf},
    )
    huge = await client.post(
        "/dashboard/channels/assign",
        data={"account": "gh", "circle_id": "999999999999", "csrf": csrf},
    )
    assert theirs.status_code == huge.status_code == 404
    neither = await client.post("/dashboard/channels/assign", data={"account": "gh", "csrf": csrf})
    assert neither.status_code == 422 and "Choose a country or a circle" in neither.text
    async with sessions() as session:
        places = list(await session.scalars(select(ChannelAssignment.circle_id)))
    assert places == [world.b.circle]


async def test_facilitators_do_not_see_the_bots(world: World, api) -> None:
    client = api()
    await sign_in(client, world.secrets["facilitator_a"])
    page = await client.get("/dashboard/channels")
    assert page.status_code == 403
