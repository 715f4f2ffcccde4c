"""Inbound updates: the full bot against a bare python-telegram-bot echo bot.

200 simulated teachers write to the bot through a local fake Bot API (long polling, as
in production). Each bot runs in its own process; the fake and the teachers run here.

* Throughput: every teacher sends its next message as soon as the replies to the last
  one arrived (a closed loop): updates handled per second.
* CPU: the bot process's user and system time per update in the closed loop (from
  ``/proc``), steadier than throughput on a shared machine.
* Latency: the teachers write at a steady offered rate (``--rate`` updates a second in
  all, well below both bots' capacity), and the time from an update being available to
  ``getUpdates`` to its first reply reaching the fake is recorded: p50 and p99.

The full bot answers a weekly pilot check-in typed by each teacher (seven updates: the
command, four answers, the rating, the last answer), every update in one transaction
with the claim of its id, exactly as ``circles run`` handles it. The echo bot copies
each text back. The full bot runs twice for throughput and twice for latency: with
Telegram's overall limit of 30 messages a second that production keeps (so the limit,
not the code, sets the pace; and replies due together beyond it wait their turn), and
with Telegram's limits lifted (overall and per chat) to measure the code. The echo bot
runs bare (the baseline of every ratio) and once more through the full bot's limiter, to
compare the two bots as they would run against Telegram. A third bot is the floor of
this stack: the echo bot that first claims each update and loads its sender in one
transaction, as every update of the full bot begins (``bench.echo --store``).

Each step of the check-in is answered with one message (a step's introduction or
thanks and the next question are joined), so the 10 updates a second offered for the
latency phase ask for about 10 sends a second, a third of Telegram's 30.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.fakebotapi import FakeBotApi, FakeUser

from bench.common import piloting_teacher, scratch_database
from circles.db import create_sessionmaker, transaction
from circles.models import Consent, Person
from circles.services.circles import create_circle

#: What a teacher types, and how many messages the full bot sends to each (the
#: introduction and the first question are one message, as are the thanks and the trend).
CHECKIN = [
    ("/checkin", 1),
    ("yes", 1),
    ("Mini whiteboards in three lessons", 1),
    ("Half the class could explain the hinge question", 1),
    ("3", 1),
    ("Ask the hinge question earlier", 1),
    ("More time for peer feedback", 1),
]
FIRST_ID = 60_000_000


async def seed(sessions, teachers: int, first_id: int) -> None:
    """``teachers`` onboarded teachers in their pilot, each with this week's check-in open."""
    now = datetime.now(UTC)
    opened = now.replace(hour=0, minute=0, second=0, microsecond=0)  # today's check-in
    async with transaction(sessions) as session:
        circle = None
        for n in range(teachers):
            if n % 10 == 0:
                circle = await create_circle(
                    session,
                    name=f"Inbound {first_id + n}",
                    country="GH",
                    language="en",
                    timezone="UTC",
                    now=now,
                    weekday=opened.weekday(),
                    at=opened.time(),
                )
            person = Person(
                display_name=f"T{n}",
                timezone="UTC",
                consent=Consent.given,
                consent_at=now,
                created_at=now,
            )
            await piloting_teacher(
                session,
                person,
                circle,
                address=str(first_id + n),
                opens=opened,
                closes=opened + timedelta(days=6),
                now=now,
            )


# ---------------------------------------------------------------- the bots (child processes)


async def serve(api: str, database: str, per_second: float) -> None:
    """Run the full bot in long polling until SIGTERM, as ``circles run`` does."""
    from bot.handlers.telegram.app import build_application
    from bot.handlers.telegram.ratelimit import TelegramLimits
    from bot.handlers.telegram.runner import ALLOWED_UPDATES
    from circles.clock import SystemClock
    from circles.db import create_engine
    from circles.settings import Settings

    settings = Settings(
        _env_file=None,
        database_url=database,
        telegram_token="123456:TEST-TOKEN",  # type: ignore[call-arg]
        telegram_api_url=api,
    )
    engine = create_engine(settings.database_url)
    limits = (
        TelegramLimits(per_second=per_second)
        if per_second
        else TelegramLimits(per_second=1e6, private_gap=0.0, group_per_minute=1e9)
    )
    app = build_application(settings, create_sessionmaker(engine), SystemClock(), limits)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        print("ready", flush=True)
        await stop.wait()
        await app.updater.stop()
        await app.stop()
    await engine.dispose()


async def start_bot(kind: str, fake: FakeBotApi, database: str | None, per_second: float):
    if kind == "echo":  # its own small module: its memory is the baseline of bench.memory
        command = ["-m", "bench.echo", fake.base_url, "--per-second", str(per_second)]
    elif kind == "store":
        command = ["-m", "bench.echo", fake.base_url, "--store", database or ""]
    else:
        command = ["-m", "bench.inbound", "--serve", kind, "--api", fake.base_url]
        command += ["--database", database or "", "--per-second", str(per_second)]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 60)
    assert line.strip() == b"ready", line
    return process


