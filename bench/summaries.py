"""Circle and country summaries on a large generated dataset, against a bare count.

The dataset: ``--circles`` circles (default 1,000) spread over the seven pilot countries,
ten teachers each, ``--weeks`` weeks (default 40) of weekly check-ins (80 % answered,
15 % missed, 5 % skipped) with five pilot answers per answered check-in: 400,000
check-ins and 1.6 million answers at the default size. Rows are written with Core
``insert()`` in batches of :data:`BATCH` rows with explicit ids, so generation is fast.

Measured, each call in its own session as an API request would be:

* baseline: ``SELECT count(*) FROM checkin WHERE circle_id = …`` for a random circle;
* the circle summary of a random circle as its facilitator reads it
  (:func:`circles.services.summaries.circle_summary`);
* the country summary of each country in turn (:func:`~circles.services.summaries.
  country_summary`), about 140 circles and 1,400 teachers each.

It prints p50 and p95 latencies, the ratio of each p50 to the baseline's, and the number
of SQL statements each call made (counted with a ``before_cursor_execute`` listener).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench.common import scratch_database
from circles.db import create_sessionmaker
from circles.models import (
    Answer,
    AnswerKind,
    CheckIn,
    CheckInStatus,
    Circle,
    Consent,
    FlowRun,
    FlowStatus,
    Inquiry,
    Membership,
    Person,
    Phase,
    Role,
    TokenRole,
)
from circles.services import summaries
from circles.services.access import Scope
from circles.services.weeks import Week, week_of

COUNTRIES = {
    "BR": "America/Sao_Paulo",
    "CI": "Africa/Abidjan",
    "GH": "Africa/Accra",
    "MY": "Asia/Kuala_Lumpur",
    "KR": "Asia/Seoul",
    "CH": "Europe/Zurich",
    "UY": "America/Montevideo",
}
TEACHERS = 10
#: Rows per batch of INSERTs.
BATCH = 10_000
#: Circles generated per round, so that memory stays small.
ROUND = 50
LAST_WEEK = Week(2026, 24)
ADMIN = Scope("bench", TokenRole.admin)


async def _write(connection: AsyncConnection, model: Any, rows: list[dict[str, Any]]) -> None:
    """Core INSERTs in batches: one statement, many parameter sets (``executemany``).

    SQLite runs the compiled statement once per row inside the driver; on PostgreSQL
    SQLAlchemy folds each batch into multi-row ``VALUES`` ("insertmanyvalues").
    """
    for start in range(0, len(rows), BATCH):
        await connection.execute(insert(model.__table__), rows[start : start + BATCH])


def _scheduled(timezone: str, week: Week) -> datetime:
    """Monday 16:00 in ``timezone`` of ``week``, as UTC."""
    local = datetime.combine(week.monday, clock_time(16, 0), tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)


async def generate(engine: AsyncEngine, circles: int, weeks: int, seed: int = 11) -> dict:
    """Write the dataset; return how many rows of each kind."""
    rng = random.Random(seed)
    first = LAST_WEEK.shift(1 - weeks)
    start = _scheduled("UTC", first) - timedelta(days=14)
    codes = list(COUNTRIES)
    counts = dict.fromkeys(("circles", "teachers", "checkins", "answers"), 0)
    person_id = checkin_id = answer_id = 0
    for round_start in range(0, circles, ROUND):
        circle_rows, people, members, inquiries = [], [], [], []
        runs, checkins, answers = [], [], []
        for circle_id in range(round_start + 1, min(circles, round_start + ROUND) + 1):
            country = codes[circle_id % len(codes)]
            timezone = COUNTRIES[country]
            circle_rows.append(
                {
                    "id": circle_id,
                    "name": f"Circle {circle_id:05d}",
                    "country": country,
                    "language": "en",
                    "timezone": timezone,
                    "checkin_time": clock_time(16, 0),
                    "created_at": start,
                }
            )
            slots = [_scheduled(timezone, first.shift(w)) for w in range(weeks)]
            for _ in range(TEACHERS):
                person_id += 1
                people.append(
                    {
                        "id": person_id,
                        "display_name": f"Teacher {person_id}",
                        "language": "en",
                        "timezone": timezone,
                        "consent": Consent.given,
                        "created_at": start,
                    }
                )
                members.append(
                    {
                        "person_id": person_id,
                        "circle_id": circle_id,
                        "role": Role.teacher,
                        "joined_at": start,
                    }
                )
                phase = rng.choices(list(Phase), weights=(1, 6, 2, 1))[0]
                inquiries.append(
                    {
                        "id": person_id,
                        "person_id": person_id,
                        "circle_id": circle_id,
                        "phase": phase,
                        "started_at": start,
                    }
                )
                rating = rng.randint(2, 4)
                for week, scheduled in enumerate(slots):
                    checkin_id += 1
                    roll = rng.random()
                    status = (
                        CheckInStatus.answered
                        if roll < 0.8
                        else CheckInStatus.missed
                        if roll < 0.95
                        else CheckInStatus.skipped
                    )
                    checkins.append(
                        {
                            "id": checkin_id,
                            "person_id": person_id,
                            "circle_id": circle_id,
                            "inquiry_id": person_id,
                            "phase": Phase.pilot,
                            "iteration": week + 1,
                            "scheduled_for": scheduled,
                            "status": status,
                            "opened_at": scheduled,
                            "closes_at": scheduled + timedelta(days=6),
                            "answered_at": scheduled + timedelta(hours=3)
                            if status is CheckInStatus.answered
                            else None,
                        }
                    )
                    if status is not CheckInStatus.answered:
                        continue
                    runs.append(
                        {
                            "id": checkin_id,
                            "person_id": person_id,
                            "flow_id": "pilot",
                            "flow_version": 1,
                            "status": FlowStatus.completed,
                            "checkin_id": checkin_id,
                            "state": {},
                            "started_at": scheduled,
                            "updated_at": scheduled,
                        }
                    )
                    rating = max(1, min(5, rating + rng.choice((-1, 0, 0, 1))))
                    when = scheduled + timedelta(hours=3)
                    for key, kind, value in (
                        ("tried", AnswerKind.choice, rng.choice(("yes", "yes", "partly", "no"))),
                        ("what_did", AnswerKind.text, "Exit tickets and regrouping"),
                        ("evidence", AnswerKind.text, "Most tickets showed the idea"),
                        ("how_well", AnswerKind.number, float(rating)),
                        ("adjust", AnswerKind.text, "Ask earlier"),
                    ):
                        answer_id += 1
                        answers.append(
                            {
                                "id": answer_id,
                                "flow_run_id": checkin_id,
                                "person_id": person_id,
                                "checkin_id": checkin_id,
                                "flow_id": "pilot",
                                "flow_version": 1,
                                "question_key": key,
                                "kind": kind,
                                "value_text": value if kind is AnswerKind.text else None,
                                "value_choice": value if kind is AnswerKind.choice else None,
                                "value_number": value if kind is AnswerKind.number else None,
                                "created_at": when,
                                "updated_at": when,
                            }
                        )
        async with engine.begin() as connection:
            await _write(connection, Circle, circle_rows)
            await _write(connection, Person, people)
            await _write(connection, Membership, members)
            await _write(connection, Inquiry, inquiries)
            await _write(connection, CheckIn, checkins)
            await _write(connection, FlowRun, runs)
            await _write(connection, Answer, answers)
        counts["circles"] += len(circle_rows)
        counts["teachers"] += len(people)
        counts["checkins"] += len(checkins)
        counts["answers"] += len(answers)
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    return counts


class QueryCounter:
    """Counts the SQL statements an engine runs."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


