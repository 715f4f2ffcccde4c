"""``circles holiday add|list|remove``: school holidays of a circle or a whole country."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from circles.clock import SystemClock
from circles.errors import NotFound
from circles.models import Circle, Holiday, TokenRole
from circles.services import circles as circle_service
from circles.services import holidays as holiday_service
from circles.services.access import Scope
from circles_cli.common import fail, in_transaction, settings_or_exit

holiday_app = typer.Typer(
    help="School holidays: no check-in, reminder or digest on these dates.", no_args_is_help=True
)
#: Who the audit log names for changes made on the command line.
ACTOR = "cli"

CircleOption = Annotated[
    str | None, typer.Option("--circle", help="The circle, by name or id.", show_default=False)
]
CountryOption = Annotated[
    str | None,
    typer.Option(help="A country code: the holiday of every circle there.", show_default=False),
]


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


async def _circle(session: AsyncSession, key: str) -> Circle:
    """The circle named ``key``, or with the id ``key``."""
    try:
        return await circle_service.get_circle_by_name(session, name=key)
    except NotFound:
        found = await session.get(Circle, int(key)) if key.strip().isdigit() else None
        if found is None:
            raise
        return found


def _line(holiday: Holiday) -> str:
    place = f"circle {holiday.circle_id}" if holiday.circle_id is not None else holiday.country
    return f"{holiday.id}\t{holiday.starts_on}\t{holiday.ends_on}\t{place}\t{holiday.name or ''}"


def _one_place(circle: str | None, country: str | None) -> None:
    if (circle is None) == (country is None):
        raise fail("give either --circle or --country")


@holiday_app.command("add")
def holiday_add(
    starts: Annotated[str, typer.Option("--from", help="First day off (YYYY-MM-DD).")],
    ends: Annotated[str, typer.Option("--to", help="Last day off (YYYY-MM-DD), included.")],
    circle: CircleOption = None,
    country: CountryOption = None,
    name: Annotated[str | None, typer.Option(help="e.g. 'Winter break'.")] = None,
) -> None:
    """Add a holiday to a circle, or to every circle of a country."""
    _one_place(circle, country)
    settings = settings_or_exit()
    dates = holiday_service.Dates(_day(starts), _day(ends), name)

    async def work(session: AsyncSession) -> str:
        now = SystemClock().now()
        if country is not None:
            holiday = await holiday_service.add_country_holiday(
                session, scope=Scope(ACTOR, TokenRole.admin), country=country, dates=dates, now=now
            )
        else:
            assert circle is not None
            holiday = await holiday_service.add_holiday(
                session, circle=await _circle(session, circle), dates=dates, actor=ACTOR, now=now
            )
        return f"Added holiday {holiday.id}: {holiday.starts_on} to {holiday.ends_on}."

    typer.echo(in_transaction(settings, work))


@holiday_app.command("list")
def holiday_list(circle: CircleOption = None, country: CountryOption = None) -> None:
    """List a circle's holidays (with its country's) or a country's, upcoming first."""
    _one_place(circle, country)
    settings = settings_or_exit()

    async def work(session: AsyncSession) -> list[str]:
        now = SystemClock().now()
        if country is not None:
            found = await holiday_service.list_country_holidays(
                session, scope=Scope(ACTOR, TokenRole.admin), country=country, now=now
            )
        else:
            assert circle is not None
            found = await holiday_service.list_holidays(
                session, circle=await _circle(session, circle), now=now
            )
        return [_line(h) for h in found]

    lines = in_transaction(settings, work)
    typer.echo("\n".join(lines) if lines else "No holidays.")


@holiday_app.command("remove")
def holiday_remove(
    holiday_id: Annotated[int, typer.Argument(min=1, help="The holiday's id.")],
) -> None:
    """Remove a holiday (of a circle or a country) by its id."""
    settings = settings_or_exit()

    async def work(session: AsyncSession) -> str:
        holiday = await holiday_service.remove_any_holiday(
            session, holiday_id=holiday_id, actor=ACTOR, now=SystemClock().now()
        )
        return f"Removed holiday {holiday.id}: {holiday.starts_on} to {holiday.ends_on}."

    typer.echo(in_transaction(settings, work))
