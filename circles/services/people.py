"""People who talk to the bot, their identities on each channel, and their memberships.

A person is found by an identity: a (channel, address) pair such as ("telegram",
"123456789") or ("whatsapp", "5511987654321"). Messages to a person go to their
*preferred* identity: a reachable one, the one they wrote from last.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, Subquery, and_, bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from circles.models import Channel, Circle, Identity, Membership, Person
from circles.settings import normalize_language


class Address(NamedTuple):
    """Where a message goes: a channel and the address there."""

    channel: Channel
    address: str


# Built once: every update runs them.
_BY_IDENTITY = (
    select(Person)
    .join(Identity, Identity.person_id == Person.id)
    .where(Identity.channel == bindparam("channel"), Identity.address == bindparam("address"))
)
_LANGUAGE_BY_IDENTITY = (
    select(Person.language)
    .join(Identity, Identity.person_id == Person.id)
    .where(Identity.channel == bindparam("channel"), Identity.address == bindparam("address"))
)
#: Newest inbound first; identities never written from last, the newest of them first.
_PREFERENCE = (
    case((Identity.last_inbound_at.is_(None), 1), else_=0),
    Identity.last_inbound_at.desc(),
    Identity.id.desc(),
)


async def find_person(session: AsyncSession, *, channel: Channel, address: str) -> Person | None:
    """The person behind this identity, if they have talked to us before."""
    return await session.scalar(_BY_IDENTITY, {"channel": channel, "address": address})


async def reader_language(
    session: AsyncSession,
    *,
    channel: Channel,
    address: str,
    client_language: str | None,
    default: str,
) -> str:
    """The language to show a reply in: the person's own, else their app's, else ``default``.

    Read after the update's work, so a language chosen during the update is used at once.
    """
    language = await session.scalar(_LANGUAGE_BY_IDENTITY, {"channel": channel, "address": address})
    return language or normalize_language(client_language or "") or default


async def get_or_create_person(
    session: AsyncSession,
    *,
    channel: Channel,
    address: str,
    display_name: str | None,
    language_code: str | None,
    default_language: str,
    default_timezone: str,
    now: datetime,
) -> Person:
    """Find the person, or create them (and this identity) with their app's language."""
    person = await find_person(session, channel=channel, address=address)
    if person is not None:
        return person
    person = Person(
        display_name=(display_name or "").strip()[:120] or None,
        language=(language_code and normalize_language(language_code)) or default_language,
        timezone=default_timezone,
        created_at=now,
    )
    session.add(person)
    await session.flush()
    session.add(
        Identity(
            person_id=person.id,
            channel=channel,
            address=address,
            last_inbound_at=now,
            created_at=now,
        )
    )
    await session.flush()
    return person


async def mark_reachable(
    session: AsyncSession, *, channel: Channel, address: str, now: datetime
) -> bool:
    """Someone wrote from this identity: it is reachable again, and it is their latest.

    Every update from a person starts here. One statement, no read: the person is looked
    up once, by the dialogue that needs them. False when nobody has this identity yet.
    """
    result = await session.execute(
        update(Identity)
        .where(Identity.channel == channel, Identity.address == address)
        .values(unreachable_at=None, last_inbound_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def mark_unreachable(
    session: AsyncSession, *, channel: Channel, address: str, now: datetime
) -> None:
    """The app said this identity cannot be reached (blocked the bot): skip it until it writes."""
    await session.execute(
        update(Identity)
        .where(Identity.channel == channel, Identity.address == address)
        .values(unreachable_at=now)
        .execution_options(synchronize_session=False)
    )


async def identities_of(session: AsyncSession, *, person_id: int) -> list[Identity]:
    """The person's identities, preferred first."""
    return list(
        await session.scalars(
            select(Identity).where(Identity.person_id == person_id).order_by(*_PREFERENCE)
        )
    )


async def preferred_identity(session: AsyncSession, *, person_id: int) -> Identity | None:
    """Where to send the person a message: the reachable identity they wrote from last."""
    return await session.scalar(
        select(Identity)
        .where(Identity.person_id == person_id, Identity.unreachable_at.is_(None))
        .order_by(*_PREFERENCE)
        .limit(1)
    )


def preferred_identities(*where: ColumnElement[bool]) -> Subquery:
    """Each person's preferred identity, a subquery to join: ``person_id``, ``channel``,
    ``address``.

    People with no reachable identity have no row. ``where`` narrows the identities
    ranked (``Identity.person_id.in_(…)``) when only a few people are wanted.
    """
    ranked = (
        select(
            Identity.person_id,
            Identity.channel,
            Identity.address,
            func.row_number()
            .over(partition_by=Identity.person_id, order_by=_PREFERENCE)
            .label("rank"),
        )
        .where(Identity.unreachable_at.is_(None), *where)
        .subquery()
    )
    return (
        select(ranked.c.person_id, ranked.c.channel, ranked.c.address)
        .where(ranked.c.rank == 1)
        .subquery("preferred")
    )


def has_reachable_identity():
    """A condition on :class:`Person`: they can be sent a message somewhere."""
    return (
        select(Identity.id)
        .where(Identity.person_id == Person.id, Identity.unreachable_at.is_(None))
        .exists()
    )


def cannot_be_reached():
    """A condition on :class:`Person`: every identity they have was refused (blocked the bot).

    Someone with no identity at all (seeded, or erased) is not "unreachable": nothing was
    ever refused.
    """
    has_identity = select(Identity.id).where(Identity.person_id == Person.id).exists()
    return and_(has_identity, ~has_reachable_identity())


async def addresses_of(session: AsyncSession, *, person_ids: Iterable[int]) -> dict[int, Address]:
    """Where to send each of these people a message (people who cannot be reached left out)."""
    wanted = list(set(person_ids))
    if not wanted:
        return {}
    found: dict[int, Address] = {}
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        preferred = preferred_identities(Identity.person_id.in_(chunk))
        rows = await session.execute(select(preferred))
        for person_id, channel, address in rows.all():
            found[person_id] = Address(Channel(channel), address)
    return found


async def memberships_of(
    session: AsyncSession, *, person_id: int
) -> list[tuple[Membership, Circle]]:
    """The person's memberships with their circles, oldest first."""
    rows = await session.execute(
        select(Membership, Circle)
        .join(Circle, Circle.id == Membership.circle_id)
        .where(Membership.person_id == person_id)
        .order_by(Membership.joined_at, Membership.id)
    )
    return [(membership, circle) for membership, circle in rows.all()]
