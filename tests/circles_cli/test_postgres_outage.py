"""PostgreSQL goes away under a running ``circles run`` and comes back.

The test starts a throwaway cluster of its own (initdb and pg_ctl, as the ``postgres``
user, on a free port in a temporary folder), so stopping it disturbs no other test.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from support.fakebotapi import FakeBotApi
from support.seeds import rows, seed, start
from support.service import RemotePhone, free_port

from circles.models import Answer

BIN = Path("/usr/lib/postgresql/15/bin")

pytestmark = pytest.mark.skipif(
    not (BIN / "initdb").exists() or shutil.which("runuser") is None,
    reason="needs PostgreSQL 15's initdb and pg_ctl, and runuser",
)


@dataclass
class Cluster:
    """A PostgreSQL cluster in ``folder``, run by the ``postgres`` user."""

    folder: Path
    port: int

    async def _pg_ctl(self, *args: str) -> None:
        await _run("pg_ctl", "-D", str(self.folder / "data"), "-w", *args)

    async def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        await self._pg_ctl("-l", str(self.folder / "log"), "-o", options, "start")

    async def stop(self) -> None:
        await self._pg_ctl("-m", "fast", "stop")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/circles"


async def _run(program: str, *args: str) -> None:
    process = await asyncio.create_subprocess_exec(
        "runuser",
        "-u",
        "postgres",
        "--",
        str(BIN / program),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    folder = Path(tempfile.mkdtemp(prefix="circles-pg-"))
    shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder, free_port())
    await _run("initdb", "-D", str(folder / "data"), "-A", "trust", "-U", "postgres", "-N")
    await cluster.start()
    try:
        connection = await asyncpg.connect(host="127.0.0.1", port=cluster.port, user="postgres")
        await connection.execute("CREATE DATABASE circles")
        await connection.close()
        yield cluster
    finally:
        await cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def test_a_teacher_is_told_to_retry_while_postgres_is_down_and_it_recovers_alone(
    cluster: Cluster, tmp_path: Path
) -> None:
    """While PostgreSQL is stopped, a French teacher's answer gets a French "try again in a
    moment" and nothing is saved; once it is back, the same answer goes through, without
    restarting the service."""
    async with FakeBotApi() as fake:
        service = await start(cluster.url, fake, tmp_path)  # migrates the empty database
        seeded = await seed(cluster.url, 1, language="fr")
        try:
            claire = RemotePhone(fake, seeded.teachers[0], "polling", service)
            [invitation] = await claire.send("/checkin")  # with its first question
            question = claire.last_with_buttons()
            assert question["text"] == invitation
            await cluster.stop()
            [sorry] = await claire.tap("En partie", message=question)
            assert sorry.startswith("Toutes nos excuses"), sorry
            assert "Veuillez réessayer dans un instant." in sorry.replace("\n", " ")

            await cluster.start()
            [next_question] = await claire.tap("En partie", message=question)
            assert next_question.startswith("Qu'avez-vous fait")
            assert service.process.returncode is None  # never restarted
            assert await service.stop() == 0
        finally:
            await service.ensure_stopped()
    answers = await rows(cluster.url, Answer)
    assert [a.value_choice for a in answers] == ["partly"]
    assert "lost the database connection" in service.log or "error while handling" in service.log
