"""Async database engine and sessions (SQLite by default, PostgreSQL through asyncpg)."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Table,
    TypeDecorator,
    any_,
    bindparam,
    event,
    func,
    select,
    text,
)
from sqlalchemy import Enum as SaEnum
from sqlalchemy import insert as sa_insert
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from circles import marks  # noqa: F401  (installs the wave marks' listener)
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
    (:mod:`circles.marks`, imported by this module so that its listener is installed).
    """
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


class JsonText(str):
    """JSON already encoded, for a JSON column of :func:`bulk_insert` (``COPY`` takes it
    as it is; a wave fills a million invitations' JSON from a few templates)."""


async def bulk_insert(
    session: AsyncSession,
    table: Table,
    rows: list[dict[str, Any]],
    *,
    ids_by: tuple[str, ...] = (),
) -> list[int]:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the session's
    transaction; with ``ids_by`` (columns that tell the rows apart), return the new rows'
    ids in the order of ``rows``.

    On PostgreSQL this is ``COPY``: the wave's check-ins and invitations went through
    SQLAlchemy's multi-row ``INSERT`` at a fraction of ``COPY``'s speed, much of it
    building parameters in Python (``bench.million``). Ids are drawn from the table's
    sequence first (one query), so they come back in order without ``RETURNING``. On
    SQLite it is SQLAlchemy's multi-row ``INSERT``, with ``RETURNING`` the id and the
    ``ids_by`` columns, matched back to the rows (SQLite returns rows in order only one
    row per statement, several times slower). Values are converted as their columns'
    types would be (enums to their values, JSON to text, naive timestamps refused), and
    columns left out get their defaults; no ORM event sees these rows. A JSON value may
    be given already encoded, as :class:`JsonText`.
    """
    if not rows:
        return []
    if session.get_bind().dialect.name != "postgresql":
        encoded = [k for k in rows[0] if isinstance(table.c[k].type, JSON)]
        if encoded:  # SQLAlchemy encodes JSON itself: what is already encoded is decoded
            rows = [row | {k: _decoded(row[k]) for k in encoded} for row in rows]
        if not ids_by:
            await session.execute(sa_insert(table), rows)
            return []
        statement = sa_insert(table).returning(table.c.id, *(table.c[k] for k in ids_by))
        found = await session.execute(statement, rows)
        by_key = {tuple(rest): new_id for new_id, *rest in found.all()}
        return [by_key[tuple(row[k] for k in ids_by)] for row in rows]
    keys = list(rows[0])
    # Columns left out get their Python-side defaults, as an INSERT would give them.
    defaults = {
        column.name: column.default.arg(None) if column.default.is_callable else column.default.arg
        for column in table.c
        if column.name not in keys and column.default is not None and not column.primary_key
    }
    if defaults:
        rows = [row | defaults for row in rows]
        keys += list(defaults)
    new_ids: list[int] = []
    if ids_by:
        # The query also begins the transaction on the connection if nothing did yet.
        new_ids = list(
            await session.scalars(
                select(func.nextval(func.pg_get_serial_sequence(table.name, "id"))).select_from(
                    func.generate_series(1, len(rows))
                )
            )
        )
    else:
        await session.execute(select(1))  # the COPY must run inside the transaction
    # Only the columns that need it are converted: a wave copies two million rows.
    convert = [(n, f) for n, f in enumerate(map(_copy_value, (table.c[k].type for k in keys))) if f]
    records = [tuple(row[key] for key in keys) for row in rows]
    if convert:
        records = [_converted(record, convert) for record in records]
    if ids_by:
        records = [(i, *r) for i, r in zip(new_ids, records, strict=True)]
        keys = ["id", *keys]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    try:
        await raw.driver_connection.copy_records_to_table(table.name, records=records, columns=keys)
    except asyncpg.IntegrityConstraintViolationError as exc:
        # As an INSERT would fail: callers that stand back on a race catch this one.
        raise IntegrityError(f"COPY {table.name}", None, exc) from exc
    return new_ids


def _converted(record: tuple, convert: list[tuple[int, Callable[[Any], Any]]]) -> tuple:
    values = list(record)
    for n, f in convert:
        values[n] = f(values[n])
    return tuple(values)


def _copy_value(column_type: Any) -> Callable[[Any], Any] | None:
    """How a Python value goes into ``COPY`` for a column of ``column_type`` (None: as
    it is)."""
    if isinstance(column_type, SaEnum):
        return lambda value: value if value is None or isinstance(value, str) else value.value
    if isinstance(column_type, JSON):
        return _json
    impl = column_type.impl if isinstance(column_type, TypeDecorator) else column_type
    if isinstance(impl, DateTime) and impl.timezone:
        return _aware
    return None


def _json(value: Any) -> str | None:
    if value is None or isinstance(value, JsonText):
        return value
    return json.dumps(value)


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, JsonText) else value


def _aware(value: Any) -> Any:
    """A timestamp for a ``timestamptz`` column: naive ones are refused, as
    :class:`circles.models.UTCDateTime` refuses them."""
    if value is not None and value.tzinfo is None:
        raise ValueError("naive datetime given where an aware UTC one is required")
    return value


def among(session: AsyncSession, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values`` for a long list: on PostgreSQL one array parameter
    (``= ANY(:values)``), so the statement is the same whatever the number of values and
    asyncpg prepares it once, where ``IN`` renders a parameter per value (a wave of a
    million rendered and prepared hundreds of thousands, ``bench.million``)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def insert_or_skip(session: AsyncSession, table: Any) -> PgInsert | SqliteInsert:
    """An INSERT for ``table`` in the session's dialect, ready for ``on_conflict_do_nothing``."""
    return dialect_insert(session.get_bind().dialect.name, table)


def dialect_insert(dialect: str, table: Any) -> PgInsert | SqliteInsert:
    """An INSERT for ``table`` in ``dialect`` (``postgresql`` or ``sqlite``)."""
    if dialect == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)
