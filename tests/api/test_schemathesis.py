"""Schemathesis over the OpenAPI schema: no server error and no schema violation anywhere.

Each operation runs against its own seeded world, with valid (positive) and invalid
(negative) data, as an admin whose token id schemathesis will not guess and revoke. The
engine has no pool, because schemathesis calls the ASGI app from its own event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.pool import NullPool
from support.world import SEEDED_AT, WEDNESDAY_W35, build_world

from api.app import create_app
from circles.clock import FakeClock
from circles.db import create_engine, create_sessionmaker, transaction
from circles.models import ApiToken, TokenRole
from circles.services.tokens import TOKEN_PREFIX, hash_token
from circles.settings import Settings
from tests.api.routes import OPERATIONS

SECRET = TOKEN_PREFIX + "schemathesis-admin-token-not-for-production"
EXAMPLES = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 10}
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@dataclass
class Seeded:
    """The app under test and the token to call it with."""

    app: object
    headers: dict[str, str]


async def _seed(database_url: str) -> None:
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        sessions = create_sessionmaker(engine)
        await build_world(sessions)
        async with transaction(sessions) as session:
            session.add(
                ApiToken(
                    id=1_000_000,
                    name="schemathesis",
                    token_hash=hash_token(SECRET),
                    prefix=SECRET[:10],
                    role=TokenRole.admin,
                    created_at=SEEDED_AT - timedelta(days=1),
                )
            )
    finally:
        await engine.dispose()


@pytest.fixture
def seeded(database_url: str, settings: Settings) -> Iterator[Seeded]:
    """The world, and the app on it with an admin token schemathesis will not guess."""
    asyncio.run(_seed(database_url))
    engine = create_engine(database_url, poolclass=NullPool)
    app = create_app(
        settings.model_copy(update={"pseudonym_key": SecretStr("schemathesis-key")}),
        engine,
        FakeClock(WEDNESDAY_W35),
    )
    yield Seeded(app, {"Authorization": f"Bearer {SECRET}"})


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_server_error_and_no_schema_violation(
    method: str, path: str, mode: GenerationMode, seeded: Seeded
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", seeded.app)
    operation = schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    def check(case) -> None:
        # A loaded machine (two test runs side by side) can take more than the default 10 s.
        case.call_and_validate(headers=seeded.headers, checks=CHECKS, timeout=60)

    check()
