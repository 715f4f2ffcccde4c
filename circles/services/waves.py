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
made through the ORM, at flush (:func:`_forget_changed`). A change made another way
(a bulk ``UPDATE``, a person's identity becoming reachable again when they write) is
seen at the circle's next re-check: every mark comes due within :data:`RECHECK` (spread
over a further hour by circle id, so that a million circles planned in one wave are not
all re-checked in the same minute). A person who writes can always ask for their
check-in themselves (``/checkin``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from circles.models import (
    Circle,
    Holiday,
    Identity,
    Meeting,
    Membership,
    Person,
    SchoolYear,
    WaveMark,
)

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
    await session.execute(delete(WaveMark).where(WaveMark.circle_id.in_(list(marks))))
    await session.execute(
        insert(WaveMark),
        [{"circle_id": circle_id, "replan_at": when} for circle_id, when in marks.items()],
    )


# --- forgetting marks when something changes -----------------------------------------

#: Per model, the attributes whose change can make a check-in due (None: any change,
#: and a new or deleted row).
_WATCHED: dict[type, frozenset[str] | None] = {
    Membership: frozenset({"role", "circle_id", "joined_at"}),
    Person: frozenset({"consent", "paused_until", "timezone", "forgotten_at"}),
    Identity: frozenset({"unreachable_at", "person_id", "channel", "address"}),
    Circle: frozenset(
        {"cadence", "checkin_weekday", "checkin_time", "timezone", "days_before_meeting"}
    ),
    Holiday: None,
    Meeting: frozenset({"starts_at", "status", "circle_id"}),
    SchoolYear: frozenset({"status", "starts_on", "circle_id"}),
}


def _changed(instance: Any, attributes: frozenset[str] | None) -> bool:
    """Whether one of ``attributes`` of a dirty ``instance`` changed in this flush."""
    if attributes is None:
        return True
    state = instance._sa_instance_state
    return any(state.attrs[name].history.has_changes() for name in attributes)


def _affected(session: Session) -> tuple[set[int], set[int], set[str]]:
    """The circles, people and countries whose plans this flush's changes can touch."""
    circles: set[int] = set()
    people: set[int] = set()
    countries: set[str] = set()
    touched = [(obj, False) for obj in (*session.new, *session.deleted)]
    touched += [(obj, True) for obj in session.dirty]
    for obj, dirty in touched:
        kind = type(obj)
        if kind not in _WATCHED or (dirty and not _changed(obj, _WATCHED[kind])):
            continue
        if kind is Person:
            if dirty:  # a new person has no membership yet; a deleted one needs none
                people.add(obj.id)
        elif kind is Identity:
            people.add(obj.person_id)
        elif kind is Circle:
            if dirty:  # a new circle has no mark; a deleted one takes its mark with it
                circles.add(obj.id)
        elif kind is Holiday:
            if obj.circle_id is not None:
                circles.add(obj.circle_id)
            if obj.country is not None:
                countries.add(obj.country)
        else:
            circles.add(obj.circle_id)
    circles.discard(None)  # type: ignore[arg-type]
    people.discard(None)  # type: ignore[arg-type]
    return circles, people, countries


@event.listens_for(Session, "after_flush")
def _forget_changed(session: Session, _flush_context: Any) -> None:
    """Delete the marks of the circles this flush's changes can make something due in.

    ``after_flush`` still sees the flush's new, dirty and deleted objects and their
    attribute history; the ``DELETE`` goes on the flush's own connection, in its
    transaction (under asyncio this runs inside the session's greenlet, so it may emit
    SQL).
    """
    circles, people, countries = _affected(session)
    if not (circles or people or countries):
        return
    which = []
    if circles:
        which.append(WaveMark.circle_id.in_(sorted(circles)))
    if people:
        which.append(
            WaveMark.circle_id.in_(
                select(Membership.circle_id).where(Membership.person_id.in_(sorted(people)))
            )
        )
    if countries:
        which.append(
            WaveMark.circle_id.in_(select(Circle.id).where(Circle.country.in_(sorted(countries))))
        )
    session.connection().execute(delete(WaveMark).where(or_(*which)))


__all__ = ["RECHECK", "due_circles", "mark", "replan_at"]
