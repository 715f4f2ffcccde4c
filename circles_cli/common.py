"""What every ``circles`` command shares: one-line errors, settings, one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from circles.db import create_engine, create_sessionmaker, transaction
from circles.errors import DomainError
from circles.i18n import translate
from circles.migrate import upgrade
from circles.settings import Settings, SettingsError, load_settings

T = TypeVar("T")

USAGE_ERROR = 2


def fail(message: str) -> typer.Exit:
    """Print ``message`` as one error line and return the exit to raise (code 2)."""
    typer.secho(f"Error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(USAGE_ERROR)


def settings_or_exit() -> Settings:
    """Load settings, or stop with one line naming the bad variable."""
    try:
        return load_settings()
    except SettingsError as exc:
        raise fail(str(exc)) from None


def in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Migrate, then run ``work`` in one committed transaction; domain errors exit 2."""

    async def main() -> T:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            async with transaction(create_sessionmaker(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except DomainError as exc:
        raise fail(translate(exc.message, "en", **exc.params)) from None
