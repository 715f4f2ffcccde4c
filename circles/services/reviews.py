"""Facilitator review of codified practices before they enter the evidence repository.

A practice waits ``in_review`` after its author codified it. A reviewer approves it
(``published``, with ``published_at``) or requests changes with a comment
(``changes_requested`` and ``review_comment``). Either way the author hears about it
in the bot through the outbox, in their language when it is sent; the n-th review of a practice has
the idempotency key ``practice-review-<id>-<n>``, so a retried request never sends twice.
Every review is audited without the comment's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import InvalidAnswer, InvalidTransition, NotFound
from circles.i18n import N_
from circles.models import (
    AuditLog,
    Circle,
    OutboxPriority,
    Person,
    Practice,
    PracticeStatus,
)
from circles.services import practices, repository
from circles.services.access import Permission, Scope
from circles.services.audit import record_audit
from circles.services.outbox import enqueue, say
from circles.services.pagination import Page, keyset, page_of
from circles.services.sandbox import real_or_named
from circles.text import lines, number, t

PRACTICE_NOT_FOUND = N_("There is no practice with this id that you can see.")
#: The longest review comment, as long as the longest answer a teacher may give.
COMMENT_LIMIT = 2000
_REVIEW_ACTIONS = ("practice.approve", "practice.request_changes")

_APPROVED = N_(
    "Good news: your practice “{title}” was reviewed and is now published in the "
    "evidence repository. Thank you for sharing it!"
)
_CHANGES = N_("Your practice “{title}” was reviewed. Your facilitator asks for some changes:")
_REVISE = N_("Revise")


@dataclass(frozen=True)
class PracticeRow:
    """A practice with its circle's name and its author's name (None when erased)."""

    practice: Practice
    circle_name: str
    author_name: str | None


@dataclass(frozen=True)
class Reviewed:
    """The reviewed practice and whether its author was sent a message."""

    row: PracticeRow
    author_notified: bool


def _query() -> Select[tuple[Practice, str, str | None]]:
    return (
        select(Practice, Circle.name, Person.display_name)
        .join(Circle, Circle.id == Practice.circle_id)
        .outerjoin(Person, Person.id == Practice.author_id)
    )


async def list_practices(
    session: AsyncSession,
    *,
    scope: Scope,
    cursor: str | None,
    limit: int,
    status: PracticeStatus | None = None,
    circle_id: int | None = None,
) -> Page[PracticeRow]:
    """Practices of the circles in scope, oldest first (a review queue with ``in_review``)."""
    query = _query().where(
        scope.circle_clause(), real_or_named([circle_id, *(scope.circle_ids or ())])
    )
    if status is not None:
        query = query.where(Practice.status == status)
    if circle_id is not None:
        query = query.where(Practice.circle_id == circle_id)
    rows = (await session.execute(keyset(query, Practice.id, cursor=cursor, limit=limit))).all()
    page = page_of(rows, limit=limit, last_id=lambda row: row[0].id)
    return Page([PracticeRow(p, c, a) for p, c, a in page.items], page.next_cursor)


async def get_practice(session: AsyncSession, *, scope: Scope, practice_id: int) -> PracticeRow:
    """A practice of a circle in scope; any other is reported as missing."""
    row = (
        await session.execute(_query().where(Practice.id == practice_id, scope.circle_clause()))
    ).first()
    if row is None:
        raise NotFound(PRACTICE_NOT_FOUND)
    return PracticeRow(row[0], row[1], row[2])


async def _awaiting_review(session: AsyncSession, scope: Scope, practice_id: int) -> PracticeRow:
    scope.require(Permission.write_circle)
    row = await get_practice(session, scope=scope, practice_id=practice_id)
    if row.practice.status is not PracticeStatus.in_review:
        raise InvalidTransition(practices.NOT_IN_REVIEW, status=row.practice.status.value)
    return row


async def _tell_author(
    session: AsyncSession, practice: Practice, message: str, comment: str | None, now: datetime
) -> bool:
    """Queue the review's message to the author's private chat, if they can be reached."""
    author = await session.get(Person, practice.author_id) if practice.author_id else None
    if author is None or author.forgotten_at is not None:
        return False
    reviews = await session.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(
            AuditLog.target_type == "practice",
            AuditLog.target_id == practice.id,
            AuditLog.action.in_(_REVIEW_ACTIONS),
        )
    )
    text = t(message, title=practice.title)
    # changes requested: the message carries the Revise button of /mypractices
    offers = [] if comment is None else [(t(_REVISE), "revise_practice", practice.id)]
    return await enqueue(
        session,
        to=author,
        payload=say(text if comment is None else lines(text, "", comment), offers),
        key=f"practice-review-{practice.id}-{(reviews or 0) + 1}",
        now=now,
        priority=OutboxPriority.reply,
    )


async def approve_practice(
    session: AsyncSession, *, scope: Scope, practice_id: int, now: datetime
) -> Reviewed:
    """Publish a practice that awaits review and tell its author."""
    row = await _awaiting_review(session, scope, practice_id)
    practice = row.practice
    notified = await _tell_author(session, practice, _APPROVED, None, now)
    await practices.publish(
        session, practice=practice, actor=scope.actor, author_notified=notified, now=now
    )
    return Reviewed(row, notified)


async def request_changes(
    session: AsyncSession, *, scope: Scope, practice_id: int, comment: str, now: datetime
) -> Reviewed:
    """Send a practice back to its author with ``comment`` (the author receives it verbatim)."""
    comment = comment.strip()
    if not comment:
        raise InvalidAnswer(N_("Please write what the author should change."))
    if len(comment) > COMMENT_LIMIT:
        raise InvalidAnswer(
            N_("The comment has {count} characters; the limit is {limit}."),
            count=number(len(comment)),
            limit=number(COMMENT_LIMIT),
        )
    row = await _awaiting_review(session, scope, practice_id)
    practice = row.practice
    notified = await _tell_author(session, practice, _CHANGES, comment, now)
    await practices.request_changes(
        session,
        practice=practice,
        actor=scope.actor,
        comment=comment,
        author_notified=notified,
        now=now,
    )
    return Reviewed(row, notified)


async def edit_practice(
    session: AsyncSession,
    *,
    scope: Scope,
    practice_id: int,
    changes: dict[str, Any],
    now: datetime,
) -> PracticeRow:
    """A reviewer's edit of a practice in scope, audited by the names of the fields changed."""
    scope.require(Permission.write_circle)
    row = await get_practice(session, scope=scope, practice_id=practice_id)
    await repository.edit(
        session, practice=row.practice, changes=changes, actor=scope.actor, now=now
    )
    await record_audit(
        session,
        actor=scope.actor,
        action="practice.edit",
        now=now,
        target_type="practice",
        target_id=practice_id,
        detail={"circle_id": row.practice.circle_id, "fields": sorted(changes)},
    )
    return row


async def count_awaiting_review(session: AsyncSession, *, scope: Scope) -> int:
    """How many practices of the circles in scope wait for review."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(Practice)
            .join(Circle, Circle.id == Practice.circle_id)
            .where(
                scope.circle_clause(),
                real_or_named(scope.circle_ids),
                Practice.status == PracticeStatus.in_review,
            )
        )
        or 0
    )
