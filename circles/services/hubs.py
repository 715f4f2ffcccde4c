"""Hubs: named groups of circles (a region, a country) that coordinators manage.

A hub's name is unique; a circle may belong to several hubs. A *national* hub names its
country and holds only that country's circles; a *regional* one may span countries.
Coordinators of every country and admins create any hub; a coordinator limited to some
countries creates national hubs of those countries, and sees the national hubs of their
countries and the regional hubs that hold one of their circles (any other hub answers
like one that does not exist). Audiences of broadcasts and exchange sessions and the hub
summary name hubs by id; a summary reads only the hub's circles in the reader's scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import Conflict, Forbidden, InvalidAnswer, NotFound
from circles.i18n import N_
from circles.models import Circle, Hub, HubCircle, HubKind
from circles.services.access import Permission, Scope, visible_circle
from circles.services.audit import record_audit
from circles.services.circles import is_country

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


def visible_hubs(scope: Scope) -> ColumnElement[bool]:
    """A WHERE condition on :class:`Hub` that keeps the hubs ``scope`` sees."""
    if scope.circle_ids is not None:
        return false()
    if scope.countries is None:
        return true()
    in_scope = (
        select(HubCircle.id)
        .join(Circle, Circle.id == HubCircle.circle_id)
        .where(HubCircle.hub_id == Hub.id, scope.circle_clause())
        .exists()
    )
    return or_(Hub.country.in_(sorted(scope.countries)), Hub.country.is_(None) & in_scope)


async def create_hub(
    session: AsyncSession,
    *,
    scope: Scope,
    name: str,
    kind: HubKind,
    now: datetime,
    country: str | None = None,
) -> Hub:
    """Create a hub (coordinators, admins); names are unique, a national hub names its
    country."""
    scope.require(Permission.manage_circles)
    name = name.strip()
    if not name or len(name) > 120:
        raise InvalidAnswer(N_("A hub needs a name of 1 to 120 characters."))
    kind = HubKind(kind)
    country = country.upper() if country else None
    if kind is HubKind.national and (country is None or not is_country(country)):
        raise InvalidAnswer(N_("A national hub needs a two-letter country code."))
    if kind is HubKind.regional and country is not None:
        raise InvalidAnswer(N_("A regional hub has no country; its circles may be anywhere."))
    if scope.countries is not None and (country is None or country not in scope.countries):
        raise Forbidden(
            N_("This token may create national hubs of {countries} only."),
            countries=", ".join(sorted(scope.countries)),
        )
    if await session.scalar(select(Hub.id).where(Hub.name == name)) is not None:
        raise Conflict(N_("A hub called {name} already exists."), name=name)
    hub = Hub(name=name, kind=kind, country=country, created_at=now)
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
    hub = await session.scalar(select(Hub).where(Hub.id == hub_id, visible_hubs(scope)))
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
    if row.hub.country is not None and circle.country != row.hub.country:
        raise InvalidAnswer(
            N_("A national hub holds circles of {country} only."), country=row.hub.country
        )
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
        .where(visible_hubs(scope))
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
