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


#: Each transition by its audit action: the statuses it may leave, where it goes, and
#: the refusal otherwise.
_STEPS: dict[str, tuple[tuple[PracticeStatus, ...], PracticeStatus, str]] = {
    "practice.submit": (SUBMITTABLE, PracticeStatus.in_review, CANNOT_SUBMIT),
    "practice.approve": ((PracticeStatus.in_review,), PracticeStatus.published, NOT_IN_REVIEW),
    "practice.request_changes": (
        (PracticeStatus.in_review,),
        PracticeStatus.changes_requested,
        NOT_IN_REVIEW,
    ),
    "practice.revise": (REVISABLE, PracticeStatus.in_review, CANNOT_REVISE),
    "practice.archive": (
        tuple(s for s in PracticeStatus if s is not PracticeStatus.archived),
        PracticeStatus.archived,
        ARCHIVED_ALREADY,
    ),
}


def _check(practice: Practice, action: str) -> PracticeStatus:
    """Refuse ``action`` from the practice's status; otherwise the status it moves to."""
    allowed, target, refusal = _STEPS[action]
    if practice.status not in allowed:
        raise InvalidTransition(refusal, status=practice.status.value)
    return target


async def _move(
    session: AsyncSession,
    practice: Practice,
    action: str,
    *,
    actor: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
    **fields: Any,
) -> Practice:
    """Check and make the transition ``action``, setting ``fields`` too, and audit it."""
    practice.status = _check(practice, action)
    for name, value in fields.items():
        setattr(practice, name, value)
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
    return await _move(session, practice, "practice.submit", actor=actor, now=now)


async def publish(
    session: AsyncSession, *, practice: Practice, actor: str, author_notified: bool, now: datetime
) -> Practice:
    """A reviewer approved the practice: it enters the evidence repository."""
    return await _move(
        session,
        practice,
        "practice.approve",
        actor=actor,
        now=now,
        detail={"author_notified": author_notified},
        published_at=now,
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
    return await _move(
        session,
        practice,
        "practice.request_changes",
        actor=actor,
        now=now,
        detail={"author_notified": author_notified, "comment_length": len(comment)},
        review_comment=comment,
    )


def check_revisable(practice: Practice) -> None:
    """Refuse before any change is applied when the author may not revise now."""
    _check(practice, "practice.revise")


async def revise(
    session: AsyncSession, *, practice: Practice, actor: str, now: datetime
) -> Practice:
    """The author revised the practice: it goes back to review."""
    return await _move(session, practice, "practice.revise", actor=actor, now=now)


async def archive(
    session: AsyncSession, *, practice: Practice, actor: str, now: datetime
) -> Practice:
    """Take the practice out of search, the digest and the booklet; it stays readable."""
    return await _move(session, practice, "practice.archive", actor=actor, now=now, archived_at=now)
