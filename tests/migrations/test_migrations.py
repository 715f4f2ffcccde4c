"""The migrations build exactly the models' schema, and undo it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import circles.models  # noqa: F401
from circles.db import create_engine
from circles.migrate import downgrade, include_name, upgrade


def _diff(connection: Connection) -> list:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_name": include_name,
        },
    )
    return compare_metadata(context, SQLModel.metadata)


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_matches_models_and_downgrade_removes_everything(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url)
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
            tables = await connection.run_sync(_tables)
        assert set(SQLModel.metadata.tables) <= tables

        await downgrade(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == {"alembic_version"}

        await upgrade(engine)  # and the way back up still works
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
    finally:
        await engine.dispose()


async def test_upgrading_keeps_existing_circles_with_sensible_defaults(
    empty_database_url: str,
) -> None:
    from sqlalchemy import text

    insert = text(
        "INSERT INTO circle (name, country, language, timezone, cadence, checkin_weekday,"
        " checkin_time, created_at) VALUES ('Seoul 1', 'KR', 'ko', 'Asia/Seoul', 'weekly', 2,"
        " '16:00:00', '2026-09-01 00:00:00+00')"
    )
    read = text("SELECT first_nudge_hours, second_nudge_hours, days_before_meeting FROM circle")
    engine = create_engine(empty_database_url)
    try:
        await upgrade(engine, "0002")
        async with engine.begin() as connection:
            await connection.execute(insert)
        await upgrade(engine)
        async with engine.connect() as connection:
            row = (await connection.execute(read)).one()
        assert tuple(row) == (24, 72, 3)
    finally:
        await engine.dispose()
