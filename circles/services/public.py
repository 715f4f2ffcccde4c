"""The public repository: the practices whose authors chose "everyone", for anyone to read.

Served at ``/practices`` when ``CIRCLES_PUBLIC_REPOSITORY`` is on. A public reader is
nobody's member: it reads a practice only when it is published (not in review, not
archived), shared with ``everyone``, and of a real circle (demo circles are a sandbox,
:mod:`circles.services.sandbox`). It is searched with the repository's own full-text
search and filters.

What leaves is a :class:`PublicPractice`: the practice's text and facts, and its
author's name only when the author chose to show it. Never the circle's name, the
author's pilot ratings or photos, nor anything else of a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.models import GradeBand, Practice, PracticeStatus
from circles.services.repository import Filters, Found, Reader, readable, search, visible

#: No circle, no country: :func:`circles.services.repository.visible` lets such a
#: reader read real circles' published practices shared with everyone, and nothing else.
PUBLIC = Reader(frozenset(), frozenset())
#: Practices on one page of the list, and entries in the feed.
PAGE_SIZE = 20
FEED_SIZE = 30
#: The last page a visitor may ask for (bounded work per request).
MAX_PAGE = 500
#: The parts of a practice's text a public page shows, in reading order.
PUBLIC_SECTIONS = ("steps", "evidence", "conditions", "lessons", "materials")


@dataclass(frozen=True)
class PublicPractice:
    """What the public may read of one practice."""

    id: int
    title: str
    summary: str | None
    strategies: list[str]
    subject: str | None
    grade: str | None
    grade_band: GradeBand | None
    class_size: int | None
    country: str
    language: str
    sections: list[tuple[str, str]]
    author_name: str | None
    published_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class PublicPage:
    """One page of the public list."""

    items: list[PublicPractice]
    total: int
    page: int
    pages: int


def public_of(found: Found) -> PublicPractice:
    """The public part of a practice ``found`` by the repository."""
    practice = found.practice
    assert practice.id is not None
    tags = list(practice.tags or [])
    if practice.strategy is not None and practice.strategy.value not in tags:
        tags.insert(0, practice.strategy.value)
    content = practice.content or {}
    return PublicPractice(
        id=practice.id,
        title=practice.title,
        summary=practice.summary,
        strategies=tags,
        subject=practice.subject,
        grade=practice.grade,
        grade_band=practice.grade_band,
        class_size=practice.class_size,
        country=practice.country,
        language=practice.language,
        sections=[(key, str(content[key])) for key in PUBLIC_SECTIONS if content.get(key)],
        author_name=found.author_name if practice.author_visible else None,
        published_at=practice.published_at,
        updated_at=practice.updated_at,
    )


async def search_public(session: AsyncSession, *, filters: Filters, page: int) -> PublicPage:
    """Page ``page`` (from 1) of the public practices that match ``filters``, best first."""
    page = max(1, min(page, MAX_PAGE))
    results = await search(
        session, reader=PUBLIC, filters=filters, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    pages = max(1, -(-results.total // PAGE_SIZE))
    return PublicPage([public_of(f) for f in results.items], results.total, page, pages)


async def public_practice(session: AsyncSession, *, practice_id: int) -> PublicPractice:
    """One public practice; any other id is reported missing (:class:`NotFound`)."""
    return public_of(await readable(session, reader=PUBLIC, practice_id=practice_id))


async def newest(session: AsyncSession, *, limit: int = FEED_SIZE) -> list[PublicPractice]:
    """The most recently published public practices, newest first (the Atom feed)."""
    results = await search(session, reader=PUBLIC, filters=Filters(), limit=min(limit, FEED_SIZE))
    return [public_of(f) for f in results.items]


async def facets(session: AsyncSession) -> tuple[list[str], list[str]]:
    """The countries and languages of public practices, for the filters' choices."""
    public = (Practice.status == PracticeStatus.published, visible(PUBLIC))
    countries = await session.scalars(select(Practice.country).where(*public).distinct())
    languages = await session.scalars(select(Practice.language).where(*public).distinct())
    return sorted(set(countries)), sorted(set(languages))
