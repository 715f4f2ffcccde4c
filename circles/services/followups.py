"""Help requests and "what got in the way": listed until handled, answered through the outbox.

The pilot check-in asks what got in the way (``why_not``) and what the circle could help
with (``help``). The circle page lists the circle's answers to either that nobody marked
handled yet (:func:`open_requests`, newest first, at most :data:`OPEN_LIMIT`). A
facilitator (or a coordinator in scope) may reply — the words reach the teacher through
the outbox, framed in the teacher's language when it is sent ("Your facilitator {name}
replied:"), under the key ``reply-<answer id>-<n>`` so a retried request never sends twice
and a second reply is a second message — and mark the request handled, which takes it
off the list. Both are audited without the reply's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import InvalidAnswer, NotFound
from circles.i18n import N_
from circles.models import (
    Answer,
    AuditLog,
    CheckIn,
    Circle,
    Membership,
    OutboxPriority,
    Person,
    Role,
)
from circles.services.access import Permission, Scope, circle_for
from circles.services.audit import record_audit
from circles.services.outbox import enqueue, say
from circles.services.summaries import BLOCKER_KEYS
from circles.text import lines, number, t

OPEN_LIMIT = 30
#: The longest reply, as long as the longest answer a teacher may give.
REPLY_LIMIT = 2000
NAME_LIMIT = 120
REQUEST_NOT_FOUND = N_("There is no such request in this circle that you can see.")
_REPLIED = N_("Your facilitator {name} replied:")


@dataclass(frozen=True)
class Request:
    """An answer to "what got in the way" or "what the circle could help with"."""

    answer: Answer
    person_id: int
    name: str | None
    week_of: datetime


def _of_circle(circle_id: int) -> Select[tuple[Answer, str | None, datetime]]:
    """The teachers' answers to the blocker questions in the circle's check-ins."""
    return (
        select(Answer, Person.display_name, CheckIn.scheduled_for)
        .join(CheckIn, CheckIn.id == Answer.checkin_id)
        .join(Person, Person.id == Answer.person_id)
        .join(
            Membership,
            (Membership.person_id == Person.id) & (Membership.circle_id == CheckIn.circle_id),
        )
        .where(
            CheckIn.circle_id == circle_id,
            Membership.role == Role.teacher,
            Person.forgotten_at.is_(None),
            Answer.question_key.in_(BLOCKER_KEYS),
        )
    )


async def open_requests(session: AsyncSession, *, scope: Scope, circle: Circle) -> list[Request]:
    """The circle's help requests and blockers nobody marked handled, newest first."""
    scope.require(Permission.read_details)
    rows = await session.execute(
        _of_circle(circle.id or 0)
        .where(Answer.handled_at.is_(None))
        .order_by(Answer.created_at.desc(), Answer.id.desc())
        .limit(OPEN_LIMIT)
    )
    return [Request(a, a.person_id, name, week) for a, name, week in rows.all()]


async def _request(
    session: AsyncSession, *, scope: Scope, circle_id: int, answer_id: int
) -> tuple[Circle, Request]:
    """A request of a circle the scope may change; else :class:`NotFound`."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.write_circle
    )
    row = (await session.execute(_of_circle(circle.id or 0).where(Answer.id == answer_id))).first()
    if row is None:
        raise NotFound(REQUEST_NOT_FOUND)
    answer, name, week = row
    return circle, Request(answer, answer.person_id, name, week)


async def mark_handled(
    session: AsyncSession, *, scope: Scope, circle_id: int, answer_id: int, now: datetime
) -> Request:
    """Take a request off the open list (once; marking it again changes nothing)."""
    circle, request = await _request(session, scope=scope, circle_id=circle_id, answer_id=answer_id)
    if request.answer.handled_at is None:
        request.answer.handled_at, request.answer.handled_by = now, scope.actor
        await record_audit(
            session,
            actor=scope.actor,
            action="request.handled",
            now=now,
            target_type="answer",
            target_id=answer_id,
            detail={"circle_id": circle.id},
        )
    return request


async def reply(
    session: AsyncSession,
    *,
    scope: Scope,
    circle_id: int,
    answer_id: int,
    text: str,
    by: str,
    now: datetime,
) -> bool:
    """Send ``text`` to the teacher who wrote the request, signed ``by``; False if they
    cannot be reached."""
    text, by = text.strip(), by.strip()
    if not text:
        raise InvalidAnswer(N_("Please write your reply."))
    if not by:
        raise InvalidAnswer(N_("Please give your name, so the teacher knows who replied."))
    if len(by) > NAME_LIMIT:
        raise InvalidAnswer(
            N_("The name has {count} characters; the limit is {limit}."),
            count=number(len(by)),
            limit=number(NAME_LIMIT),
        )
    if len(text) > REPLY_LIMIT:
        raise InvalidAnswer(
            N_("The reply has {count} characters; the limit is {limit}."),
            count=number(len(text)),
            limit=number(REPLY_LIMIT),
        )
    circle, request = await _request(session, scope=scope, circle_id=circle_id, answer_id=answer_id)
    earlier = await session.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(
            AuditLog.action == "request.reply",
            AuditLog.target_type == "answer",
            AuditLog.target_id == answer_id,
        )
    )
    teacher = await session.get_one(Person, request.person_id)
    sent = await enqueue(
        session,
        to=teacher,
        payload=say(lines(t(_REPLIED, name=by), "", text)),
        key=f"reply-{answer_id}-{(earlier or 0) + 1}",
        now=now,
        priority=OutboxPriority.reply,
    )
    await record_audit(
        session,
        actor=scope.actor,
        action="request.reply",
        now=now,
        target_type="answer",
        target_id=answer_id,
        detail={"circle_id": circle.id, "sent": sent, "length": len(text)},
    )
    return sent
