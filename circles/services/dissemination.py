"""The opt-out digest: each circle receives published practices from other circles.

Every ``circle.share_every_days`` days (14 by default; 0 turns it off) the sweep picks
one published practice from another circle that may travel to this one (share scope
``everyone``, or ``country`` within the same country, and from the same side of the
sandbox: demo circles receive only demo practices, real circles never receive them), that
the circle has not been sent before, preferring the circle's language, then the most
adopted, then the newest. It is sent on a working day from 10:00 in the circle's
timezone, outside holidays (the circle's and its country's), to every member who
consented, has not turned the digest off (``person.practice_digest``), is reachable and
not paused; quiet hours hold a message until the morning. Each member's message is in
their language, with a note when the practice is in another language, and carries "I'll
try this" and "Stop these messages" buttons. A :class:`PracticeShare` row per circle and
practice plus per-person idempotency keys make a rerun send nothing twice.

This module decides what goes to whom; the message itself is composed and queued by
:mod:`bot.flows.sharing` (its buttons are typed actions of the bot's codec).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.db import insert_or_skip
from circles.models import (
    Adoption,
    Circle,
    Holiday,
    Membership,
    Person,
    Practice,
    PracticeShare,
    PracticeStatus,
    ShareScope,
)
from circles.services import repository
from circles.services.sandbox import practice_on_side
from circles.services.schedule import in_holidays
from circles.services.scheduling import holidays_by_circle, idle_circles, reachable

#: Local time from which the digest goes out, on Monday to Friday.
SEND_FROM = time(10, 0)


@dataclass(frozen=True)
class Shared:
    """One circle's digest: the practice and how many members it was queued for."""

    circle_id: int
    practice_id: int
    queued: int


def _due(circle: Circle, last: datetime | None, holidays: list[Holiday], now: datetime) -> bool:
    if circle.share_every_days <= 0:
        return False
    if last is not None and now - last < timedelta(days=circle.share_every_days):
        return False
    local = now.astimezone(ZoneInfo(circle.timezone))
    if local.weekday() >= 5 or local.time() < SEND_FROM:
        return False
    return not in_holidays(holidays, now, circle.timezone)


async def pick(session: AsyncSession, *, circle: Circle) -> int | None:
    """The practice to send ``circle`` next, or None when there is nothing new for it."""
    adoptions = (
        select(func.count())
        .select_from(Adoption)
        .where(Adoption.practice_id == Practice.id)
        .scalar_subquery()
    )
    return await session.scalar(
        select(Practice.id)
        .where(
            Practice.status == PracticeStatus.published,
            Practice.circle_id != circle.id,
            practice_on_side(circle.demo),
            or_(
                Practice.share_scope == ShareScope.everyone,
                and_(
                    Practice.share_scope == ShareScope.country,
                    Practice.country == circle.country,
                ),
            ),
            ~exists().where(
                PracticeShare.circle_id == circle.id, PracticeShare.practice_id == Practice.id
            ),
        )
        .order_by(
            case((Practice.language == circle.language, 0), else_=1),
            adoptions.desc(),
            Practice.published_at.desc(),
            Practice.id,
        )
        .limit(1)
    )


async def record_share(
    session: AsyncSession, *, circle: Circle, practice_id: int, now: datetime
) -> tuple[repository.Found, list[Person]]:
    """Record that ``circle`` gets the practice; the practice and the members to send it to."""
    await session.execute(
        insert_or_skip(session, PracticeShare)
        .values(circle_id=circle.id, practice_id=practice_id, sent_at=now)
        .on_conflict_do_nothing(index_elements=["circle_id", "practice_id"])
    )
    found = (await repository.found(session, [practice_id]))[0]
    members = await session.scalars(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.circle_id == circle.id,
            reachable(now),
            Person.practice_digest.is_(True),
        )
        .order_by(Person.id)
    )
    return found, list(members)


async def due_circles(session: AsyncSession, *, now: datetime) -> list[Circle]:
    """The circles due their next practice now (working day, morning, not a holiday)."""
    last = (
        select(PracticeShare.circle_id, func.max(PracticeShare.sent_at).label("last"))
        .group_by(PracticeShare.circle_id)
        .subquery()
    )
    rows = (
        await session.execute(
            select(Circle, last.c.last)
            .outerjoin(last, last.c.circle_id == Circle.id)
            .where(Circle.share_every_days > 0, not_(idle_circles(now.date())))
            .order_by(Circle.id)
        )
    ).all()
    holidays = await holidays_by_circle(session)
    return [circle for circle, sent in rows if _due(circle, sent, holidays.get(circle.id, []), now)]
