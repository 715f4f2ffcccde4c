"""Web pages served by the admin API app: the chat simulator and the facilitator dashboard.

Server-rendered HTML (Jinja2, plain forms, no front-end build). Both doors reuse what the
others use: the simulator calls the same ``bot.flows`` functions as the Telegram
handlers, the dashboard the same services and access rules as the ``/v1`` routes.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web import (
    channels,
    dashboard,
    followups,
    leadership,
    public,
    sessions,
    simulator,
    teachers,
    years,
)
from api.web.pages import WebError, install_errors

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Serve ``/simulator``, ``/dashboard``, ``/practices`` and their static files on ``app``."""
    app.mount("/web-static", StaticFiles(directory=STATIC), name="web-static")
    app.include_router(simulator.router)
    app.include_router(dashboard.router)
    app.include_router(teachers.router)
    app.include_router(sessions.router)
    app.include_router(followups.router)
    app.include_router(leadership.router)
    app.include_router(channels.router)
    app.include_router(public.router)
    app.include_router(years.router)
    install_errors(app)


__all__ = ["WebError", "install"]
