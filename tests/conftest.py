"""Shared fixtures: an isolated, migrated database per test on SQLite or PostgreSQL.

The backend is chosen by ``CIRCLES_TEST_DATABASE_URL``: unset → SQLite files in a
temporary folder; a PostgreSQL URL → that server, where each test gets its own
database created from a migrated template (the role needs CREATEDB).
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from circles.clock import FakeClock
from circles.db import SessionMaker, create_engine, create_sessionmaker
from circles.migrate import upgrade
from circles.settings import Settings, normalize_database_url

TEST_DATABASE_URL = os.environ.get("CIRCLES_TEST_DATABASE_URL", "").strip()
ON_POSTGRES = bool(TEST_DATABASE_URL)


def pytest_report_header() -> str:
    """Say which database the suite runs on."""
    if ON_POSTGRES:
        return f"database: PostgreSQL ({make_url(TEST_DATABASE_URL).render_as_string()})"
    return "database: SQLite"


#: The fixtures through which a test reaches a database: a test that uses none of them
#: (directly or through another fixture) does the same on either database.
DATABASE_FIXTURES = frozenset({"database_url", "empty_database_url", "postgres"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, run only the tests that reach a database or ask which one runs
    (their module reads ``ON_POSTGRES``): the others (rendering, catalogs, codecs, the
    flows' definitions) do exactly the same as in the SQLite half, which runs them.
    ``CIRCLES_TEST_EVERYTHING=1`` runs them here too."""
    if not ON_POSTGRES or os.environ.get("CIRCLES_TEST_EVERYTHING"):
        return
    keep, skip = [], []
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        asks = hasattr(getattr(item, "module", None), "ON_POSTGRES")
        (keep if fixtures & DATABASE_FIXTURES or asks else skip).append(item)
    if skip:
        config.hook.pytest_deselected(items=skip)
        items[:] = keep


#: Tests between two sweeps of the garbage collector's survivors (see below).
FREEZE_EVERY = 25
_finished = [0]


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    """Every :data:`FREEZE_EVERY` tests, collect the garbage and freeze what survives.

    What outlives a test (imported modules, caches, session fixtures) only grows over a
    run, and every full collection walked all of it again: in ``tests/bot`` alone the
    collector took 21.6 s of 180 s, and a test that takes 0.7 s on its own took 17 s late
    in a whole run. Frozen objects are left out of later collections (they are still
    freed by reference counting); garbage is collected before each freeze, so only what
    was alive then is frozen. Measured on ``tests/bot``: 21.6 s → 13.2 s in the
    collector."""
    _finished[0] += 1
    if _finished[0] % FREEZE_EVERY == 0:
        gc.collect()
        gc.freeze()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer's CIRCLES_* variables or .env file leak into a test."""
    for name in list(os.environ):
        if name.startswith("CIRCLES_") and not name.startswith("CIRCLES_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


class Postgres:
    """Creates and drops throwaway databases on the test server."""

    def __init__(self, url: str) -> None:
        self.url = make_url(normalize_database_url(url))

    def url_for(self, database: str) -> str:
        """The async URL of ``database`` on the same server."""
        return self.url.set(database=database).render_as_string(hide_password=False)

    async def _execute(self, sql: str) -> None:
        u = self.url
        connection = await asyncpg.connect(
            host=u.host or "127.0.0.1",
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            database=u.database,
        )
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    async def create(self, name: str, template: str | None = None) -> str:
        """Create database ``name`` (optionally a copy of ``template``) and return its URL."""
        suffix = f' TEMPLATE "{template}"' if template else ""
        await self._execute(f'CREATE DATABASE "{name}"{suffix}')
        return self.url_for(name)

    async def drop(self, name: str) -> None:
        """Drop database ``name``, closing anyone still connected."""
        await self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Spares:
    """Per-test databases made ahead and dropped behind, on a thread of their own.

    Creating a database from the template and dropping it took about 0.15 s a test, a
    fifth of the PostgreSQL half's time. Here the next test's database is created while
    the current test runs, and a finished test's is dropped while the next one runs;
    a test waits only if its database is not ready yet.
    """

    AHEAD = 2

    def __init__(self, postgres: Postgres, template: str) -> None:
        self.postgres, self.template = postgres, template
        self._work = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-databases")
        self._ready: deque[tuple[str, Future[str]]] = deque()

    def _make(self) -> None:
        name = _unique("circles_t")
        job = self._work.submit(asyncio.run, self.postgres.create(name, template=self.template))
        self._ready.append((name, job))

    def take(self) -> tuple[str, str]:
        """A fresh database at the latest schema: its name and URL."""
        while len(self._ready) < self.AHEAD + 1:
            self._make()
        name, job = self._ready.popleft()
        return name, job.result()

    def give_back(self, name: str) -> None:
        """Drop ``name`` soon, not now."""
        self._work.submit(asyncio.run, self.postgres.drop(name))

    def close(self) -> None:
        """Drop the spares, wait for every drop."""
        while self._ready:
            name, job = self._ready.popleft()
            job.result()
            self.give_back(name)
        self._work.shutdown(wait=True)


def _unique(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres() -> Postgres | None:
    """The PostgreSQL server under test, or None on SQLite."""
    return Postgres(TEST_DATABASE_URL) if ON_POSTGRES else None


@pytest.fixture(scope="session")
def migrated_template(
    postgres: Postgres | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database migrated to head once per run, copied for every test."""
    if postgres is None:
        path = tmp_path_factory.mktemp("template") / "template.db"
        asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
        yield str(path)
        return
    name = _unique("circles_tmpl")
    asyncio.run(_migrate(asyncio.run(postgres.create(name))))
    yield name
    asyncio.run(postgres.drop(name))


@pytest.fixture(scope="session")
def spares(postgres: Postgres | None, migrated_template: str) -> Iterator[Spares | None]:
    """The databases made ahead for the tests (PostgreSQL only)."""
    if postgres is None:
        yield None
        return
    made = Spares(postgres, migrated_template)
    yield made
    made.close()


@pytest.fixture
async def database_url(
    spares: Spares | None, migrated_template: str, tmp_path: Path
) -> AsyncIterator[str]:
    """A fresh database at the latest schema, for this test only."""
    if spares is None:
        path = tmp_path / "circles.db"
        shutil.copyfile(migrated_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name, url = spares.take()
    yield url
    spares.give_back(name)


@pytest.fixture
async def empty_database_url(postgres: Postgres | None, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables at all."""
    if postgres is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    name = _unique("circles_e")
    url = await postgres.create(name)
    yield url
    await postgres.drop(name)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on this test's database."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> SessionMaker:
    """Sessions on this test's database."""
    return create_sessionmaker(engine)


@pytest.fixture
def clock() -> FakeClock:
    """A clock that only moves when the test moves it."""
    return FakeClock()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for this test's database and media store, no token, English and UTC
    defaults."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=database_url, media_dir=tmp_path / "media"
    )
