"""The database engine: the SQLite file holds everyone's answers, so only its owner reads it."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import text

from circles.db import create_engine


def _modes(path: Path) -> tuple[int | None, ...]:
    """The permission bits of the database, its -wal and its -shm (None: missing)."""
    files = (path, Path(f"{path}-wal"), Path(f"{path}-shm"))
    return tuple(stat.S_IMODE(f.stat().st_mode) if f.exists() else None for f in files)


def _world_readable_file(path: Path) -> None:
    path.touch()
    path.chmod(0o644)


async def test_a_new_sqlite_database_and_its_wal_are_private_to_their_owner(
    tmp_path: Path,
) -> None:
    path = tmp_path / "fresh.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE note (body TEXT)"))
            await connection.execute(text("INSERT INTO note VALUES ('private')"))
            assert _modes(path) == (0o600, 0o600, 0o600)
    finally:
        await engine.dispose()


async def test_an_old_world_readable_database_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _world_readable_file(path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE note (body TEXT)"))
            assert _modes(path) == (0o600, 0o600, 0o600)
    finally:
        await engine.dispose()
