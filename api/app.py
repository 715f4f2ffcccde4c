"""Build the FastAPI app around an engine, a session maker and a clock."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from api import problems
from api.routers import health
from circles.clock import Clock, SystemClock
from circles.db import create_sessionmaker
from circles.settings import Settings


def create_app(settings: Settings, engine: AsyncEngine, clock: Clock | None = None) -> FastAPI:
    """The admin API; the caller owns ``engine`` and disposes of it."""
    app = FastAPI(
        title="Learning Circles admin API",
        version="0.1.0",
        description=(
            "Facilitators review answers and pull circle summaries; coordinators manage "
            "circles and broadcast announcements. Errors are RFC 9457 problem details."
        ),
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = create_sessionmaker(engine)
    app.state.clock = clock or SystemClock()
    problems.install(app)
    app.include_router(health.router)
    return app
