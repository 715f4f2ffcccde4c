"""``circles year list|close|open``: a circle's school years."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import years as year_flows
from circles.models import Role, SchoolYear
from circles.services import holidays as holiday_service
from circles.services import years as year_service
from circles.services.circles import WEEKDAYS
from circles.testmode import clock_for
from circles_cli.common import in_transaction, settings_or_exit
from circles_cli.holidays import _circle, _day

year_app = typer.Typer(
    help="School years: close a circle's year, open the next one.", no_args_is_help=True
)
#: Who the audit log names for changes made on the command line.
ACTOR = "cli"

CircleOption = Annotated[str, typer.Option("--circle", help="The circle, by name or id.")]


def _keep(value: str) -> list[int] | None:
    """``all`` → everyone (None), ``none`` → nobody, ``3,7`` → those person ids."""
    value = value.strip().lower()
    if value == "all":
        return None
    if value == "none":
        return []
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(f"{value!r}: use all, none or person ids like 3,7") from None


def _holiday(value: str) -> holiday_service.Dates:
    first, sep, last = value.partition(":")
    if not sep:
        raise typer.BadParameter(f"{value!r}: use FROM:TO, e.g. 2027-12-20:2028-01-07")
    return holiday_service.Dates(_day(first), _day(last), None)


def _meeting(value: str) -> year_flows.Gathering:
    day, _sep, at = value.strip().partition("T")
    try:
        return year_flows.Gathering(date.fromisoformat(day), time.fromisoformat(at))
    except ValueError:
        raise typer.BadParameter(f"{value!r}: use YYYY-MM-DDTHH:MM, local time") from None


def _invite(value: str) -> tuple[Role, int]:
    role, _sep, uses = value.partition(":")
    if role not in Role.__members__:
        raise typer.BadParameter(f"{value!r}: use ROLE[:USES], e.g. teacher:10")
    if not uses:
        return Role(role), 10
    if not uses.isdigit():
        raise typer.BadParameter(f"{value!r}: use ROLE[:USES], e.g. teacher:10")
    return Role(role), int(uses)


def _weekday(value: str | None) -> int | None:
    if value is None:
        return None
    day = value.strip().lower()[:3]
    if day not in WEEKDAYS:
        raise typer.BadParameter("use mon, tue, wed, thu, fri, sat or sun")
    return WEEKDAYS.index(day)


def _time(value: str | None) -> time | None:
    if value is None:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("use HH:MM, for example 16:00") from None


def _line(year: SchoolYear) -> str:
    return f"{year.id}\t{year.label}\t{year.starts_on}\t{year.ends_on}\t{year.status.value}"


@year_app.command("list")
def year_list(circle: CircleOption) -> None:
    """List a circle's school years, newest first."""
    settings = settings_or_exit()

    async def work(session: AsyncSession) -> list[str]:
        found = await year_service.list_years(session, circle=await _circle(session, circle))
        return [_line(y) for y in found]

    lines = in_transaction(settings, work)
    typer.echo("\n".join(lines) if lines else "No school years.")


@year_app.command("close")
def year_close(circle: CircleOption) -> None:
    """Close the circle's open year: check-ins end, invites are revoked, the summary freezes."""
    settings = settings_or_exit()

    async def work(session: AsyncSession) -> str:
        done = await year_flows.close(
            session,
            circle=await _circle(session, circle),
            actor=ACTOR,
            now=clock_for(settings).now(),
        )
        return (
            f"Closed school year {done.year.label}; "
            f"{len(done.interrupted)} member(s) told their questions closed."
        )

    typer.echo(in_transaction(settings, work))


@year_app.command("open")
def year_open(
    circle: CircleOption,
    label: Annotated[str, typer.Option(help="e.g. 2027–28.")],
    start: Annotated[str, typer.Option(help="First day (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option(help="Last day (YYYY-MM-DD).")],
    keep: Annotated[
        str, typer.Option(help="Who continues: all, none, or person ids like 3,7.")
    ] = "all",
    day: Annotated[str | None, typer.Option(help="New check-in day: mon … sun.")] = None,
    at: Annotated[str | None, typer.Option("--time", help="New check-in time, HH:MM.")] = None,
    holiday: Annotated[
        list[str] | None, typer.Option(help="A holiday FROM:TO (repeat the option).")
    ] = None,
    meeting: Annotated[
        list[str] | None, typer.Option(help="A meeting YYYY-MM-DDTHH:MM, local (repeat).")
    ] = None,
    invite: Annotated[
        list[str] | None, typer.Option(help="A new invite ROLE[:USES] (repeat).")
    ] = None,
) -> None:
    """Open the circle's next school year and ask continuing teachers about their journey."""
    settings = settings_or_exit()
    starts_on, ends_on = _day(start), _day(end)
    kept = _keep(keep)
    calendar = year_service.Calendar(_weekday(day), _time(at))
    days_off = [_holiday(h) for h in holiday or []]
    gatherings = [_meeting(m) for m in meeting or []]
    invites = [_invite(i) for i in invite or []]

    async def work(session: AsyncSession) -> list[str]:
        opened = await year_flows.open_next(
            session,
            circle=await _circle(session, circle),
            label=label,
            starts_on=starts_on,
            ends_on=ends_on,
            actor=ACTOR,
            now=clock_for(settings).now(),
            keep=kept,
            calendar=calendar,
            days_off=days_off,
            invites=invites,
            gatherings=gatherings,
        )
        return [
            f"Opened school year {opened.year.label} (id {opened.year.id}): "
            f"{len(opened.continuing)} teacher(s) asked how to go on, "
            f"{len(opened.ended)} membership(s) ended.",
            *(f"Invite code ({i.role.value}): {i.code}" for i in opened.invites),
        ]

    typer.echo("\n".join(in_transaction(settings, work)))
