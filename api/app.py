"""Build the FastAPI app around an engine, a session maker and a clock."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy.ext.asyncio import AsyncEngine

from api import docs, problems, web
from api.headers import SecurityHeaders
from api.limits import BodyLimit
from api.routers import (
    audit,
    broadcasts,
    channels,
    checkins,
    circles,
    exports,
    followups,
    health,
    holidays,
    hubs,
    invites,
    leadership,
    meetings,
    partnerships,
    practices,
    questions,
    reflections,
    repository,
    sessions,
    summaries,
    teachers,
    tokens,
    years,
)
from circles.clock import Clock, SystemClock
from circles.db import create_sessionmaker
from circles.settings import Settings


def create_app(settings: Settings, engine: AsyncEngine, clock: Clock | None = None) -> FastAPI:
    """The admin API; the caller owns ``engine`` and disposes of it."""
    app = FastAPI(
        docs_url=None,
        redoc_url=None,
        title="Learning Circles admin API",
        version="0.1.0",
        description=(
            "Facilitators review answers and pull circle summaries; coordinators manage "
            "circles and compare countries; admins issue tokens. Every `/v1` request needs "
            "`Authorization: Bearer <token>`; a token sees only its circles, and anything "
            "outside them is reported exactly like something that does not exist. Lists "
            "are paged with an opaque `cursor` (pass back `next_cursor`). Errors are RFC "
            "9457 problem details (`application/problem+json`)."
        ),
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = create_sessionmaker(engine)
    app.state.clock = clock or SystemClock()
    problems.install(app)
    app.include_router(health.router)
    for router in (
        circles.router,
        invites.router,
        checkins.router,
        reflections.router,
        questions.router,
        partnerships.router,
        meetings.router,
        holidays.router,
        practices.router,
        repository.router,
        summaries.router,
        exports.router,
        tokens.router,
        audit.router,
        broadcasts.router,
        hubs.router,
        sessions.router,
        teachers.router,
        followups.router,
        leadership.router,
        years.router,
        channels.router,
    ):
        app.include_router(router)
    web.install(app)
    docs.install(app)
    # The last added is the outer one: every answer, the limit's 413 included, gets the
    # security headers; the body limit acts before any route reads or parses the body.
    app.add_middleware(
        BodyLimit,
        body_bytes=settings.max_body_bytes,
        upload_bytes=settings.max_upload_bytes,
        default_language=settings.default_language,
    )
    app.add_middleware(SecurityHeaders)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI schema, saying what errors really are: ``application/problem+json``.

    FastAPI documents error models as ``application/json`` and validation errors in its
    own shape; every error this API sends is a :class:`api.schemas.Problem`.
    """
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    problem = {"$ref": "#/components/schemas/Problem"}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for code, response in operation.get("responses", {}).items():
                if code.isdigit() and int(code) >= 400:
                    response["content"] = {"application/problem+json": {"schema": problem}}
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema
