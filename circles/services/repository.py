"""The evidence repository: published practices, their versions, search and adoptions.

Lifecycle. Codify creates a practice ``in_review``; a reviewer publishes it or sends it
back (``changes_requested``, see :mod:`circles.services.reviews`). The author revises a
practice sent back, or a published one, in the bot: it goes back to review. Any edit of a
practice that was published first keeps the published text as a
:class:`~circles.models.PracticeVersion` and raises ``version``, so older versions stay
readable. A reviewer may archive a practice: it leaves search, the digest and the
booklet, and nothing else changes.

Who reads what. A published practice is readable by its own circle whatever its share
scope; ``country`` adds the circles of the same country; ``everyone`` every circle. A
reader is a set of circles and their countries (a teacher's memberships, a token's
circles), or everything (admins, coordinators without a country list). Demo circles are
a sandbox (:mod:`circles.services.sandbox`): a reader whose circles are all demo circles
reads only demo practices, and every other reader reads none but their own circles'.

Search is full text plus filters. SQLite uses the FTS5 table ``practice_fts`` and
PostgreSQL a ``to_tsvector('simple', …)`` index (both made by migration 0007) over
``practice.search_text``. Both split words the same way, ignore case and keep accents,
and neither stems, so both databases find the same practices; every word must match,
as a prefix ("feed" finds "feedback"). Results are ordered by relevance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    Select,
    String,
    and_,
    cast,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from circles.errors import InvalidAnswer, NotFound
from circles.i18n import N_
from circles.models import (
    PRACTICE_TEXT_FIELDS,
    Adoption,
    Answer,
    CheckIn,
    Circle,
    GradeBand,
    Inquiry,
    Membership,
    Person,
    Phase,
    Practice,
    PracticeStatus,
    PracticeVersion,
    ShareScope,
    Strategy,
    practice_search_text,
)
from circles.questions import Question
from circles.services import inquiries, practices
from circles.services.access import Permission, Scope
from circles.services.sandbox import practice_on_side

PRACTICE_NOT_FOUND = N_("There is no practice with this id that you can see.")
#: Fields a practice's text is made of, in the order a reader meets them.
TEXT_FIELDS = PRACTICE_TEXT_FIELDS
#: What an edit may change; everything else (status, author, circle) has its own path.
EDITABLE = frozenset(
    {
        "title",
        "summary",
        "tags",
        "subject",
        "grade",
        "grade_band",
        "class_size",
        "share_scope",
        "author_visible",
        *TEXT_FIELDS,
    }
)
#: The longest search query that is read (longer ones are cut, not refused).
QUERY_LIMIT = 200
_WORD = re.compile(r"\w+", re.UNICODE)
_MAX_WORDS = 8


# --- readers and visibility -------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """Whose eyes: circles (None: every circle), their countries, and which side they are on.

    ``demo`` readers (whose circles are all demo circles) read demo practices only.
    """

    circle_ids: frozenset[int] | None
    countries: frozenset[str] | None
    demo: bool = False

    @property
    def everything(self) -> bool:
        return self.circle_ids is None and self.countries is None


async def reader_of_scope(session: AsyncSession, scope: Scope) -> Reader:
    """The repository reader an API token (or a facilitator in the bot) acts as."""
    if scope.circle_ids is None:
        return Reader(None, scope.countries)
    rows = (
        await session.execute(
            select(Circle.country, Circle.demo).where(Circle.id.in_(sorted(scope.circle_ids)))
        )
    ).all()
    return Reader(scope.circle_ids, frozenset(r[0] for r in rows), _all_demo(rows))


async def reader_of_member(session: AsyncSession, person_id: int) -> Reader:
    """A member reads what reaches any of their circles."""
    rows = (
        await session.execute(
            select(Circle.id, Circle.country, Circle.demo)
            .join(Membership, Membership.circle_id == Circle.id)
            .where(Membership.person_id == person_id)
        )
    ).all()
    return Reader(frozenset(r[0] for r in rows), frozenset(r[1] for r in rows), _all_demo(rows))


def _all_demo(rows: Sequence[Any]) -> bool:
    """Whether every circle of a reader (and at least one) is a demo circle."""
    return bool(rows) and all(row[-1] for row in rows)


def visible(reader: Reader) -> ColumnElement[bool]:
    """A WHERE condition on :class:`Practice`: the practices ``reader`` may read."""
    side = practice_on_side(reader.demo)
    if reader.everything:
        return side
    if reader.circle_ids is not None:
        own = Practice.circle_id.in_(sorted(reader.circle_ids)) if reader.circle_ids else false()
        # A reader's own circles are theirs to read, whichever side they are on.
        side = or_(side, own)
    else:
        own = Practice.country.in_(sorted(reader.countries or ()))
    countries = sorted(reader.countries or ())
    shared = or_(
        own,
        Practice.share_scope == ShareScope.everyone,
        and_(Practice.share_scope == ShareScope.country, Practice.country.in_(countries)),
    )
    return and_(side, shared)


# --- search ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What a search asks for; every part is optional."""

    words: str = ""
    strategy: Strategy | None = None
    subject: str | None = None
    grade_band: GradeBand | None = None
    country: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Found:
    """A practice with what a reader sees next to it."""

    practice: Practice
    circle_name: str
    author_name: str | None  # None when anonymous or erased
    adoptions: int
    adopter_rating: float | None  # mean "how well" of adopters' pilot weeks
    adopter_ratings: int


@dataclass(frozen=True)
class Results:
    """One page of search results."""

    items: list[Found]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        end = self.offset + len(self.items)
        return end if end < self.total else None


def words_of(query: str) -> list[str]:
    """The words of a query, lower-cased, at most eight of them."""
    return [w.lower() for w in _WORD.findall(query[:QUERY_LIMIT])][:_MAX_WORDS]


def search_text_of(practice: Practice) -> str:
    """What search reads (the models keep ``practice.search_text`` current on every write)."""
    return practice_search_text(practice)


def _matching(session: AsyncSession, words: list[str]) -> tuple[Any, ColumnElement[Any]]:
    """A subquery of matching practice ids with a rank, and the ORDER BY for relevance."""
    if session.bind.dialect.name == "sqlite":
        match = " ".join(f'"{w}"*' for w in words)
        matches = (
            text("SELECT rowid AS id, rank FROM practice_fts WHERE practice_fts MATCH :match")
            .bindparams(match=match)
            .columns(id=Integer, rank=Float)
            .subquery("matches")
        )
        return matches, matches.c.rank.asc()
    query = " & ".join(f"{w}:*" for w in words)
    vector = func.to_tsvector(literal_column("'simple'"), Practice.search_text)
    tsquery = func.to_tsquery(literal_column("'simple'"), query)
    matches = (
        select(Practice.id.label("id"), func.ts_rank(vector, tsquery).label("rank"))
        .where(vector.op("@@")(tsquery))
        .subquery("matches")
    )
    return matches, matches.c.rank.desc()


def _filtered(query: Select[Any], filters: Filters) -> Select[Any]:
    if filters.strategy is not None:
        query = query.where(
            or_(
                Practice.strategy == filters.strategy,
                cast(Practice.tags, String).like(f'%"{filters.strategy.value}"%'),
            )
        )
    if filters.subject:
        query = query.where(
            func.lower(Practice.subject).contains(filters.subject.strip().lower(), autoescape=True)
        )
    if filters.grade_band is not None:
        query = query.where(Practice.grade_band == filters.grade_band)
    if filters.country:
        query = query.where(Practice.country == filters.country.strip().upper())
    if filters.language:
        query = query.where(Practice.language == filters.language.strip())
    return query


async def search(
    session: AsyncSession, *, reader: Reader, filters: Filters, offset: int = 0, limit: int = 10
) -> Results:
    """Published practices ``reader`` may read that match ``filters``, best first."""
    query = select(Practice.id).where(Practice.status == PracticeStatus.published, visible(reader))
    query = _filtered(query, filters)
    order: list[Any] = [Practice.published_at.desc(), Practice.id.desc()]
    words = words_of(filters.words)
    if words:
        matches, relevance = _matching(session, words)
        query = query.join(matches, matches.c.id == Practice.id)
        order.insert(0, relevance)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ids = list(await session.scalars(query.order_by(*order).offset(offset).limit(limit)))
    return Results(await found(session, ids), total, offset, limit)


