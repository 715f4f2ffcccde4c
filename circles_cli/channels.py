"""``circles channel add|list|assign|remove|rotate-key|new-key``: extra bots and numbers.

The environment's Telegram token and WhatsApp number stay the default account; these
commands manage the others (:mod:`circles.services.channels`). Tokens are read from an
option or, better, from an environment variable or a prompt so that they stay out of the
shell history; they are stored encrypted and never printed.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.telegram.runner import TelegramUnavailable, fetch_username
from circles.clock import SystemClock
from circles.models import Channel, TokenRole
from circles.secrets import SecretsError, Vault, generate_key, vault
from circles.services import channels as channel_service
from circles.services.access import Scope
from circles.settings import Settings
from circles_cli.common import fail, in_transaction, settings_or_exit
from circles_cli.holidays import _circle

channel_app = typer.Typer(
    help="Extra Telegram bots and WhatsApp numbers, each serving some circles or countries.",
    no_args_is_help=True,
)
#: Who the audit log names for changes made on the command line.
ACTOR = "cli"
ADMIN = Scope(ACTOR, TokenRole.admin)


def _vault(settings: Settings) -> Vault:
    try:
        return vault(settings)
    except SecretsError as exc:
        raise fail(str(exc)) from None


def _username(settings: Settings, token: str) -> str:
    try:
        username = asyncio.run(fetch_username(settings, token))
    except TelegramUnavailable:
        raise fail("Telegram did not answer for this token; check it, or give --username") from None
    assert username is not None
    return username


@channel_app.command("add")
def channel_add(
    app: Annotated[Channel, typer.Option("--app", help="telegram or whatsapp.")],
    name: Annotated[str, typer.Option(help="A short slug, e.g. 'gh' or 'ci-hub'.")],
    token: Annotated[
        str,
        typer.Option(
            envvar="CIRCLES_CHANNEL_TOKEN",
            prompt=True,
            hide_input=True,
            help="The bot token or WhatsApp access token (or CIRCLES_CHANNEL_TOKEN).",
        ),
    ],
    username: Annotated[
        str | None, typer.Option(help="Telegram: the bot's username (asked of Telegram if unset).")
    ] = None,
    number: Annotated[
        str | None, typer.Option(help="WhatsApp: the number's digits with the country code.")
    ] = None,
    phone_number_id: Annotated[
        str | None, typer.Option(help="WhatsApp: its phone number id.")
    ] = None,
    app_secret: Annotated[
        str | None,
        typer.Option(envvar="CIRCLES_CHANNEL_APP_SECRET", help="WhatsApp: the app secret."),
    ] = None,
    tier: Annotated[int, typer.Option(help="WhatsApp: the number's messaging tier.")] = 250,
    country: Annotated[
        list[str] | None, typer.Option(help="Serve every circle of this country (repeatable).")
    ] = None,
    circle: Annotated[
        list[str] | None, typer.Option(help="Serve this circle, by name or id (repeatable).")
    ] = None,
) -> None:
    """Add a bot or a number, optionally serving some countries and circles at once."""
    settings = settings_or_exit()
    if app is Channel.simulator:
        raise fail("an account is a telegram or a whatsapp account")
    if app is Channel.telegram and username is None and token.strip():
        username = _username(settings, token.strip())
    new = channel_service.NewAccount(
        app, name, token, username, number, phone_number_id, app_secret, tier
    )

    async def work(session: AsyncSession) -> str:
        now = SystemClock().now()
        account = await channel_service.add_account(
            session, scope=ADMIN, settings=settings, new=new, now=now
        )
        for code in country or []:
            await channel_service.assign(
                session, scope=ADMIN, name=account.name, country=code, now=now
            )
        for key in circle or []:
            found = await _circle(session, key)
            await channel_service.assign(
                session, scope=ADMIN, name=account.name, circle_id=found.id, now=now
            )
        handle = account.username or account.phone_number or ""
        return f"Added {account.app.value} account {account.name}: {_link(account.app, handle)}"

    typer.echo(in_transaction(settings, work))


def _link(app: Channel, handle: str) -> str:
    return channel_service.chat_link(app, handle)


@channel_app.command("list")
def channel_list() -> None:
    """List the accounts (no secrets) with the countries and circles they serve."""
    settings = settings_or_exit()

    async def work(session: AsyncSession) -> list[str]:
        found = await channel_service.list_accounts(session, scope=ADMIN)
        lines = []
        for listed in found:
            account = listed.account
            handle = account.username or account.phone_number or ""
            places = [*listed.countries, *(f"circle {c}" for c in listed.circle_ids)]
            lines.append(
                f"{account.name}\t{account.app.value}\t{_link(account.app, handle)}\t"
                + (", ".join(places) or "-")
            )
        return lines

    lines = in_transaction(settings, work)
    typer.echo("\n".join(lines) if lines else "No extra accounts: the default ones serve all.")


@channel_app.command("assign")
def channel_assign(
    name: Annotated[str, typer.Argument(help="The account's name.")],
    country: Annotated[str | None, typer.Option(help="Serve every circle of this country.")] = None,
    circle: Annotated[str | None, typer.Option(help="Serve this circle, by name or id.")] = None,
) -> None:
    """Let an account serve a circle or a country (instead of the one that did)."""
    if (circle is None) == (country is None):
        raise fail("give either --circle or --country")
    settings = settings_or_exit()

    async def work(session: AsyncSession) -> str:
        found = await _circle(session, circle) if circle is not None else None
        row = await channel_service.assign(
            session,
            scope=ADMIN,
            name=name,
            circle_id=found.id if found is not None else None,
            country=country,
            now=SystemClock().now(),
        )
        place = f"circle {row.circle_id}" if row.circle_id is not None else row.country
        return f"{name} now serves {place}."

    typer.echo(in_transaction(settings, work))


@channel_app.command("remove")
def channel_remove(name: Annotated[str, typer.Argument(help="The account's name.")]) -> None:
    """Remove an account: its circles go back to their country's account or the default."""
    settings = settings_or_exit()

    async def work(session: AsyncSession) -> str:
        account = await channel_service.remove_account(
            session, scope=ADMIN, name=name, now=SystemClock().now()
        )
        return f"Removed {account.app.value} account {account.name}."

    typer.echo(in_transaction(settings, work))


@channel_app.command("rotate-key")
def channel_rotate_key() -> None:
    """Re-encrypt every account's secrets with the first key of CIRCLES_SECRETS_KEY."""
    settings = settings_or_exit()
    secrets = _vault(settings)

    async def work(session: AsyncSession) -> int:
        try:
            return await channel_service.rotate_key(session, vault=secrets)
        except SecretsError as exc:
            raise fail(str(exc)) from None

    count = in_transaction(settings, work)
    typer.echo(f"Re-encrypted {count} account(s) with the first key; older keys may go now.")


@channel_app.command("new-key")
def channel_new_key() -> None:
    """Print a new key for CIRCLES_SECRETS_KEY (put it first, keep the old one after it)."""
    typer.echo(generate_key())
