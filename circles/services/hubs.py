"""Hubs: named groups of circles (a region, a country) that coordinators manage.

A hub's name is unique; a circle may belong to several hubs. Coordinators and admins
create hubs and add circles they can see; audiences of broadcasts and exchange sessions
and the hub summary name hubs by id. A hub's circles outside a coordinator's countries
stay invisible to that coordinator (the summary reads only circles in the scope).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import Conflict, InvalidAnswer, NotFound
from circles.i18n import N_
from circles.models import Circle, Hub, HubCircle, HubKind
from circles.services.access import Permission, Scope, visible_circle
from circles.services.audit import record_audit

NO_SUCH_HUB = N_("There is no hub with this id.")


@dataclass(frozen=True)
class HubRow:
    """A hub and the ids of its circles the reader can see."""

    hub: Hub
    circle_ids: list[int]


def hub_circle_ids(hub_id: int) -> Select[tuple[int]]:
    """The ids of a hub's circles, as a subquery."""
    return select(HubCircle.circle_id).where(HubCircle.hub_id == hub_id)


def hubs_circle_ids(hub_ids: tuple[int, ...] | list[int]) -> Select[tuple[int]]:
    """The ids of the circles of any of ``hub_ids``, as a subquery."""
    return select(HubCircle.circle_id).where(HubCircle.hub_id.in_(list(hub_ids)))


async def create_hub(
    session: AsyncSession, *, scope: Scope, name: str, kind: HubKind, now: datetime
) -> Hub:
    """Create a hub (coordinators, admins); names are unique."""
    scope.require(Permission.manage_circles)
    name = name.strip()
    if not name or len(name) > 120:
        raise InvalidAnswer(N_("A hub needs a name of 1 to 120 characters."))
    if await session.scalar(select(Hub.id).where(Hub.name == name)) is not None:
        raise Conflict(N_("A hub called {name} already exists."), name=name)
    hub = Hub(name=name, kind=kind, created_at=now)
    session.add(hub)
    await session.flush()
    await record_audit(
        session,
        now=now,
        actor=scope.actor,
        action="hub.create",
        target_type="hub",
        target_id=hub.id,
    )
    return hub


async def get_hub(session: AsyncSession, *, scope: Scope, hub_id: int) -> HubRow:
    """One hub with the circles of it the scope covers."""
    scope.require(Permission.manage_circles)
    hub = await session.get(Hub, hub_id)
    if hub is None:
        raise NotFound(NO_SUCH_HUB)
    ids = await session.scalars(
        select(Circle.id)
        .where(Circle.id.in_(hub_circle_ids(hub_id)), scope.circle_clause())
        .order_by(Circle.id)
    )
    return HubRow(hub, list(ids))


async def find_hub(session: AsyncSession, *, name: str) -> Hub:
    """The hub called ``name`` (the command line names hubs)."""
    hub = await session.scalar(select(Hub).where(Hub.name == name.strip()))
    if hub is None:
        raise NotFound(N_("There is no hub called {name}."), name=name)
    return hub


async def add_circle(
    session: AsyncSession, *, scope: Scope, hub_id: int, circle_id: int, now: datetime
) -> HubRow:
    """Put a circle the scope covers in a hub (again: nothing changes)."""
    row = await get_hub(session, scope=scope, hub_id=hub_id)
    circle = await visible_circle(session, scope=scope, circle_id=circle_id)
    if circle.id not in row.circle_ids:
        session.add(HubCircle(hub_id=hub_id, circle_id=circle.id))
        await session.flush()
        await record_audit(
            session,
            now=now,
            actor=scope.actor,
            action="hub.add_circle",
            target_type="hub",
            target_id=hub_id,
            detail={"circle_id": circle.id},
        )
    return await get_hub(session, scope=scope, hub_id=hub_id)


async def list_hubs(session: AsyncSession, *, scope: Scope) -> list[tuple[Hub, int]]:
    """Every hub by name, with how many of its circles the scope covers."""
    scope.require(Permission.manage_circles)
    counted = (
        select(HubCircle.hub_id, func.count().label("n"))
        .join(Circle, Circle.id == HubCircle.circle_id)
        .where(scope.circle_clause())
        .group_by(HubCircle.hub_id)
        .subquery()
    )
    rows = await session.execute(
        select(Hub, func.coalesce(counted.c.n, 0))
        .outerjoin(counted, counted.c.hub_id == Hub.id)
        .order_by(Hub.name)
    )
    return [(hub, count) for hub, count in rows.all()]


async def check_hubs(session: AsyncSession, hub_ids: tuple[int, ...]) -> None:
    """Refuse an audience that names a hub that does not exist."""
    if not hub_ids:
        return
    found = set(await session.scalars(select(Hub.id).where(Hub.id.in_(list(hub_ids)))))
    missing = sorted(set(hub_ids) - found)
    if missing:
        raise InvalidAnswer(N_("There is no hub with the id {id}."), id=str(missing[0]))
