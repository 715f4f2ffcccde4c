"""``circles``: run the product and administer circles, invites and tokens."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.check import check_flows
from bot.handlers.telegram.runner import TelegramUnavailable, fetch_username
from bot.handlers.whatsapp import template_sync, templates
from circles.clock import SystemClock
from circles.db import create_engine
from circles.migrate import upgrade
from circles.models import Cadence, Channel, ChannelAccount, Role, TokenRole
from circles.services import channels as channel_service
from circles.services import circles as circle_service
from circles.services import demo as demo_service
from circles.services import invites as invite_service
from circles.services import tokens as token_service
from circles.settings import Settings
from circles_cli.channels import channel_app
from circles_cli.common import fail, in_transaction, settings_or_exit
from circles_cli.holidays import holiday_app
from circles_cli.hubs import hub_app
from circles_cli.logs import configure_logging
from circles_cli.run import Part
from circles_cli.run import run as run_parts
from circles_cli.years import year_app

T = TypeVar("T")

app = typer.Typer(
    help="Learning Circles: a Telegram bot, an admin API and a scheduler for teacher-led "
    "learning circles on formative assessment.",
    no_args_is_help=True,
    add_completion=False,
)
circle_app = typer.Typer(help="Create and list circles.", no_args_is_help=True)
invite_app = typer.Typer(help="Create invites that let people join a circle.", no_args_is_help=True)
token_app = typer.Typer(help="Issue admin API tokens.", no_args_is_help=True)
flows_app = typer.Typer(help="Work with the conversation flows.", no_args_is_help=True)
app.add_typer(circle_app, name="circle")
app.add_typer(invite_app, name="invite")
app.add_typer(token_app, name="token")
app.add_typer(flows_app, name="flows")
app.add_typer(holiday_app, name="holiday")
app.add_typer(hub_app, name="hub")
app.add_typer(year_app, name="year")
app.add_typer(channel_app, name="channel")
whatsapp_app = typer.Typer(help="Work with the WhatsApp Business account.", no_args_is_help=True)
templates_app = typer.Typer(
    help="The message templates WhatsApp needs outside its 24-hour window.", no_args_is_help=True
)
app.add_typer(whatsapp_app, name="whatsapp")
whatsapp_app.add_typer(templates_app, name="templates")


@app.command()
def run(
    only: Annotated[
        list[Part] | None,
        typer.Option("--only", help="Run only this part (repeat for several)."),
    ] = None,
) -> None:
    """Run the admin API, the Telegram bot and the scheduler (migrating first)."""
    settings = settings_or_exit()
    configure_logging()
    asyncio.run(run_parts(settings, set(only) if only else set(Part)))


@app.command()
def migrate() -> None:
    """Upgrade the database to the latest schema."""
    settings = settings_or_exit()

    async def main() -> None:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(main())
    typer.echo("Database is up to date.")


def _parse_day(value: str) -> int:
    day = value.strip().lower()[:3]
    if day not in circle_service.WEEKDAYS:
        raise typer.BadParameter("use mon, tue, wed, thu, fri, sat or sun")
    return circle_service.WEEKDAYS.index(day)


def _parse_time(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("use HH:MM, for example 16:00") from None


@circle_app.command("create")
def circle_create(
    name: Annotated[str, typer.Option(help="A unique name, e.g. 'Accra 1'.")],
    country: Annotated[str, typer.Option(help="Two-letter country code, e.g. GH.")],
    language: Annotated[
        str, typer.Option(help="Default language: en, fr, pt_BR, es, ko, ms, de or it.")
    ],
    timezone: Annotated[str, typer.Option(help="IANA timezone, e.g. Africa/Accra.")],
    cadence: Annotated[Cadence, typer.Option(help="How often check-ins open.")] = Cadence.weekly,
    day: Annotated[str, typer.Option(help="Weekday check-ins open (mon…sun).")] = "mon",
    at: Annotated[str, typer.Option("--time", help="Local time check-ins open (HH:MM).")] = "16:00",
) -> None:
    """Create a circle."""
    settings = settings_or_exit()
    weekday, opens = _parse_day(day), _parse_time(at)

    async def work(session: AsyncSession) -> str:
        circle = await circle_service.create_circle(
            session,
            name=name,
            country=country,
            language=language,
            timezone=timezone,
            cadence=cadence,
            weekday=weekday,
            at=opens,
            now=SystemClock().now(),
        )
        where = f"{circle.country}, {circle.language}, {circle.timezone}"
        return f"Created circle {circle.name!r} ({where})."

    typer.echo(in_transaction(settings, work))


@circle_app.command("list")
def circle_list() -> None:
    """List all circles."""
    settings = settings_or_exit()

    async def work(session: AsyncSession) -> list[str]:
        return [
            f"{c.name}\t{c.country}\t{c.language}\t{c.timezone}"
            for c in await circle_service.list_circles(session)
        ]

    lines = in_transaction(settings, work)
    typer.echo(
        "\n".join(lines) if lines else "No circles yet: create one with 'circles circle create'."
    )


async def _bot_username(settings: Settings) -> str | None:
    """Ask Telegram for the bot's username, or None when there is no token or no answer."""
    try:
        return await fetch_username(settings)
    except TelegramUnavailable as exc:
        typer.secho(f"Warning: could not ask Telegram for the bot's name ({exc}).", err=True)
        return None


