"""Circles in the countries the tests use, each with that country's usual language and time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from circles.models import Circle
from circles.services.circles import create_circle

#: A country's usual (language, timezone) in the tests.
USUAL = {
    "GH": ("en", "Africa/Accra"),
    "CH": ("de", "Europe/Zurich"),
    "CI": ("fr", "Africa/Abidjan"),
    "BR": ("pt_BR", "America/Sao_Paulo"),
    "KR": ("ko", "Asia/Seoul"),
    "UY": ("es", "America/Montevideo"),
}


async def add_circle(
    session: AsyncSession,
    name: str,
    *,
    now: datetime,
    country: str = "GH",
    language: str | None = None,
    timezone: str | None = None,
    **options: Any,
) -> Circle:
    """Create circle ``name`` in ``country``, in its usual language and timezone unless given.

    ``options`` are the rest of :func:`circles.services.circles.create_circle`'s (cadence,
    weekday, at).
    """
    usual_language, usual_timezone = USUAL[country]
    return await create_circle(
        session,
        name=name,
        country=country,
        language=language or usual_language,
        timezone=timezone or usual_timezone,
        now=now,
        **options,
    )
