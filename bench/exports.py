"""The booklet under load: does the API stay responsive while big files are made?

Seeds ``--practices`` published practices (default 5,000, shared with everyone, about
10 kB of text each, as a grown repository would hold) in 70 circles of the seven pilot
countries, starts the real ``circles run --only api`` on loopback, and measures:

* baseline: ``/healthz`` latency (p50, p99) with nothing else running, and the server's
  resident memory once warm (after one booklet);
* loaded: ``/healthz`` latency while ``--booklets`` booklets (default 8, HTML, grouped by
  strategy, as an admin reads them) are downloaded at once, and the server's peak RSS
  (``VmHWM``) over the run;
* answers: the same while every answer of ``--circles`` circles of ten teachers over 40
  weeks (default 40: 64,000 answers, the dataset of :mod:`bench.summaries`) is exported
  at once as CSV twice and as XLSX once, and the peak RSS of that phase alone (the peak
  is reset through ``/proc/<pid>/clear_refs`` first).

``/healthz`` is probed from a thread of its own with a plain ``http.client`` connection,
one request every 10 ms, so that the probe measures the server's event loop rather
than the client's. Goal: p99 under 100 ms while the booklets are made.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import random
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.service import start_circles

from bench.common import scratch_database
from bench.memory import MIB, memory
from bench.summaries import generate
from circles.db import create_sessionmaker, transaction
from circles.models import (
    Circle,
    Person,
    Practice,
    PracticeStatus,
    ShareScope,
    Strategy,
    TokenRole,
    practice_search_text,
)
from circles.services.tokens import create_token

COUNTRIES = {
    "BR": ("America/Sao_Paulo", "pt_BR"),
    "CI": ("Africa/Abidjan", "fr"),
    "GH": ("Africa/Accra", "en"),
    "MY": ("Asia/Kuala_Lumpur", "ms"),
    "KR": ("Asia/Seoul", "ko"),
    "CH": ("Europe/Zurich", "de"),
    "UY": ("America/Montevideo", "es"),
}
WORDS = (
    "students exit tickets hinge question whiteboard feedback peer rubric success criteria "
    "learning intention traffic lights cards lesson pupils answer wrong misconception "
    'regroup next day self-assessment <goals> & "quotes" *stars* [links](x) fractions'
).split()
SECTION_CHARS = {"steps": 3000, "evidence": 2500, "conditions": 2000, "lessons": 2000}
CIRCLES = 70
#: The practices' circles and authors come after those of bench.summaries's dataset.
CIRCLE_IDS, PERSON_IDS = 1_000_000, 10_000_000
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _text(rng: random.Random, chars: int) -> str:
    words: list[str] = []
    size = 0
    while size < chars:
        word = rng.choice(WORDS)
        words.append(word + ("\n" if rng.random() < 0.04 else " "))
        size += len(word) + 1
    return "".join(words).strip()


async def seed(engine: AsyncEngine, practices: int, seed: int = 7) -> int:
    """Circles, authors and ``practices`` published practices; the bytes of their text."""
    rng = random.Random(seed)
    codes = list(COUNTRIES)
    circles = [
        {
            "id": CIRCLE_IDS + n,
            "name": f"Circle {n:03d}",
            "country": codes[n % len(codes)],
            "language": COUNTRIES[codes[n % len(codes)]][1],
            "timezone": COUNTRIES[codes[n % len(codes)]][0],
            "created_at": NOW,
        }
        for n in range(1, CIRCLES + 1)
    ]
    people = [
        {"id": PERSON_IDS + n, "display_name": f"Author {n}", "language": "en", "created_at": NOW}
        for n in range(1, practices + 1)
    ]
    rows, text_bytes = [], 0
    strategies = list(Strategy)
    for n in range(1, practices + 1):
        circle = circles[n % CIRCLES]
        practice = Practice(
            id=n,
            circle_id=circle["id"],
            author_id=PERSON_IDS + n,
            status=PracticeStatus.published,
            share_scope=ShareScope.everyone,
            title=f"Practice {n}: " + _text(rng, 40),
            strategy=rng.choice(strategies),
            subject="Mathematics",
            grade="Year 7",
            country=circle["country"],
            language=circle["language"],
            summary=_text(rng, 400),
            tags=[],
            content={key: _text(rng, size) for key, size in SECTION_CHARS.items()}
            | {"ratings": [3, 4, 4]},
            author_visible=n % 2 == 0,
            created_at=NOW,
            updated_at=NOW,
            published_at=NOW,
        )
        row = {c: getattr(practice, c) for c in Practice.__table__.columns.keys()}
        row["search_text"] = practice_search_text(practice)
        text_bytes += len(row["search_text"].encode())
        rows.append(row)
    async with engine.begin() as connection:
        await connection.execute(insert(Circle.__table__), circles)
        await connection.execute(insert(Person.__table__), people)
        for start in range(0, len(rows), 500):
            await connection.execute(insert(Practice.__table__), rows[start : start + 500])
    return text_bytes


class Prober(threading.Thread):
    """GET /healthz every ``gap`` seconds on one keep-alive connection until stopped."""

    def __init__(self, port: int, gap: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.port, self.gap = port, gap
        self.latencies: list[float] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self.stopped.is_set():
            started = time.perf_counter()
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            self.latencies.append((time.perf_counter() - started) * 1000)
            self.stopped.wait(self.gap)
        connection.close()


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _reset_peak(pid: int) -> None:
    """Start VmHWM afresh from the current RSS (Linux ``clear_refs``)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


