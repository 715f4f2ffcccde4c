"""``circles hub create|add|list``: named groups of circles that coordinators manage."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from circles.clock import SystemClock
from circles.models import HubKind, TokenRole
from circles.services import hubs as hub_service
from circles.services.access import Scope
from circles_cli.common import in_transaction, settings_or_exit
from circles_cli.holidays import _circle

hub_app = typer.Typer(
    help="Hubs: named groups of circles (regional or national) for sessions and summaries.",
    no_args_is_help=True,
)
#: The command line acts with every right, and the audit log names it.
OPERATOR = Scope("cli", TokenRole.admin)


@hub_app.command("create")
def hub_create(
    name: Annotated[str, typer.Option(help="A unique name, e.g. 'West Africa'.")],
    kind: Annotated[HubKind, typer.Option(help="regional or national.")] = HubKind.regional,
    country: Annotated[
        str | None,
        typer.Option(help="A national hub's country code, e.g. GH.", show_default=False),
    ] = None,
) -> None:
    """Create a hub."""
    settings = settings_or_exit()

    async def work(session: AsyncSession) -> str:
        hub = await hub_service.create_hub(
            session,
            scope=OPERATOR,
            name=name,
            kind=kind,
            country=country,
            now=SystemClock().now(),
        )
        return f"Hub {hub.id} created: {hub.name} ({hub.kind.value})"

    typer.echo(in_transaction(settings, work))


@hub_app.command("add")
def hub_add(
    hub: Annotated[str, typer.Option("--hub", help="The hub, by name.")],
    circle: Annotated[str, typer.Option("--circle", help="The circle, by name or id.")],
) -> None:
    """Add a circle to a hub."""
    settings = settings_or_exit()

    async def work(session: AsyncSession) -> str:
        found = await hub_service.find_hub(session, name=hub)
        added = await _circle(session, circle)
        row = await hub_service.add_circle(
            session,
            scope=OPERATOR,
            hub_id=found.id or 0,
            circle_id=added.id or 0,
            now=SystemClock().now(),
        )
        return f"{added.name} is in {found.name} ({len(row.circle_ids)} circles)"

    typer.echo(in_transaction(settings, work))


@hub_app.command("list")
def hub_list() -> None:
    """List hubs: id, name, kind, country, number of circles."""
    settings = settings_or_exit()

    async def work(session: AsyncSession) -> list[str]:
        return [
            f"{hub.id}\t{hub.name}\t{hub.kind.value}\t{hub.country or ''}\t{count}"
            for hub, count in await hub_service.list_hubs(session, scope=OPERATOR)
        ]

    for line in in_transaction(settings, work):
        typer.echo(line)
