"""Request dependencies: settings, the database session of this request, the clock, the language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from circles.clock import Clock
from circles.db import SessionMaker
from circles.settings import Settings, normalize_language


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


def get_engine(request: Request) -> AsyncEngine:
    """The database engine."""
    return request.app.state.engine


def get_clock(request: Request) -> Clock:
    """The injected clock."""
    return request.app.state.clock


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed when the route returns without error (before
    the response is sent: see :data:`SessionDep`)."""
    sessions: SessionMaker = request.app.state.sessions
    async with sessions() as session, session.begin():
        yield session


def negotiate_language(header: str | None, default: str) -> str:
    """The supported language the ``Accept-Language`` header prefers most, else ``default``.

    ``pt-BR,pt;q=0.9,en;q=0.8`` gives ``pt_BR``; ``de-CH`` gives ``de``; ``*``, a header
    naming only unsupported languages, or a malformed one gives ``default``.
    """
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and 0 < quality <= 1:
            ranked.append((-quality, position, tag.strip()))
    for _quality, _position, tag in sorted(ranked):
        language = normalize_language(tag[:35])
        if language is not None:
            return language
    return default


def get_language(request: Request) -> str:
    """The language to answer this request in (``Accept-Language``, else the default)."""
    settings: Settings = request.app.state.settings
    return negotiate_language(request.headers.get("accept-language"), settings.default_language)


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[AsyncEngine, Depends(get_engine)]
ClockDep = Annotated[Clock, Depends(get_clock)]
#: ``scope="function"``: the transaction commits when the route returns, before the response
#: is sent, so a client that is told "created" (or follows a redirect after a form) finds
#: what was written; with the default scope the commit would come after the response.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
LanguageDep = Annotated[str, Depends(get_language)]