async def stop_bot(process) -> None:
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), 30)


# ---------------------------------------------------------------- the teachers (this process)


async def teacher(
    fake: FakeBotApi,
    user: FakeUser,
    script: list[tuple[str, int]],
    latencies: list[float],
    think: tuple[float, float] | None,
) -> None:
    """Type each message of ``script`` once the replies to the last one have arrived."""
    rng = random.Random(user.id)
    if think is not None:
        await asyncio.sleep(rng.uniform(*think))
    for text, replies in script:
        before = len(fake.sent_to(user.id))
        sent = time.perf_counter()
        fake.user_message(user, text)
        await fake.wait_for(lambda b=before: len(fake.sent_to(user.id)) > b, 120, "a reply")
        latencies.append(time.perf_counter() - sent)
        await fake.wait_for_messages(user.id, before + replies, timeout=120)
        if think is not None:
            await asyncio.sleep(rng.uniform(*think))


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has used so far, from ``/proc``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def phase(
    fake: FakeBotApi,
    kind: str,
    database: str | None,
    users: list[FakeUser],
    *,
    per_second: float,
    think: tuple[float, float] | None,
) -> tuple[float, list[float], float]:
    """Updates a second, first-reply latencies and the bot's CPU ms per update."""
    script = CHECKIN if kind == "full" else [(text, 1) for text, _ in CHECKIN]
    process = await start_bot(kind, fake, database, per_second)
    latencies: list[float] = []
    updates = len(users) * len(script)
    try:
        cpu = cpu_seconds(process.pid)
        start = time.perf_counter()
        await asyncio.gather(*(teacher(fake, u, script, latencies, think) for u in users))
        wall = time.perf_counter() - start
        cpu = cpu_seconds(process.pid) - cpu
    finally:
        await stop_bot(process)
    return updates / wall, latencies, cpu / updates * 1000


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000


async def main(teachers: int, rate: float, url: str | None) -> None:
    groups = [
        [FakeUser(id=FIRST_ID + g * 10_000 + n, first_name=f"T{n}") for n in range(teachers)]
        for g in range(5)
    ]
    mean = teachers / rate  # seconds between one teacher's messages: ``rate`` a second in all
    think = (mean / 2, mean * 3 / 2)
    async with scratch_database(url) as engine, FakeBotApi() as fake:
        sessions = create_sessionmaker(engine)
        for group in groups:
            await seed(sessions, teachers, group[0].id)
        database = engine.url.render_as_string(hide_password=False)
        kind = engine.dialect.name
        results = {}
        results["echo"] = await phase(fake, "echo", None, groups[0], per_second=0, think=None)
        results["echo + claim + sender"] = await phase(
            fake, "store", database, groups[0], per_second=0, think=None
        )
        results["echo, 30/s"] = await phase(
            fake, "echo", None, groups[0], per_second=30, think=None
        )
        results["full, 30/s"] = await phase(
            fake, "full", database, groups[1], per_second=30, think=None
        )
        results["full, no Telegram limits"] = await phase(
            fake, "full", database, groups[2], per_second=0, think=None
        )
        _, echo_lat, _ = await phase(fake, "echo", None, groups[0], per_second=0, think=think)
        _, full_lat, _ = await phase(fake, "full", database, groups[3], per_second=30, think=think)
        _, code_lat, _ = await phase(fake, "full", database, groups[4], per_second=0, think=think)
    echo_rate, _, echo_cpu = results["echo"]
    print(
        f"database: {kind}; {teachers} teachers, {len(CHECKIN)} updates each; "
        f"cpus: {os.cpu_count()}"
    )
    print("throughput (closed loop), and the bot process's CPU time per update:")
    for name, (per_second, _lat, cpu) in results.items():
        print(
            f"  {name:24} {per_second:7.1f} updates/s  ({per_second / echo_rate:.0%} of echo)"
            f"  {cpu:5.2f} ms CPU/update  (x{cpu / echo_cpu:.1f} echo)"
        )
    limited = results["full, 30/s"][0] / results["echo, 30/s"][0]
    print(f"  full ÷ echo, both with Telegram's limits: {limited:.0%}")
    floor = results["full, no Telegram limits"][0] / results["echo + claim + sender"][0]
    print(f"  full ÷ echo + claim + sender, no limits: {floor:.0%}")
    print(f"latency to the first reply at {rate:.0f} updates/s offered:")
    for name, lat in (
        ("echo", echo_lat),
        ("full, 30/s", full_lat),
        ("full, no Telegram limits", code_lat),
    ):
        print(f"  {name:24} p50 {p(lat, 50):6.1f} ms  p99 {p(lat, 99):6.1f} ms  (n={len(lat)})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teachers", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0, help="offered updates/s for latency")
    parser.add_argument("--database", default=None, help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--serve", choices=["full"], help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--per-second", type=float, default=30.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.api, args.database, args.per_second))
    else:
        asyncio.run(main(args.teachers, args.rate, args.database))
