"""Demo circles are a sandbox: kept apart from real circles wherever circles are listed.

A demo circle (``Circle.demo``: seeded by ``circles demo`` or by the web simulator) holds
seeded people and the simulator's anonymous visitors. Its rows are ordinary rows, so
every query that gathers circles by country or overall (summaries, exports, broadcast
audiences, the dashboard's overview) keeps to real circles through :func:`real_or_named`,
and a request that names a demo circle by id still reaches it. Practices stay on their
side (:func:`practice_on_side`): people of demo circles read only demo practices, and
real people never read them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from circles.models import Circle, Practice


def _named(named: Iterable[int | None] | None) -> list[int]:
    return sorted({i for i in named or () if i is not None})


def real_or_named(named: Iterable[int | None] | None = ()) -> ColumnElement[bool]:
    """A WHERE condition on :class:`Circle`: real circles, and the demo circles ``named``."""
    real = Circle.demo == false()
    ids = _named(named)
    return or_(real, Circle.id.in_(ids)) if ids else real


def listed(circle: Circle, named: Iterable[int | None] | None = ()) -> bool:
    """:func:`real_or_named` for a circle already loaded."""
    return not circle.demo or circle.id in _named(named)


def practice_on_side(demo: bool) -> ColumnElement[bool]:
    """A WHERE condition on :class:`Practice`: practices of demo circles, or of real ones."""
    return Practice.circle_id.in_(
        select(Circle.id).where(Circle.demo == (true() if demo else false()))
    )