async def found(session: AsyncSession, ids: Sequence[int]) -> list[Found]:
    """The practices ``ids`` (in that order) with circle, author and adoption figures."""
    if not ids:
        return []
    rows = (
        await session.execute(
            select(Practice, Circle.name, Person.display_name)
            .join(Circle, Circle.id == Practice.circle_id)
            .outerjoin(Person, Person.id == Practice.author_id)
            .where(Practice.id.in_(ids))
        )
    ).all()
    figures = await adoption_figures(session, ids)
    by_id = {p.id: (p, c, a) for p, c, a in rows}
    result = []
    for practice_id in ids:
        if practice_id not in by_id:
            continue
        practice, circle_name, author = by_id[practice_id]
        count, mean, ratings = figures.get(practice_id, (0, None, 0))
        result.append(
            Found(
                practice,
                circle_name,
                author if practice.author_visible else None,
                count,
                mean,
                ratings,
            )
        )
    return result


async def adoption_figures(
    session: AsyncSession, ids: Iterable[int]
) -> dict[int, tuple[int, float | None, int]]:
    """Per practice: adopters, the mean of their pilot ratings, and how many ratings."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = (
        await session.execute(
            select(
                Adoption.practice_id,
                func.count(func.distinct(Adoption.id)),
                func.avg(Answer.value_number),
                func.count(Answer.id),
            )
            .outerjoin(CheckIn, CheckIn.inquiry_id == Adoption.inquiry_id)
            .outerjoin(
                Answer,
                and_(
                    Answer.checkin_id == CheckIn.id,
                    Answer.question_key == Question.how_well,
                    Answer.value_number.is_not(None),
                ),
            )
            .where(Adoption.practice_id.in_(ids))
            .group_by(Adoption.practice_id)
        )
    ).all()
    return {
        pid: (int(count), float(mean) if mean is not None else None, int(ratings))
        for pid, count, mean, ratings in rows
    }


async def readable(session: AsyncSession, *, reader: Reader, practice_id: int) -> Found:
    """One published practice ``reader`` may read; anything else is reported missing."""
    practice = await session.scalar(
        select(Practice).where(
            Practice.id == practice_id,
            Practice.status == PracticeStatus.published,
            visible(reader),
        )
    )
    if practice is None:
        raise NotFound(PRACTICE_NOT_FOUND)
    return (await found(session, [practice.id]))[0]


# --- editing, versions, archive --------------------------------------------------------------


def snapshot(practice: Practice) -> dict[str, Any]:
    """The readable fields of a practice as they are now (a version's content)."""
    return {
        "version": practice.version,
        "status": practice.status.value,
        "title": practice.title,
        "summary": practice.summary,
        "tags": list(practice.tags or []),
        "strategy": practice.strategy.value if practice.strategy else None,
        "subject": practice.subject,
        "grade": practice.grade,
        "grade_band": practice.grade_band.value if practice.grade_band else None,
        "class_size": practice.class_size,
        "share_scope": practice.share_scope.value,
        "author_visible": practice.author_visible,
        "language": practice.language,
        "content": dict(practice.content or {}),
        "published_at": practice.published_at.isoformat() if practice.published_at else None,
        "updated_at": practice.updated_at.isoformat() if practice.updated_at else None,
    }


def _coerce(field: str, value: Any) -> Any:
    if field == "grade_band":
        return GradeBand(value) if value else None
    if field == "share_scope":
        return ShareScope(value)
    if field == "tags":
        return [Strategy(v).value for v in dict.fromkeys(value or [])]
    return value


def keep_published_version(
    session: AsyncSession, *, practice: Practice, actor: str, now: datetime
) -> None:
    """Before a published practice changes: keep its text as a version, start the next one."""
    if practice.status is not PracticeStatus.published:
        return
    session.add(
        PracticeVersion(
            practice_id=practice.id,
            version=practice.version,
            snapshot=snapshot(practice),
            edited_by=actor,
            created_at=now,
        )
    )
    practice.version += 1


async def edit(
    session: AsyncSession, *, practice: Practice, changes: dict[str, Any], actor: str, now: datetime
) -> Practice:
    """Apply ``changes``; a published practice keeps its old text as a version.

    Only the published text becomes a version: further edits while a revision waits for
    review change that pending version (one version per publication, not per keystroke).
    """
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidAnswer(
            N_("These fields cannot be changed: {fields}."), fields=", ".join(sorted(unknown))
        )
    keep_published_version(session, practice=practice, actor=actor, now=now)
    content = dict(practice.content or {})
    for field, value in changes.items():
        if field in TEXT_FIELDS:
            content[field] = value
        else:
            setattr(practice, field, _coerce(field, value))
    practice.content = content  # JSON columns are replaced whole
    if practice.tags and practice.strategy is None:
        practice.strategy = Strategy(practice.tags[0])
    practice.updated_at = now
    await session.flush()
    return practice


async def versions(session: AsyncSession, *, practice: Practice) -> list[dict[str, Any]]:
    """Every version of a practice, oldest first; the last one is the current text."""
    rows = await session.scalars(
        select(PracticeVersion)
        .where(PracticeVersion.practice_id == practice.id)
        .order_by(PracticeVersion.version)
    )
    return [row.snapshot for row in rows] + [snapshot(practice)]


async def revise(
    session: AsyncSession, *, practice: Practice, changes: dict[str, Any], now: datetime
) -> Practice:
    """The author's revision: applied, and the practice goes back to review.

    A practice already waiting for review may be revised again (the bot's "Change
    something else" after a revision, or Revise in /mypractices).
    """
    practices.check_revisable(practice)
    actor = f"person:{practice.author_id}"
    await edit(session, practice=practice, changes=changes, actor=actor, now=now)
    await practices.revise(session, practice=practice, actor=actor, now=now)
    return practice


async def archive(
    session: AsyncSession, *, scope: Scope, practice_id: int, now: datetime
) -> Practice:
    """Take a practice out of the repository (search, digest, booklet); it stays readable."""
    scope.require(Permission.write_circle)
    practice = await session.scalar(
        select(Practice)
        .join(Circle, Circle.id == Practice.circle_id)
        .where(Practice.id == practice_id, scope.circle_clause())
    )
    if practice is None:
        raise NotFound(PRACTICE_NOT_FOUND)
    return await practices.archive(session, practice=practice, actor=scope.actor, now=now)


# --- adoption --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Adopted:
    """The outcome of "I'll try this"."""

    inquiry: Inquiry | None
    already: bool = False  # the teacher adopted this practice before
    busy: Inquiry | None = None  # the inquiry the teacher is piloting instead


async def adopt(
    session: AsyncSession, *, person: Person, circle: Circle, practice: Practice, now: datetime
) -> Adopted:
    """Start piloting ``practice``: a new inquiry in the pilot phase, counted as an adoption.

    A teacher still identifying (nothing piloted yet) has that inquiry turned into the
    adoption; one who is piloting or codifying another practice finishes that first.
    """
    existing = await session.scalar(
        select(Adoption).where(Adoption.practice_id == practice.id, Adoption.person_id == person.id)
    )
    if existing is not None:
        inquiry = await session.get(Inquiry, existing.inquiry_id) if existing.inquiry_id else None
        return Adopted(inquiry, already=True)
    current = await session.scalar(
        select(Inquiry)
        .where(
            Inquiry.person_id == person.id,
            Inquiry.circle_id == circle.id,
            Inquiry.phase != Phase.done,
        )
        .order_by(Inquiry.id.desc())
        .limit(1)
    )
    if current is not None and current.phase is not Phase.identify:
        return Adopted(None, busy=current)
    inquiry = current or Inquiry(
        person_id=person.id, circle_id=circle.id, phase=Phase.identify, started_at=now
    )
    inquiry.strategy = practice.strategy
    inquiry.practice = "\n\n".join(p for p in (practice.title, practice.summary) if p)
    session.add(inquiry)
    await session.flush()
    await inquiries.start_piloting(session, inquiry=inquiry, now=now)
    session.add(
        Adoption(
            practice_id=practice.id, person_id=person.id, inquiry_id=inquiry.id, created_at=now
        )
    )
    await session.flush()
    return Adopted(inquiry)
