"""Async database engine and sessions (SQLite by default, PostgreSQL through asyncpg)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from circles.settings import normalize_database_url

log = logging.getLogger(__name__)

SessionMaker = async_sessionmaker[AsyncSession]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Turn on foreign keys and WAL for every new SQLite connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def restrict_sqlite_file(url: str) -> None:
    """Make the SQLite file of ``url`` readable by its owner only (0600), creating it so.

    SQLite gives the ``-wal`` and ``-shm`` files the database file's mode, so they are
    private too. A file that exists with wider rights is narrowed. In-memory databases
    and URI filenames are left alone.
    """
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        descriptor = os.open(database, os.O_CREAT | os.O_WRONLY, 0o600)
    except OSError:
        return  # no such folder, or no right to write: SQLite reports it on connect
    try:
        mode = stat.S_IMODE(os.fstat(descriptor).st_mode)
        if mode & 0o077:
            os.fchmod(descriptor, mode & 0o700)
            log.info("made %s readable by its owner only", database)
    except OSError as exc:
        log.warning("could not make %s private: %s", database, exc.strerror)
    finally:
        os.close(descriptor)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create an async engine for ``url`` with the pragmas and pool settings we rely on."""
    url = normalize_database_url(url)
    # Statements' parameters hold answers; keep them out of error messages and logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("postgresql"):
        kwargs.setdefault("pool_pre_ping", True)
        # Each person an inbox worker handles holds two connections (their turn's lock and
        # the work), eight people at a time per app, besides the API and the senders.
        if "poolclass" not in kwargs:  # a caller's own pool (NullPool) takes no sizes
            kwargs.setdefault("pool_size", 20)
            kwargs.setdefault("max_overflow", 20)
    engine = _create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        restrict_sqlite_file(url)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    """Sessions that keep loaded objects usable after commit.

    Every session forgets the check-in planner's marks of the circles its changes touch
    (:mod:`circles.services.waves`, imported here so that the listener is installed).
    """
    from circles.services import waves  # noqa: F401  (the listener, on import)

    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: SessionMaker) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any error."""
    async with sessions() as session, session.begin():
        yield session


async def ping(engine: AsyncEngine) -> None:
    """Run a trivial query; raises if the database cannot be reached."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


def insert_or_skip(session: AsyncSession, table: Any) -> PgInsert | SqliteInsert:
    """An INSERT for ``table`` in the session's dialect, ready for ``on_conflict_do_nothing``."""
    return dialect_insert(session.get_bind().dialect.name, table)


def dialect_insert(dialect: str, table: Any) -> PgInsert | SqliteInsert:
    """An INSERT for ``table`` in ``dialect`` (``postgresql`` or ``sqlite``)."""
    if dialect == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)
