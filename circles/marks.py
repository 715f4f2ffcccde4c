"""Forget the check-in planner's wave marks of the circles a change touches.

The planner (:mod:`circles.services.waves`) looks at a circle again only when its mark
comes due; whatever can make a check-in due before then deletes the mark here, at flush,
for every change made through the ORM in any process (the API, the bot, the CLI, the
scheduler): a membership, a person's consent, pause, timezone or identities, the
circle's calendar, a holiday of the circle or its country, a meeting, a school year.
Installed on import: :func:`circles.db.create_sessionmaker` imports this module.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, event, inspect, or_, select
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

#: Per model, the attributes whose change can make a check-in due (None: any change,
#: and a new or deleted row).
_WATCHED: dict[type, frozenset[str] | None] = {
    Membership: frozenset({"role", "circle_id", "joined_at"}),
    Person: frozenset({"consent", "paused_until", "timezone", "forgotten_at"}),
    Identity: frozenset({"unreachable_at", "person_id", "channel", "address"}),
    Circle: frozenset(
        {"cadence", "checkin_weekday", "checkin_time", "timezone", "days_before_meeting", "country"}
    ),
    Holiday: None,
    Meeting: frozenset({"starts_at", "status", "circle_id"}),
    SchoolYear: frozenset({"status", "starts_on", "circle_id"}),
}


def _changed(instance: Any, attributes: frozenset[str] | None) -> bool:
    """Whether one of ``attributes`` of a dirty ``instance`` changed in this flush."""
    if attributes is None:
        return True
    state = inspect(instance)
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
