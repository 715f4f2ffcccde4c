"""People as tests make them: a person and their Telegram identity in one step."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.models import Channel, Identity, Person
from circles.services.people import find_person


def telegram_identity(person: Person, user_id: int) -> Identity:
    """``person``'s identity as Telegram user ``user_id`` (the person must have an id)."""
    assert person.id is not None
    return Identity(
        person_id=person.id,
        channel=Channel.telegram,
        address=str(user_id),
        created_at=person.created_at,
    )


async def add_person(
    session: AsyncSession, *, telegram: int | None = None, **fields: Any
) -> Person:
    """A new person (with a Telegram identity when ``telegram`` is given), flushed."""
    person = Person(**fields)
    session.add(person)
    await session.flush()
    if telegram is not None:
        session.add(telegram_identity(person, telegram))
        await session.flush()
    return person


async def on_telegram(session: AsyncSession, user_id: int) -> Person | None:
    """The person behind Telegram user ``user_id``."""
    return await find_person(session, channel=Channel.telegram, address=str(user_id))


def simulated_people() -> Select[tuple[Person]]:
    """A query for the web simulator's people (their identity is on the simulator channel)."""
    return (
        select(Person)
        .join(Identity, Identity.person_id == Person.id)
        .where(Identity.channel == Channel.simulator)
    )


async def simulator_address(session: AsyncSession, person: Person) -> str:
    """The simulated chat of ``person``."""
    address = await session.scalar(
        select(Identity.address).where(
            Identity.person_id == person.id, Identity.channel == Channel.simulator
        )
    )
    assert address is not None
    return address
