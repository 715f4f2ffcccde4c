"""A broadcast to many teachers through a fake Bot API that enforces Telegram's limits.

Reports the sending rate achieved as a fraction of the configured bulk limit (80 % of
30 a second), how many 429s the fake had to give (goal: none in the steady state), and
the send loop's CPU time per message, measured against a baseline in the same run: the
CPU of only calling the fake Bot API for the same number of messages, without the
outbox (no database, no limiter).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.fakebotapi import FakeBotApi

from bench.common import insert_people, scratch_database
from bot.handlers.telegram.app import build_application
from bot.handlers.telegram.ratelimit import TelegramLimits
from bot.handlers.telegram.sender import OutboxSender
from circles.clock import SystemClock
from circles.db import create_sessionmaker, transaction
from circles.models import Circle, Consent, Membership, Role
from circles.services.broadcasts import Audience, broadcast_report, create_broadcast, fan_out
from circles.settings import Settings

JOINED = datetime(2026, 9, 1, tzinfo=UTC)


async def populate_circles(session, count: int) -> list[int]:
    """``count`` circles across three countries; their ids, in order."""
    for n in range(count):
        await session.execute(
            insert(Circle),
            [
                {
                    "name": f"B{n}",
                    "country": ("GH", "BR", "KR")[n % 3],
                    "language": "en",
                    "timezone": "UTC",
                    "cadence": "weekly",
                    "checkin_weekday": 0,
                    "checkin_time": JOINED.time(),
                    "days_before_meeting": 3,
                    "first_nudge_hours": 24,
                    "second_nudge_hours": 72,
                    "quiet_from": JOINED.time(),
                    "quiet_until": JOINED.time(),
                    "created_at": JOINED,
                }
            ],
        )
    return list(await session.scalars(select(Circle.id).order_by(Circle.id)))


async def populate(sessions, recipients: int) -> None:
    """``recipients`` consenting teachers in circles of ten across three countries."""
    async with transaction(sessions) as session:
        circles = await populate_circles(session, recipients // 10)
        ids = await insert_people(
            session,
            [
                {
                    "language": ("en", "pt_BR", "ko")[n % 3],
                    "timezone": "UTC",
                    "consent": Consent.given,
                    "created_at": JOINED,
                }
                for n in range(recipients)
            ],
            first_address=30_000_000,
            now=JOINED,
        )
        await session.execute(
            insert(Membership),
            [
                {
                    "person_id": pid,
                    "circle_id": circles[i // 10],
                    "role": Role.teacher,
                    "joined_at": JOINED,
                }
                for i, pid in enumerate(ids)
            ],
        )


async def baseline(fake: FakeBotApi, settings: Settings, count: int) -> float:
    """CPU seconds per message for bare sendMessage calls (no outbox, no limiter)."""
    from telegram import Bot

    bot = Bot(
        settings.telegram_token.get_secret_value(),  # type: ignore[union-attr]
        base_url=f"{fake.base_url}/bot",
    )
    async with bot:
        cpu = time.process_time()
        for n in range(count):
            await bot.send_message(40_000_000 + n, "baseline")
        return (time.process_time() - cpu) / count


async def main(recipients: int, url: str | None) -> None:
    async with scratch_database(url) as engine, FakeBotApi(enforce_limits=True) as fake:
        sessions = create_sessionmaker(engine)
        await populate(sessions, recipients)
        settings = Settings(
            _env_file=None,
            telegram_token=fake.token,  # type: ignore[call-arg]
            telegram_api_url=fake.base_url,
        )
        clock = SystemClock()
        async with transaction(sessions) as session:
            broadcast = await create_broadcast(
                session,
                variants={
                    "en": "Regional hub on Friday",
                    "pt_BR": "Encontro na sexta",
                    "ko": "금요일 지역 모임",
                },
                default_language="en",
                audience=Audience(),
                created_by="bench",
                now=clock.now(),
            )
            queued = await fan_out(session, broadcast=broadcast, now=clock.now())
        limits = TelegramLimits()
        app = build_application(settings, sessions, clock, limits)
        await app.initialize()
        try:
            sender = OutboxSender(app.bot, sessions, clock, limits, batch=100)
            cpu, wall = time.process_time(), time.perf_counter()
            sent = 0
            deadline = time.perf_counter() + recipients / 10 + 60
            while sent < queued and time.perf_counter() < deadline:
                report = await sender.send_due()
                sent += report.sent
                if not report.handled:
                    await asyncio.sleep(0.2)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            await app.shutdown()
        violations = fake.limit_violations
        async with sessions() as session:
            report = await broadcast_report(session, broadcast_id=broadcast.id)
        fake.enforce_limits = False  # the baseline measures calls, not pacing
        base_cpu = await baseline(fake, settings, min(500, recipients))
        kind = engine.dialect.name
    bulk = 30 * 0.8
    print(f"database: {kind}; {queued:,} recipients")
    print(
        f"sent {sent:,} in {wall:.1f} s = {sent / wall:.1f}/s, {sent / wall / bulk:.1%} of the "
        f"bulk limit ({bulk:.0f}/s); 429s from the fake: {violations}"
    )
    print(
        f"CPU per message: {cpu / max(sent, 1) * 1000:.2f} ms (baseline bare send "
        f"{base_cpu * 1000:.2f} ms, ratio {cpu / max(sent, 1) / base_cpu:.1f})"
    )
    print(f"deliveries: {report.counts}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--database", default=None, help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    asyncio.run(main(args.recipients, args.database))
