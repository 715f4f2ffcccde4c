"""Only live bearer tokens get in; unknown, expired and revoked ones look the same."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine
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


@contextmanager
def transactions(engine: AsyncEngine) -> Iterator[list[list[str]]]:
    """The SQL statements the app runs, one list per database transaction."""
    seen: list[list[str]] = []
    open_ones: dict[object, list[str]] = {}

    def begin(connection) -> None:
        open_ones[connection] = []
        seen.append(open_ones[connection])

    def execute(connection, _cursor, statement, *_args) -> None:
        open_ones.setdefault(connection, []).append(" ".join(statement.split()))

    sync = engine.sync_engine
    event.listen(sync, "begin", begin)
    event.listen(sync, "before_cursor_execute", execute)
    try:
        yield seen
    finally:
        event.remove(sync, "begin", begin)
        event.remove(sync, "before_cursor_execute", execute)


def _writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]


async def test_a_busy_reader_writes_last_used_at_once_a_minute_not_on_every_get(
    world: World, as_role, engine: AsyncEngine, sessions: SessionMaker, clock
) -> None:
    reader = as_role("facilitator_a")
    first = clock.now()
    with transactions(engine) as seen:
        assert (await reader.get(f"/v1/circles/{world.a.circle}")).status_code == 200
        clock.advance(timedelta(seconds=30))
        assert (await reader.get(f"/v1/circles/{world.a.circle}")).status_code == 200
    assert sum(len(_writes(statements)) for statements in seen) == 1
    async with sessions() as session:
        token = await session.get(ApiToken, world.token_ids["facilitator_a"])
        assert token is not None and token.last_used_at == first
    later = clock.advance(timedelta(seconds=31))
    assert (await reader.get(f"/v1/circles/{world.a.circle}")).status_code == 200
    async with sessions() as session:
        token = await session.get(ApiToken, world.token_ids["facilitator_a"])
        assert token is not None and token.last_used_at == later


async def test_a_get_reads_only_and_last_used_at_is_written_in_a_transaction_of_its_own(
    world: World, as_role, engine: AsyncEngine
) -> None:
    with transactions(engine) as seen:
        assert (await as_role("coordinator").get("/v1/circles")).status_code == 200
    request = [statements for statements in seen if any("FROM circle" in s for s in statements)]
    assert len(request) == 1 and _writes(request[0]) == []
    touches = [statements for statements in seen if _writes(statements)]
    assert len(touches) == 1
    assert len(touches[0]) == 1 and touches[0][0].startswith("UPDATE apitoken SET last_used_at")
