"""Reflections after circle meetings and exchange sessions, shown only as far as their
authors allowed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.models import Circle, Person, Reflection
from circles.services.access import Scope
from circles.services.pagination import Page, keyset, page_of


@dataclass(frozen=True)
class ReflectionRow:
    """A reflection and its author's name."""

    reflection: Reflection
    author_name: str | None


async def list_reflections(
    session: AsyncSession,
    *,
    scope: Scope,
    circle: Circle,
    cursor: str | None,
    limit: int,
    meeting_id: int | None = None,
    person_id: int | None = None,
    session_id: int | None = None,
) -> Page[ReflectionRow]:
    """The circle's reflections the scope may read, newest first.

    A reflection kept for "only me" is never listed; see
    :mod:`circles.services.access` for who reads the others.
    """
    query = (
        select(Reflection, Person.display_name)
        .join(Person, Person.id == Reflection.person_id)
        .where(
            Reflection.circle_id == circle.id,
            Reflection.visibility.in_(scope.reflection_visibilities),
        )
    )
    if meeting_id is not None:
        query = query.where(Reflection.meeting_id == meeting_id)
    if person_id is not None:
        query = query.where(Reflection.person_id == person_id)
    if session_id is not None:
        query = query.where(Reflection.session_id == session_id)
    rows = (
        await session.execute(
            keyset(query, Reflection.id, cursor=cursor, limit=limit, newest_first=True)
        )
    ).all()
    page = page_of(rows, limit=limit, last_id=lambda row: row[0].id)
    return Page([ReflectionRow(r, name) for r, name in page.items], page.next_cursor)
