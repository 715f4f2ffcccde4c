"""Only live bearer tokens get in; unknown, expired and revoked ones look the same."""

from __future__ import annotations

from sqlalchemy import select
from support.world import World

from circles.db import SessionMaker
from circles.models import ApiToken


async def test_no_token_is_a_401_problem_asking_for_a_bearer_token(world: World, api) -> None:
    response = await api().get("/v1/circles")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json()["detail"]


async def test_unknown_expired_and_revoked_tokens_get_the_same_401(world: World, api) -> None:
    answers = []
    for secret in ("lc_not-a-token", world.secrets["expired"], world.secrets["revoked"]):
        response = await api(secret).get(f"/v1/circles/{world.a.circle}")
        assert response.status_code == 401
        answers.append(response.json())
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["detail"] == "This API token is unknown, revoked or expired."


async def test_other_schemes_are_refused(world: World, api) -> None:
    response = await api(Authorization="Basic dXNlcjpwYXNz").get("/v1/circles")
    assert response.status_code == 401


async def test_a_token_that_works_records_when_it_was_last_used(
    world: World, as_role, sessions: SessionMaker, clock
) -> None:
    assert (await as_role("coordinator").get("/v1/circles")).status_code == 200
    async with sessions() as session:
        token = await session.scalar(
            select(ApiToken).where(ApiToken.id == world.token_ids["coordinator"])
        )
        assert token is not None and token.last_used_at == clock.now()