@invite_app.command("create")
def invite_create(
    circle: Annotated[str, typer.Option(help="The circle's name.")],
    role: Annotated[Role, typer.Option(help="The role people join with.")],
    uses: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=1000,
            help="How many people may use it [default: 10 teachers, 2 facilitators, 1 union rep].",
        ),
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=365, help="Days until it expires.")] = 30,
) -> None:
    """Create an invite and print its code, its t.me link and, with WhatsApp, its wa.me link."""
    settings = settings_or_exit()

    async def work(
        session: AsyncSession,
    ) -> tuple[str, int, datetime | None, ChannelAccount | None, ChannelAccount | None]:
        found = await circle_service.get_circle_by_name(session, name=circle)
        invite = await invite_service.create_invite(
            session,
            circle=found,
            role=role,
            max_uses=uses,
            valid_for=timedelta(days=days),
            now=SystemClock().now(),
        )
        bot = await channel_service.serving(session, app=Channel.telegram, circle=found)
        number = await channel_service.serving(session, app=Channel.whatsapp, circle=found)
        return invite.code, invite.max_uses, invite.expires_at, bot, number

    code, max_uses, expires, bot, number = in_transaction(settings, work)
    typer.echo(f"Invite code: {code}")
    typer.echo(f"Admits {max_uses} {role.value}(s) until {expires:%Y-%m-%d %H:%M} UTC.")
    # The circle's own bot and number (``circles channel``) when it has them, else the default.
    if bot is not None and bot.username:
        typer.echo(f"Link: {invite_service.invite_link(bot.username, code)}")
    if number is not None and number.phone_number:
        typer.echo(f"WhatsApp: {invite_service.whatsapp_link(number.phone_number, code)}")
    if bot is None:
        _default_telegram_link(settings, code)
    if number is None:
        _default_whatsapp_link(settings, code)


def _default_telegram_link(settings: Settings, code: str) -> None:
    username = asyncio.run(_bot_username(settings))
    if username:
        typer.echo(f"Link: {invite_service.invite_link(username, code)}")
    else:
        typer.echo(
            "Link: https://t.me/<bot username>?start="
            + code
            + "  (set CIRCLES_TELEGRAM_TOKEN to have the bot's name filled in; people can also "
            "send /start " + code + " to the bot)"
        )


def _default_whatsapp_link(settings: Settings, code: str) -> None:
    if settings.whatsapp_configured and settings.whatsapp_number:
        typer.echo(f"WhatsApp: {invite_service.whatsapp_link(settings.whatsapp_number, code)}")
    elif settings.whatsapp_configured:
        typer.echo(
            "WhatsApp: people send 'JOIN "
            + code
            + "' to the bot's number (set CIRCLES_WHATSAPP_NUMBER to have the link printed)"
        )


