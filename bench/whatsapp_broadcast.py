"""A broadcast to many teachers on WhatsApp, through a local fake Cloud API.

Most recipients wrote within the last 24 hours (the message goes as it is); the others
did not (it goes as the ``broadcast`` template, which counts against the messaging tier),
and there are more of them than the tier admits. Reports, measured in the same run:

- the sending rate as a share of the configured per-number rate (bulk sends keep to
  80 % of ``--rate``, so that share is the goal), and the most messages the fake got in
  any one second (never more than the rate);
- how many people got a template beyond the messaging tier (goal: none), and how many
  wait for a free slot (the rest of the wave goes on over the next day);
- the sender's CPU time per message against a baseline: the CPU of only calling the
  fake Cloud API through the same client for the same number of messages, without the
  outbox (no database, no pacing).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from starlette.responses import JSONResponse

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.fakecloud import FakeCloud

from bench.broadcast import populate_circles
from bench.common import scratch_database
from bot.handlers.whatsapp.client import pacer
from bot.handlers.whatsapp.runner import client_for
from bot.handlers.whatsapp.sender import WhatsAppSender
from circles.clock import SystemClock
from circles.db import create_sessionmaker, transaction
from circles.models import Channel, Consent, Identity, Membership, Outbox, OutboxState, Person, Role
from circles.services.broadcasts import Audience, create_broadcast, fan_out
from circles.settings import Settings

JOINED = datetime(2026, 9, 1, tzinfo=UTC)
FIRST_ADDRESS = 233_300_000_000


@dataclass
class TimedCloud(FakeCloud):
    """The fake Cloud API, noting when it accepted each message."""

    accepted_at: list[float] = field(default_factory=list)

    def _answer(self, body: dict[str, Any]) -> JSONResponse:
        answer = super()._answer(body)
        if answer.status_code == 200:
            self.accepted_at.append(time.perf_counter())
        return answer


def is_outside(n: int, outside: float) -> bool:
    """Whether the ``n``-th recipient is outside the window (a share ``outside``, spread)."""
    return int((n + 1) * outside) > int(n * outside)


async def populate(sessions, recipients: int, outside: float, now: datetime) -> None:
    """``recipients`` consenting teachers on WhatsApp in circles of ten; a share
    ``outside`` of them last wrote three days ago, the others two hours ago."""
    async with transaction(sessions) as session:
        circles = await populate_circles(session, recipients // 10)
        people = [
            {
                "language": ("en", "pt_BR", "ko")[n % 3],
                "timezone": "UTC",
                "consent": Consent.given,
                "created_at": JOINED,
            }
            for n in range(recipients)
        ]
        ids = list(
            (
                await session.execute(
                    insert(Person).returning(Person.id, sort_by_parameter_order=True), people
                )
            ).scalars()
        )
        await session.execute(
            insert(Identity),
            [
                {
                    "person_id": pid,
                    "channel": Channel.whatsapp,
                    "address": str(FIRST_ADDRESS + n),
                    "created_at": JOINED,
                    "last_inbound_at": now
                    - (timedelta(days=3) if is_outside(n, outside) else timedelta(hours=2)),
                }
                for n, pid in enumerate(ids)
            ],
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


async def baseline(settings: Settings, count: int) -> float:
    """CPU seconds per message for bare ``send_text`` calls (no outbox, no pacing)."""
    client = client_for(settings)
    try:
        cpu = time.process_time()
        for n in range(count):
            await client.send_text(str(FIRST_ADDRESS + n), "Regional hub on Friday")
        return (time.process_time() - cpu) / count
    finally:
        await client.aclose()


def busiest_second(times: list[float]) -> int:
    """The most messages accepted within any one second."""
    return max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


async def main(recipients: int, outside: float, tier: int, rate: float, url: str | None) -> None:
    clock = SystemClock()
    async with scratch_database(url) as engine, TimedCloud() as cloud:
        sessions = create_sessionmaker(engine)
        await populate(sessions, recipients, outside, clock.now())
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            whatsapp_token=cloud.token,
            whatsapp_phone_number_id=cloud.phone_number_id,
            whatsapp_api_url=cloud.api_url,
            whatsapp_app_secret="bench",
            whatsapp_verify_token="bench",
        )
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
        client = client_for(settings, limits=pacer(rate))
        sender = WhatsAppSender(client, sessions, clock, batch=100, tier=tier)
        cpu, wall = time.process_time(), time.perf_counter()
        deadline = wall + recipients / (rate * 0.8) * 4 + 60
        try:
            while time.perf_counter() < deadline and await sender.send_due():
                pass
        finally:
            await client.aclose()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        async with sessions() as session:
            states = dict(
                (
                    await session.execute(select(Outbox.state, func.count()).group_by(Outbox.state))
                ).all()
            )
        sent = len(cloud.sent)
        times = sorted(cloud.accepted_at)
        templates = {m["to"] for m in cloud.sent if m["type"] == "template"}
        base_cpu = await baseline(settings, min(500, recipients))
        kind = engine.dialect.name
        refused = len(cloud.refused)
    bulk = rate * 0.8
    achieved = (sent - 1) / (times[-1] - times[0]) if sent > 1 else 0.0
    away = sum(is_outside(n, outside) for n in range(recipients))
    print(f"database: {kind}; {queued:,} recipients, {away:,} of them outside the window")
    print(
        f"sent {sent:,} in {wall:.1f} s: {achieved:.1f}/s, {achieved / bulk:.1%} of the bulk "
        f"rate ({bulk:.0f}/s = 80 % of {rate:g}/s); busiest second: {busiest_second(times)} "
        f"messages; refused by the fake: {refused}"
    )
    print(
        f"messaging tier {tier:,}: {len(templates):,} people reached by template, "
        f"{max(0, len(templates) - tier):,} beyond the tier; "
        f"{states.get(OutboxState.pending, 0):,} rows wait for a free slot"
    )
    print(
        f"CPU per message: {cpu / max(sent, 1) * 1000:.2f} ms (baseline bare send "
        f"{base_cpu * 1000:.2f} ms, ratio {cpu / max(sent, 1) / base_cpu:.1f})"
    )
    print(f"outbox: { ({state.value: count for state, count in states.items()}) }")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument(
        "--outside", type=float, default=0.3, help="share outside the 24-hour window"
    )
    parser.add_argument("--tier", type=int, default=2000, help="the messaging tier")
    parser.add_argument("--rate", type=float, default=80.0, help="messages a second")
    parser.add_argument("--database", default=None, help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    asyncio.run(main(args.recipients, args.outside, args.tier, args.rate, args.database))
