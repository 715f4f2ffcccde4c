"""Which circles the check-in planner needs to look at: wave marks.

The check-in sweep runs every minute. Without marks it read every member, their
check-ins and phases each time to find, most minutes, that nothing was due: 127 s at a
million members (``bench.million``). Now, when the planner has planned a circle, it
writes a :class:`~circles.models.WaveMark`: the instant it next needs to look at that
circle (:func:`replan_at`), and a sweep plans only the circles whose mark has come or
that have none (:func:`due_circles`).

Whatever can make a check-in due before that instant deletes the circle's mark, so the
next sweep plans it: a membership added or changed, a person's consent, pause, timezone
or identities, the circle's calendar, a holiday of the circle or its country, a meeting
(``before_meeting`` circles), a school year. That is done in one place for every change
made through the ORM, at flush (:mod:`circles.marks`). A change made another way
(a bulk ``UPDATE``, a person's identity becoming reachable again when they write) is
seen at the circle's next re-check: every mark comes due within :data:`RECHECK` (spread
over a further hour by circle id, so that a million circles planned in one wave are not
all re-checked in the same minute). A person who writes can always ask for their
check-in themselves (``/checkin``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.db import among, bulk_insert
from circles.models import Circle, WaveMark

#: A circle is looked at again within this time (plus up to an hour by circle id) even
#: when nothing it knows of is due: the bound on a change the marks did not hear of.
RECHECK = timedelta(hours=1)


def replan_at(circle_id: int, now: datetime, upcoming: Iterable[datetime]) -> datetime:
    """When to look at circle ``circle_id`` next: the earliest of ``upcoming`` (its
    members' next openings, the end of a pause, …) after ``now``, and the re-check."""
    recheck = now + RECHECK + timedelta(seconds=circle_id % 3600)
    return min([recheck, *(when for when in upcoming if when > now)])


async def due_circles(session: AsyncSession, *, now: datetime) -> list[int]:
    """The ids of the circles to plan at ``now``, in order: without a mark, or whose mark
    has come (one query over circles and marks)."""
    rows = await session.scalars(
        select(Circle.id)
        .outerjoin(WaveMark, WaveMark.circle_id == Circle.id)
        .where(or_(WaveMark.replan_at.is_(None), WaveMark.replan_at <= now))
        .order_by(Circle.id)
    )
    return list(rows)


async def mark(session: AsyncSession, marks: Mapping[int, datetime]) -> None:
    """Record that each circle of ``marks`` was planned and when to look at it next."""
    if not marks:
        return
    await session.execute(delete(WaveMark).where(among(session, WaveMark.circle_id, list(marks))))
    await bulk_insert(
        session,
        WaveMark.__table__,
        [{"circle_id": circle_id, "replan_at": when} for circle_id, when in marks.items()],
    )


__all__ = ["RECHECK", "due_circles", "mark", "replan_at"]