async def measure(
    engine: AsyncEngine, counter: QueryCounter, call: Callable[[Any, int], Awaitable[Any]], keys
) -> tuple[list[float], int]:
    """Milliseconds of each call (one session each) and the statements per call."""
    sessions = create_sessionmaker(engine)
    times, statements = [], set()
    for key in keys:
        async with sessions() as session:
            before = counter.count
            started = time.perf_counter()
            await call(session, key)
            times.append((time.perf_counter() - started) * 1000)
            statements.add(counter.count - before)
    return times, max(statements)


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def main(circles: int, weeks: int, calls: int, url: str | None) -> None:
    async with scratch_database(url) as engine:
        started = time.perf_counter()
        counts = await generate(engine, circles, weeks)
        generated = time.perf_counter() - started
        counter = QueryCounter(engine)
        now = _scheduled("UTC", LAST_WEEK) + timedelta(days=2)
        rng = random.Random(5)
        circle_ids = [rng.randint(1, counts["circles"]) for _ in range(calls)]
        countries = [list(COUNTRIES)[n % len(COUNTRIES)] for n in range(max(calls // 2, 14))]

        async def baseline(session, circle_id: int) -> None:
            await session.scalar(
                select(func.count()).select_from(CheckIn).where(CheckIn.circle_id == circle_id)
            )

        async def circle_summary(session, circle_id: int) -> None:
            facilitator = Scope("bench", TokenRole.facilitator, circle_ids=frozenset({circle_id}))
            await summaries.circle_summary(
                session, scope=facilitator, circle_id=circle_id, now=now, week=LAST_WEEK
            )

        async def country_summary(session, country: str) -> None:
            await summaries.country_summary(
                session, scope=ADMIN, country=country, now=now, week=LAST_WEEK
            )

        for warm_up in (baseline, circle_summary):
            await measure(engine, counter, warm_up, circle_ids[:5])
        await measure(engine, counter, country_summary, list(COUNTRIES))
        results = {
            "baseline: count(*) of one circle's check-ins": await measure(
                engine, counter, baseline, circle_ids
            ),
            "circle summary": await measure(engine, counter, circle_summary, circle_ids),
            "country summary": await measure(engine, counter, country_summary, countries),
        }
    kind = make_url(str(engine.url)).get_backend_name()
    print(
        f"{kind}: {counts['circles']:,} circles, {counts['teachers']:,} teachers, {weeks} weeks, "
        f"{counts['checkins']:,} check-ins, {counts['answers']:,} answers; "
        f"generated in {generated:.0f} s; week {week_of(now, 'UTC')}"
    )
    base = statistics.median(results["baseline: count(*) of one circle's check-ins"][0])
    for name, (times, statements) in results.items():
        p50, p95 = statistics.median(times), _p(times, 95)
        print(
            f"  {name:<46} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  "
            f"×{p50 / base:6.1f} baseline  {statements} queries  ({len(times)} calls)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--circles", type=int, default=1_000)
    parser.add_argument("--weeks", type=int, default=40)
    parser.add_argument("--calls", type=int, default=100, help="summaries measured per kind")
    parser.add_argument("--database", default=None, help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    asyncio.run(main(args.circles, args.weeks, args.calls, args.database))
