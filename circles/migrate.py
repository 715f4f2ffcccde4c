"""Run Alembic migrations from code, over an async engine."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


def _migrations_dir() -> Path:
    """Where the ``migrations`` package is: the repository's, or the installed wheel's."""
    spec = importlib.util.find_spec("migrations")
    if spec is None or spec.origin is None:
        raise RuntimeError("the migrations package is not installed")
    return Path(spec.origin).resolve().parent


MIGRATIONS_DIR = _migrations_dir()


def alembic_config() -> Config:
    """The Alembic configuration, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


#: Search structures made by the migrations that the models do not describe (see 0007).
SEARCH_TABLE_PREFIX = "practice_fts"
SEARCH_INDEXES = frozenset({"ix_practice_search"})


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Leave the full-text search structures out of schema comparisons."""
    if type_ == "table" and name is not None and name.startswith(SEARCH_TABLE_PREFIX):
        return False
    return not (type_ == "index" and name in SEARCH_INDEXES)


#: The advisory lock key migrations hold on PostgreSQL ("migr" as an integer).
MIGRATION_LOCK = 0x6D696772


async def _run(engine: AsyncEngine, action: str, revision: str) -> None:
    def work(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)

    async with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            async with connection.begin():
                # Replicas started together migrate one after another: the first upgrades,
                # the others wait here, then find the database at head and do nothing.
                await connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                await connection.run_sync(work)
            return
        # SQLite alters a table by copying it and dropping the old one, and with foreign
        # keys on, that drop deletes (cascades to) every row that points at the table. So
        # they are off while migrating (the pragma only changes outside a transaction),
        # and checked before the migration commits.
        await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        await connection.commit()
        try:
            async with connection.begin():
                await connection.run_sync(work)
                broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            await connection.commit()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision`` (default: head)."""
    await _run(engine, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    """Downgrade the database behind ``engine`` to ``revision`` (default: base)."""
    await _run(engine, "downgrade", revision)