@token_app.command("create")
def token_create(
    role: Annotated[TokenRole, typer.Option(help="What the token may do.")],
    circle: Annotated[str | None, typer.Option(help="The circle (facilitator, union_rep).")] = None,
    name: Annotated[str, typer.Option(help="A label to recognise the token by.")] = "cli",
    country: Annotated[
        list[str] | None, typer.Option(help="Limit a coordinator to a country (repeatable).")
    ] = None,
    days: Annotated[int | None, typer.Option(min=1, help="Days until it expires.")] = None,
) -> None:
    """Issue an API token and print it once (only its hash is stored)."""
    settings = settings_or_exit()
    if country and role is not TokenRole.coordinator:
        raise fail("--country only applies to coordinator tokens")

    async def work(session: AsyncSession) -> str:
        found = await circle_service.get_circle_by_name(session, name=circle) if circle else None
        now = SystemClock().now()
        issued = await token_service.create_token(
            session,
            role=role,
            name=name,
            actor="cli",
            now=now,
            circle=found,
            countries=country,
            expires_at=now + timedelta(days=days) if days else None,
        )
        return issued.secret

    secret = in_transaction(settings, work)
    typer.echo(secret)
    typer.secho("Keep this token safe: it is shown only once.", err=True)


@flows_app.command("check")
def flows_check() -> None:
    """Check every flow file: structure, conditions, reachability and translations."""
    problems = check_flows()
    for problem in problems:
        typer.echo(problem)
    if problems:
        typer.secho(f"{len(problems)} problem(s) found.", err=True)
        raise typer.Exit(1)
    typer.echo("All flows are sound and translated.")


@templates_app.command("check")
def templates_check() -> None:
    """Check that every message the bot starts has a template in every language."""
    problems = templates.check(templates.load_catalog())
    for problem in problems:
        typer.echo(problem)
    if problems:
        typer.secho(f"{len(problems)} problem(s) found.", err=True)
        raise typer.Exit(1)
    found = templates.load_catalog()
    typer.echo(
        f"All {len(found.params)} templates are complete in {len(found.templates)} "
        "language versions and within WhatsApp's limits."
    )


@templates_app.command("sync")
def templates_sync() -> None:
    """Create the templates WhatsApp lacks and show each one's review status."""
    settings = settings_or_exit()
    if settings.whatsapp_token is None or not settings.whatsapp_business_account_id:
        raise fail(
            "set CIRCLES_WHATSAPP_TOKEN and CIRCLES_WHATSAPP_BUSINESS_ACCOUNT_ID to sync templates"
        )
    found = templates.load_catalog()
    problems = templates.check(found)
    if problems:
        raise fail(
            f"the templates have {len(problems)} problem(s); run 'circles whatsapp templates check'"
        )
    try:
        reviewed = asyncio.run(
            template_sync.sync_templates(
                found,
                api_url=settings.whatsapp_api_url,
                account_id=settings.whatsapp_business_account_id,
                token=settings.whatsapp_token.get_secret_value(),
            )
        )
    except template_sync.SyncError as exc:
        typer.secho(f"Error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    for one in reviewed:
        typer.echo(one.line())
    created = sum(one.created for one in reviewed)
    failed = [one for one in reviewed if one.status == "not created"]
    typer.echo(f"{created} template(s) created, {len(reviewed)} in the repository.")
    if failed:
        typer.secho(f"{len(failed)} template(s) could not be created.", err=True)
        raise typer.Exit(1)


@app.command()
def demo() -> None:
    """Create the demo circles: members, weeks of answers and practices that travel."""
    settings = settings_or_exit()

    async def work(session: AsyncSession) -> demo_service.DemoResult:
        now = datetime.now(UTC)
        return await demo_service.seed_all(session, now=now)

    result = in_transaction(settings, work)
    if not result.created and not result.partner:
        typer.echo(f"The demo circle {result.circle.name!r} already exists; nothing changed.")
        return
    if result.created:
        typer.echo(
            f"Created {result.circle.name!r} with {result.members} members, "
            f"{result.checkins} check-ins and {result.answers} answers."
        )
    if result.partner:
        typer.echo(f"Created {result.partner!r}, whose published practices travel to it.")


if __name__ == "__main__":
    app()