async def _download(
    api: httpx.AsyncClient, url: str = "/v1/repository/booklet"
) -> tuple[int, int, float]:
    """One file: status, bytes, seconds."""
    started = time.perf_counter()
    size = 0
    async with api.stream("GET", url) as response:
        async for piece in response.aiter_raw():
            size += len(piece)
    return response.status_code, size, time.perf_counter() - started


async def _probe_while(port: int, work: Any) -> tuple[list[float], Any]:
    prober = Prober(port)
    prober.start()
    try:
        result = await work
    finally:
        prober.stopped.set()
        await asyncio.to_thread(prober.join)
    return prober.latencies, result


async def main(practices: int, booklets: int, circles: int, url: str | None) -> None:
    async with scratch_database(url) as engine:
        started = time.perf_counter()
        counts = await generate(engine, circles, 40)
        text_bytes = await seed(engine, practices)
        async with transaction(create_sessionmaker(engine)) as session:
            token = await create_token(
                session, role=TokenRole.admin, name="bench", actor="bench", now=NOW
            )
        seeded = time.perf_counter() - started
        database = engine.url.render_as_string(hide_password=False)
        service = await start_circles(database, "--only", "api")
        try:
            await service.wait_for_log("admin API on", within=120)
            headers = {"Authorization": f"Bearer {token.secret}"}
            async with httpx.AsyncClient(
                base_url=service.api_url, headers=headers, timeout=600
            ) as api:
                alone, _ = await _probe_while(service.port, asyncio.sleep(5))
                status, size, one = await _download(api)  # warm up, and one booklet alone
                assert status == 200, status
                idle = memory(service.process.pid)["VmRSS"]
                loaded, results = await _probe_while(
                    service.port, asyncio.gather(*(_download(api) for _ in range(booklets)))
                )
                figures = memory(service.process.pid)
                _reset_peak(service.process.pid)
                before_answers = memory(service.process.pid)["VmRSS"]
                files = ("/v1/exports/answers",) * 2 + ("/v1/exports/answers?format=xlsx",)
                exporting, exported = await _probe_while(
                    service.port, asyncio.gather(*(_download(api, url) for url in files))
                )
            answers_peak = memory(service.process.pid)["VmHWM"]
        finally:
            await service.stop(30)
            errors = [line for line in service.lines if "ERROR" in line or "Error" in line]
            if errors:
                print("".join(service.lines[-60:]), file=sys.stderr)
    kind = engine.dialect.name
    made = [r for r in results if r[0] == 200]
    statuses = Counter(str(status) for status, _size, _seconds in results)
    print(
        f"{kind}: {practices:,} practices ({text_bytes / MIB:.0f} MB of text), seeded in "
        f"{seeded:.0f} s; one booklet {size / MIB:.0f} MB in {one:.1f} s alone"
    )
    print(
        f"{len(made)} of {booklets} booklets at once in {max(r[2] for r in results):.1f} s "
        f"(statuses: {', '.join(f'{n} × {s}' for s, n in sorted(statuses.items()))})"
    )
    base50, base99 = statistics.median(alone), _p(alone, 99)
    load50, load99 = statistics.median(loaded), _p(loaded, 99)
    print(f"  /healthz alone        p50 {base50:7.2f} ms  p99 {base99:7.2f} ms  ({len(alone)})")
    print(
        f"  /healthz, {booklets} booklets  p50 {load50:7.2f} ms  p99 {load99:7.2f} ms  "
        f"({len(loaded)}; max {max(loaded):.0f} ms)  "
        f"×{load50 / base50:.1f} / ×{load99 / base99:.1f} baseline; goal p99 < 100 ms"
    )
    print(
        f"  server RSS: {idle / MIB:.0f} MB warm, {figures['VmHWM'] / MIB:.0f} MB peak "
        f"(×{figures['VmHWM'] / idle:.2f}, +{(figures['VmHWM'] - idle) / MIB:.0f} MB)"
    )
    sizes = ", ".join(
        f"{status} {size / MIB:.0f} MB in {seconds:.1f} s" for status, size, seconds in exported
    )
    print(f"answers: {counts['answers']:,} exported as CSV, CSV and XLSX at once: {sizes}")
    print(
        f"  /healthz meanwhile     p50 {statistics.median(exporting):7.2f} ms  "
        f"p99 {_p(exporting, 99):7.2f} ms  ({len(exporting)}; max {max(exporting):.0f} ms)  "
        f"×{_p(exporting, 99) / base99:.1f} baseline p99"
    )
    print(
        f"  server RSS: {before_answers / MIB:.0f} MB before, {answers_peak / MIB:.0f} MB peak "
        f"(+{(answers_peak - before_answers) / MIB:.0f} MB)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--practices", type=int, default=5_000)
    parser.add_argument("--booklets", type=int, default=8)
    parser.add_argument("--circles", type=int, default=40, help="circles whose answers export")
    parser.add_argument("--database", default=None, help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    asyncio.run(main(args.practices, args.booklets, args.circles, args.database))
