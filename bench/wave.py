"""A weekly wave: planning check-ins for many teachers, then sending at Telegram's pace.

Planning is measured against a baseline in the same run: bulk-inserting the same number
of bare check-in rows. Sending is measured against the configured limit: the rate
achieved by the outbox sender through a local fake Bot API, as a fraction of the bulk
share of the limit (80 % of the overall rate).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.fakebotapi import FakeBotApi

from bench.common import insert_people, scratch_database
from bot.flows.prompts import open_checkins
from bot.handlers.telegram.app import build_application
from bot.handlers.telegram.ratelimit import TelegramLimits
from bot.handlers.telegram.sender import OutboxSender
from circles.clock import FakeClock
from circles.db import create_sessionmaker, transaction
from circles.models import (
    CheckIn,
    CheckInStatus,
    Circle,
    Consent,
    Membership,
    Outbox,
    OutboxState,
    Phase,
    Role,
)
from circles.settings import Settings

OPENS = datetime(2026, 9, 7, 16, 0, tzinfo=UTC)
ZONES = [
    "Africa/Accra",
    "Europe/Zurich",
    "America/Sao_Paulo",
    "Asia/Seoul",
    "Asia/Kuala_Lumpur",
    "America/Montevideo",
    "Africa/Abidjan",
]


def rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def populate(sessions, teachers: int) -> None:
    """``teachers`` consenting teachers in circles of ten, all due on Monday 16:00 local."""
    joined = OPENS - timedelta(days=30)
    async with transaction(sessions) as session:
        circles = [
            {
                "name": f"Circle {n}",
                "country": "GH",
                "language": "en",
                "timezone": ZONES[n % len(ZONES)],
                "cadence": "weekly",
                "checkin_weekday": 0,
                "checkin_time": datetime(2026, 1, 1, 16).time(),
                "days_before_meeting": 3,
                "first_nudge_hours": 24,
                "second_nudge_hours": 72,
                "quiet_from": datetime(2026, 1, 1, 21).time(),
                "quiet_until": datetime(2026, 1, 1, 7).time(),
                "created_at": joined,
            }
            for n in range(teachers // 10)
        ]
        for start in range(0, len(circles), 1000):
            await session.execute(insert(Circle), circles[start : start + 1000])
        circle_ids = list(await session.scalars(select(Circle.id).order_by(Circle.id)))
        for start in range(0, teachers, 5000):
            people = [
                {
                    "language": "en",
                    "timezone": ZONES[(n // 10) % len(ZONES)],
                    "consent": Consent.given,
                    "created_at": joined,
                }
                for n in range(start, min(teachers, start + 5000))
            ]
            ids = await insert_people(session, people, first_address=10_000_000 + start, now=joined)
            await session.execute(
                insert(Membership),
                [
                    {
                        "person_id": pid,
                        "circle_id": circle_ids[(start + i) // 10],
                        "role": Role.teacher,
                        "joined_at": joined,
                    }
                    for i, pid in enumerate(ids)
                ],
            )


async def baseline(sessions, teachers: int) -> float:
    """Seconds to bulk-insert ``teachers`` bare check-in rows (then remove them)."""
    async with sessions() as session:
        people = list(
            (await session.execute(select(Membership.person_id, Membership.circle_id))).all()
        )
    start = time.perf_counter()
    async with transaction(sessions) as session:
        for first in range(0, len(people), 2000):
            await session.execute(
                insert(CheckIn),
                [
                    {
                        "person_id": p,
                        "circle_id": c,
                        "phase": Phase.pilot,
                        "scheduled_for": OPENS - timedelta(days=70),
                        "status": CheckInStatus.open,
                        "nudges_sent": 0,
                    }
                    for p, c in people[first : first + 2000]
                ],
            )
    elapsed = time.perf_counter() - start
    async with transaction(sessions) as session:
        await session.execute(delete(CheckIn))
    return elapsed


async def send_sample(sessions, clock, count: int, per_second: float) -> tuple[float, float]:
    """Send ``count`` queued messages through a fake Bot API; (rate achieved, CPU ms/msg)."""
    async with FakeBotApi() as fake:
        settings = Settings(
            _env_file=None,
            telegram_token=fake.token,  # type: ignore[call-arg]
            telegram_api_url=fake.base_url,
        )
        limits = TelegramLimits(per_second=per_second)
        app = build_application(settings, sessions, clock, limits)
        await app.initialize()
        try:
            async with transaction(sessions) as session:
                first = select(Outbox.id).order_by(Outbox.id).limit(count)
                await session.execute(delete(Outbox).where(Outbox.id.not_in(first)))
            sender = OutboxSender(app.bot, sessions, clock, limits, batch=100)
            cpu, wall = time.process_time(), time.perf_counter()
            report = await sender.drain(limit=count)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            await app.shutdown()
    assert report.sent == count, report
    return report.sent / wall, cpu / max(1, report.sent) * 1000


async def main(teachers: int, url: str | None, send: int, per_second: float) -> None:
    async with scratch_database(url) as engine:
        sessions = create_sessionmaker(engine)
        print(f"populating {teachers:,} teachers …", flush=True)
        await populate(sessions, teachers)
        base = await baseline(sessions, teachers)
        # Tuesday 10:00 UTC: past Monday 16:00 everywhere, and outside every quiet hour.
        clock = FakeClock(OPENS + timedelta(hours=18))
        memory_before = rss_mb()
        start = time.perf_counter()
        async with transaction(sessions) as session:
            wave = await open_checkins(session, now=clock.now())
        planning = time.perf_counter() - start
        memory_after = rss_mb()
        async with sessions() as session:
            queued = await session.scalar(
                select(func.count()).select_from(Outbox).where(Outbox.state == OutboxState.pending)
            )
        rate, cpu_ms = await send_sample(sessions, clock, send, per_second)
        kind = engine.dialect.name
    bulk_limit = per_second * 0.8
    print(f"database: {kind}")
    print(
        f"planned {wave.opened:,} check-ins and {queued:,} invitations in {planning:.2f} s "
        f"(baseline bare insert {base:.2f} s, ratio {planning / base:.2f})"
    )
    print(f"peak RSS {memory_after:.0f} MB (before planning {memory_before:.0f} MB)")
    print(
        f"sent {send:,} at {rate:.1f}/s against a bulk limit of {bulk_limit:.1f}/s: "
        f"{rate / bulk_limit:.1%} of the limit; {cpu_ms:.2f} ms CPU per message"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teachers", type=int, default=100_000)
    parser.add_argument("--database", default=None, help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--send", type=int, default=600, help="messages to send for the rate")
    parser.add_argument("--per-second", type=float, default=30.0)
    args = parser.parse_args()
    asyncio.run(main(args.teachers, args.database, args.send, args.per_second))
