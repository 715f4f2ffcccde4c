"""Resident memory of ``circles run`` with 10,000 members in the database.

Starts the real process (API, bot in long polling against a local fake Bot API, and the
scheduler) on a database holding ``--members`` consenting teachers in circles of ten.

* idle: RSS once the bot polls and the scheduler has swept once;
* loaded: the peak RSS (``VmHWM``) after a broadcast to every member (fan-out into the
  outbox, sending at Telegram's pace), a sweep of the scheduler at check-in time, 200
  teachers writing to the bot, and the admin API's country summaries.

Baseline in the same run: a bare python-telegram-bot echo bot polling the same fake.
Goal: under 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.fakebotapi import FakeBotApi, FakeUser
from support.service import bot_env, start_circles

from bench.broadcast import populate
from bench.common import scratch_database
from bench.inbound import start_bot, stop_bot
from circles.db import create_sessionmaker, transaction
from circles.models import TokenRole
from circles.services.tokens import create_token

MIB = 1024 * 1024


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of ``pid``, in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) * 1024
    return values


async def main(members: int, url: str | None) -> None:
    async with scratch_database(url) as engine, FakeBotApi() as fake:
        sessions = create_sessionmaker(engine)
        await populate(sessions, members)
        async with transaction(sessions) as session:
            token = await create_token(
                session,
                role=TokenRole.coordinator,
                name="bench",
                actor="bench",
                now=datetime.now(UTC),
            )
        database = engine.url.render_as_string(hide_password=False)
        kind = engine.dialect.name

        echo = await start_bot("echo", fake, None, 30)
        base = memory(echo.pid)["VmRSS"]
        await stop_bot(echo)

        monday = datetime(2026, 11, 30, 0, 5, tzinfo=UTC)  # after the circles' check-in time
        clock = Path(tempfile.mkdtemp()) / "clock"
        service = await start_circles(
            database, clock_file=clock, start=monday - timedelta(days=1), **bot_env(fake, "polling")
        )
        try:
            await service.wait_for_log("is polling for updates", within=120)
            await service.sweep_at(monday - timedelta(days=1))
            await asyncio.sleep(5)  # let start-up settle before reading idle memory
            idle = memory(service.process.pid)["VmRSS"]

            headers = {"Authorization": f"Bearer {token.secret}"}
            async with httpx.AsyncClient(
                base_url=service.api_url, headers=headers, timeout=120
            ) as api:
                created = await api.post(
                    "/v1/broadcasts",
                    json={"variants": {"en": "Hub on Friday."}, "default_language": "en"},
                )
                assert created.status_code == 201, created.text
                await service.sweep_at(monday)
                teachers = [FakeUser(id=30_000_000 + n, first_name="T") for n in range(200)]
                for round_ in range(3):
                    for teacher in teachers:
                        fake.user_message(teacher, "/help")
                    for country in ("GH", "BR", "KR"):
                        summary = await api.get(f"/v1/countries/{country}/summary")
                        assert summary.status_code == 200, summary.text
                    await fake.wait_for(
                        lambda r=round_: all(
                            len(fake.sent_to(t.id)) >= r + 1 for t in teachers[:50]
                        ),
                        120,
                        "replies",
                    )
                await asyncio.sleep(10)  # the outbox keeps sending meanwhile
                sent = len(fake.calls_for("sendMessage"))
            figures = memory(service.process.pid)
            service.process.send_signal(signal.SIGTERM)
            await service._finish(30)
        finally:
            await service.ensure_stopped()
    print(f"database: {kind}; {members:,} members; {sent:,} messages sent meanwhile")
    print(f"baseline: bare python-telegram-bot echo bot {base / MIB:.0f} MB")
    print(f"idle:   {idle / MIB:.0f} MB (×{idle / base:.1f} the echo bot)")
    print(
        f"loaded: {figures['VmHWM'] / MIB:.0f} MB peak, {figures['VmRSS'] / MIB:.0f} MB at the "
        f"end (×{figures['VmHWM'] / base:.1f} the echo bot); goal < 200 MB"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--database", default=None, help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    asyncio.run(main(args.members, args.database))
