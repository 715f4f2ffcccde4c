"""The practice's status machine, one named transition each.

draft → in_review (submitted) → published | changes_requested; an author's revision of
an in-review, changes-requested or published practice → in_review again; anything not
archived → archived. Nothing else assigns ``Practice.status``; every transition checks
the status it leaves and writes one audit row (never the text or a comment).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import InvalidTransition
from circles.i18n import N_
from circles.models import Practice, PracticeStatus
from circles.services.audit import record_audit

NOT_IN_REVIEW = N_("This practice is not awaiting review; its status is {status}.")
CANNOT_REVISE = N_("This practice cannot be revised now; its status is {status}.")
ARCHIVED_ALREADY = N_("This practice is archived already.")
CANNOT_SUBMIT = N_("This practice cannot be sent for review now; its status is {status}.")

#: What a codified practice may be (re)submitted from: new, or its answers edited later.
SUBMITTABLE = (
    PracticeStatus.draft,
    PracticeStatus.in_review,
    PracticeStatus.changes_requested,
    PracticeStatus.published,
)
#: What an author may revise (again while the revision still waits for review).
REVISABLE = (PracticeStatus.in_review, PracticeStatus.changes_requested, PracticeStatus.published)


async def _move(
    session: AsyncSession,
    practice: Practice,
    *,
    target: PracticeStatus,
    actor: str,
    action: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> Practice:
    practice.status = target
    practice.updated_at = now
    if practice.id is None:
        session.add(practice)
        await session.flush()
    await record_audit(
        session,
        actor=actor,
        action=action,
        now=now,
        target_type="practice",
        target_id=practice.id,
        detail={"circle_id": practice.circle_id, **(detail or {})},
    )
    return practice


async def submit_for_review(
    session: AsyncSession, *, practice: Practice, actor: str, now: datetime
) -> Practice:
    """The author codified the practice (or edited its answers): it waits for review."""
    if practice.status not in SUBMITTABLE:
        raise InvalidTransition(CANNOT_SUBMIT, status=practice.status.value)
    return await _move(
        session,
        practice,
        target=PracticeStatus.in_review,
        actor=actor,
        action="practice.submit",
        now=now,
    )


async def publish(
    session: AsyncSession, *, practice: Practice, actor: str, author_notified: bool, now: datetime
) -> Practice:
    """A reviewer approved the practice: it enters the evidence repository."""
    if practice.status is not PracticeStatus.in_review:
        raise InvalidTransition(NOT_IN_REVIEW, status=practice.status.value)
    practice.published_at = now
    return await _move(
        session,
        practice,
        target=PracticeStatus.published,
        actor=actor,
        action="practice.approve",
        now=now,
        detail={"author_notified": author_notified},
    )


async def request_changes(
    session: AsyncSession,
    *,
    practice: Practice,
    actor: str,
    comment: str,
    author_notified: bool,
    now: datetime,
) -> Practice:
    """A reviewer sent the practice back with ``comment`` (audited by its length only)."""
    if practice.status is not PracticeStatus.in_review:
        raise InvalidTransition(NOT_IN_REVIEW, status=practice.status.value)
    practice.review_comment = comment
    return await _move(
        session,
        practice,
        target=PracticeStatus.changes_requested,
        actor=actor,
        action="practice.request_changes",
        now=now,
        detail={"author_notified": author_notified, "comment_length": len(comment)},
    )


def check_revisable(practice: Practice) -> None:
    """Refuse before any change is applied when the author may not revise now."""
    if practice.status not in REVISABLE:
        raise InvalidTransition(CANNOT_REVISE, status=practice.status.value)


async def revise(
    session: AsyncSession, *, practice: Practice, actor: str, now: datetime
) -> Practice:
    """The author revised the practice: it goes back to review."""
    check_revisable(practice)
    return await _move(
        session,
        practice,
        target=PracticeStatus.in_review,
        actor=actor,
        action="practice.revise",
        now=now,
    )


async def archive(
    session: AsyncSession, *, practice: Practice, actor: str, now: datetime
) -> Practice:
    """Take the practice out of search, the digest and the booklet; it stays readable."""
    if practice.status is PracticeStatus.archived:
        raise InvalidTransition(ARCHIVED_ALREADY)
    practice.archived_at = now
    return await _move(
        session,
        practice,
        target=PracticeStatus.archived,
        actor=actor,
        action="practice.archive",
        now=now,
    )
