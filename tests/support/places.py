"""Circles in the countries the tests use, each with that country's usual language and time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from circles.models import Circle, Membership, Person, Role
from circles.services.circles import create_circle
from circles.services.invites import create_invite

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


@dataclass
class CircleSetup:
    """A circle with a facilitator and invite codes for each role."""

    circle_id: int
    name: str
    codes: dict[Role, str]


async def staffed_circle(
    session: AsyncSession, name: str, facilitator: str, *, now: datetime
) -> CircleSetup:
    """Circle ``name`` in Ghana, with its facilitator (a new person called ``facilitator``)
    and an invite for each role."""
    circle = await add_circle(session, name, now=now)
    person = Person(display_name=facilitator, created_at=now)
    session.add(person)
    await session.flush()
    session.add(Membership(person_id=person.id, circle_id=circle.id, role=Role.facilitator))
    codes = {}
    for role in Role:
        invite = await create_invite(session, circle=circle, role=role, now=now)
        codes[role] = invite.code
    return CircleSetup(circle.id, circle.name, codes)
