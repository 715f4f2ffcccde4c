"""People who talk to the bot, and their memberships."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.models import Circle, Membership, Person
from circles.settings import normalize_language

# Built once: every update runs it.
_BY_TELEGRAM_ID = select(Person).where(Person.telegram_user_id == bindparam("telegram_user_id"))
_NOT_LOADED: Any = object()


def _loaded_key(telegram_user_id: int) -> tuple[str, int]:
    return ("person loaded by mark_reachable", telegram_user_id)


async def find_person(session: AsyncSession, *, telegram_user_id: int) -> Person | None:
    """The person with this Telegram user id, if they have talked to us before.

    The first call after :func:`mark_reachable` in the same session takes the person it
    loaded instead of asking the database again.
    """
    loaded = session.info.pop(_loaded_key(telegram_user_id), _NOT_LOADED)
    if loaded is not _NOT_LOADED:
        return loaded
    return await session.scalar(_BY_TELEGRAM_ID, {"telegram_user_id": telegram_user_id})


async def reader_language(
    session: AsyncSession, *, telegram_user_id: int, client_language: str | None, default: str
) -> str:
    """The language to show a reply in: the person's own, else their app's, else ``default``.

    Read after the update's work, so a language chosen during the update is used at once.
    """
    language = await session.scalar(
        select(Person.language).where(Person.telegram_user_id == telegram_user_id)
    )
    return language or normalize_language(client_language or "") or default


async def get_or_create_person(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    display_name: str | None,
    language_code: str | None,
    default_language: str,
    default_timezone: str,
    now: datetime,
) -> Person:
    """Find the person, or create them with Telegram's language when we support it."""
    person = await find_person(session, telegram_user_id=telegram_user_id)
    if person is not None:
        return person
    person = Person(
        telegram_user_id=telegram_user_id,
        display_name=(display_name or "").strip()[:120] or None,
        language=(language_code and normalize_language(language_code)) or default_language,
        timezone=default_timezone,
        created_at=now,
    )
    session.add(person)
    await session.flush()
    return person


async def mark_reachable(session: AsyncSession, *, telegram_user_id: int) -> None:
    """Someone who blocked the bot wrote again: messages may reach them once more.

    Every update from a person starts here, so this loads the person (if they exist) and
    keeps them for the session's next :func:`find_person`: one query, not two, and no
    write unless they were marked unreachable.
    """
    person = await session.scalar(_BY_TELEGRAM_ID, {"telegram_user_id": telegram_user_id})
    if person is not None and person.unreachable_at is not None:
        person.unreachable_at = None
    session.info[_loaded_key(telegram_user_id)] = person


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
