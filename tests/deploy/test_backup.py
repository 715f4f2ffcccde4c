"""deploy/backup.sh and deploy/restore.sh: what is backed up comes back, a damaged
backup is refused. PostgreSQL only: the scripts use pg_dump and pg_restore."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ON_POSTGRES
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from circles.clock import FakeClock
from circles.db import SessionMaker, create_engine, transaction
from circles.models import Answer
from circles.services.demo import seed_all

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="backup.sh and restore.sh dump and restore PostgreSQL (pg_dump/pg_restore); "
    "a SQLite database is a file to copy",
)

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PHOTO = bytes(range(256)) * 40


def _pg_bin() -> str | None:
    """The directory of the server's client tools when pg_dump is not on PATH."""
    if shutil.which("pg_dump"):
        return None
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))
    if not found:
        pytest.skip("pg_dump is not installed")
    return str(Path(found[-1]).parent)


def _script(
    name: str, argument: Path, *, database_url: str, media: Path
) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ["PATH"],
        "CIRCLES_DATABASE_URL": database_url,
        "CIRCLES_MEDIA_DIR": str(media),
    }
    pg_bin = _pg_bin()
    if pg_bin:
        environment["PG_BIN"] = pg_bin
    return subprocess.run(
        ["sh", str(DEPLOY / name), str(argument)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def _contents(url: str) -> tuple[dict[str, int], list[tuple[object, ...]], str]:
    """Rows per table, every answer in full, and the schema's revision."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            counts = {
                table.name: await connection.scalar(select(func.count()).select_from(table))
                for table in SQLModel.metadata.sorted_tables
            }
            answers = [
                tuple(row)
                for row in await connection.execute(select(Answer.__table__).order_by(Answer.id))
            ]
            revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        await engine.dispose()
    return counts, answers, revision


async def test_a_backup_restored_into_an_empty_database_has_every_row_and_every_photo(
    database_url: str,
    empty_database_url: str,
    sessions: SessionMaker,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    async with transaction(sessions) as session:
        await seed_all(session, now=clock.now())
    media = tmp_path / "media"
    (media / "whatsapp").mkdir(parents=True)
    (media / "whatsapp" / "photo.jpg").write_bytes(PHOTO)
    backups = tmp_path / "backups"
    backups.mkdir()

    made = _script("backup.sh", backups, database_url=database_url, media=media)
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip())
    assert sorted(p.name for p in backup.iterdir()) == [  # noqa: ASYNC240
        "SHA256SUMS",
        "database.dump",
        "media.tar",
    ]

    restored_media = tmp_path / "restored-media"
    restored = _script("restore.sh", backup, database_url=empty_database_url, media=restored_media)
    assert restored.returncode == 0, restored.stderr

    before = await _contents(database_url)
    after = await _contents(empty_database_url)
    counts, answers, _ = before
    assert counts["answer"] > 0 and counts["person"] > 0 and answers
    assert after == before
    assert (restored_media / "whatsapp" / "photo.jpg").read_bytes() == PHOTO


async def test_a_damaged_backup_is_refused_and_nothing_is_restored(
    database_url: str,
    empty_database_url: str,
    clock: FakeClock,
    sessions: SessionMaker,
    tmp_path: Path,
) -> None:
    async with transaction(sessions) as session:
        await seed_all(session, now=clock.now())
    media = tmp_path / "media"
    media.mkdir()
    (media / "note.ogg").write_bytes(PHOTO)
    backups = tmp_path / "backups"
    backups.mkdir()
    made = _script("backup.sh", backups, database_url=database_url, media=media)
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip())
    dump = backup / "database.dump"
    damaged = bytearray(dump.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    dump.write_bytes(bytes(damaged))

    restored_media = tmp_path / "restored-media"
    refused = _script("restore.sh", backup, database_url=empty_database_url, media=restored_media)

    assert refused.returncode != 0
    assert "checksums do not match" in refused.stderr
    assert not restored_media.exists()
    engine = create_engine(empty_database_url)
    try:
        async with engine.connect() as connection:
            tables = await connection.scalar(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            )
    finally:
        await engine.dispose()
    assert tables == 0


def test_a_missing_backup_directory_is_refused(tmp_path: Path) -> None:
    refused = _script(
        "restore.sh", tmp_path / "nowhere", database_url="postgresql://127.0.0.1/x", media=tmp_path
    )
    assert refused.returncode != 0
    assert "does not exist" in refused.stderr


def test_an_unreachable_database_is_refused_without_showing_its_password(tmp_path: Path) -> None:
    url = make_url("postgresql://circles:s3cret-pw@127.0.0.1:1/circles")
    refused = _script(
        "backup.sh",
        tmp_path,
        database_url=url.render_as_string(hide_password=False),
        media=tmp_path / "media",
    )
    assert refused.returncode != 0
    assert "is the database reachable?" in refused.stderr
    assert "s3cret-pw" not in refused.stderr + refused.stdout
    assert list(tmp_path.iterdir()) == []
