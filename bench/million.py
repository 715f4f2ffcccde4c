"""A million teachers, measured (issue #23, item 3), on PostgreSQL.

1. Seeds ``--members`` teachers (default 1,000,000) in circles of ten, each circle with a
   facilitator, over twenty countries and their timezones, with ``--weeks`` weeks of
   history (check-ins, 80 % answered with five answers each), all with ``COPY``. The
   **baseline** is part of the seeding: the ``COPY`` of one week's bare check-in rows,
   one per teacher, the same number of rows the wave plans.
2. Plans the next weekly wave with the scheduler's real sweep
   (:func:`scheduler.jobs.open_wave`: a batch of circles per transaction): wall time,
   peak RSS of the planning alone (``VmHWM``, reset before it starts), ratio to the
   baseline; then the same sweep again, which finds nothing to do (what the sweep
   costs every minute of the week).
3. The sending schedule of the wave's invitations over ``--accounts`` accounts (default
   30), each paced by its own real :class:`circles.pacing.Pacer` on an injected clock:
   the wave's length against the physical minimum, messages / (accounts × limit), for
   Telegram (30/s) and WhatsApp (80/s).
4. Summaries at that size: the circle summary of ``--calls`` random circles (p50, p95)
   and the country summaries (each ~5,000 circles), for the last week of history,
   against a bare ``count(*)`` of one circle's check-ins.

Goals: planning under 60 s and under 500 MB RSS; a circle summary's p95 under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import multiprocessing
import os
import random
import resource
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import func, select, text

from bench.common import scratch_database
from bench.summaries import QueryCounter, measure
from circles.db import create_sessionmaker
from circles.models import CheckIn, Outbox, OutboxState, TokenRole
from circles.pacing import Pacer
from circles.services import summaries
from circles.services.access import Scope
from circles.services.weeks import week_of
from scheduler.jobs import open_wave

#: Twenty countries: (code, timezone, language).
COUNTRIES = [
    ("GH", "Africa/Accra", "en"),
    ("CI", "Africa/Abidjan", "fr"),
    ("BR", "America/Sao_Paulo", "pt_BR"),
    ("MY", "Asia/Kuala_Lumpur", "ms"),
    ("KR", "Asia/Seoul", "ko"),
    ("CH", "Europe/Zurich", "de"),
    ("UY", "America/Montevideo", "es"),
    ("IT", "Europe/Rome", "it"),
    ("FR", "Europe/Paris", "fr"),
    ("DE", "Europe/Berlin", "de"),
    ("AR", "America/Argentina/Buenos_Aires", "es"),
    ("MX", "America/Mexico_City", "es"),
    ("KE", "Africa/Nairobi", "en"),
    ("NG", "Africa/Lagos", "en"),
    ("IN", "Asia/Kolkata", "en"),
    ("PH", "Asia/Manila", "en"),
    ("SN", "Africa/Dakar", "fr"),
    ("PT", "Europe/Lisbon", "pt_BR"),
    ("ZA", "Africa/Johannesburg", "en"),
    ("ID", "Asia/Jakarta", "ms"),
]
TEACHERS = 10
#: Circles seeded per round of COPYs, so that the seeding's memory stays small.
ROUND = 2_000
#: Monday of the week the wave opens; the history is the weeks before it.
WAVE_MONDAY = date(2026, 9, 7)
#: When the wave is planned: Tuesday 10:00 UTC, past Monday 16:00 everywhere above.
PLANNED_AT = datetime(2026, 9, 8, 10, 0, tzinfo=UTC)
#: Messaging apps' overall limits per account (per second); bulk uses 80 % of them.
LIMITS = {"Telegram": 30.0, "WhatsApp": 80.0}
ADMIN = Scope("bench", TokenRole.admin)
ANSWERS = (
    ("tried", "choice"),
    ("what_did", "text"),
    ("evidence", "text"),
    ("how_well", "number"),
    ("adjust", "text"),
)


def peak_rss_mb() -> float:
    """Peak resident memory of this process since the last reset, in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Resident memory of this process now, in MB (0 where ``/proc`` is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds() -> tuple[float, float]:
    """CPU time used so far by this process and its ended children (the wave's planning
    processes), and by the PostgreSQL server's processes (its backends, ended ones
    included, the WAL writer, the checkpointer…; 0 where ``/proc`` does not show them)."""
    ours = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # planning processes, reaped
    ticks = os.sysconf("SC_CLK_TCK")
    server = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            if not fields[0].endswith("(postgres"):
                continue
            values = fields[1].split()
            # utime, stime, and the reaped children's (backends that ended, the postmaster's)
            server += sum(int(v) for v in values[11:15]) / ticks
        except (OSError, IndexError, ValueError):
            continue
    planner = ours.ru_utime + ours.ru_stime + children.ru_utime + children.ru_stime
    return planner, server


async def watch_children_peaks(peaks: dict[int, float], every: float = 0.1) -> None:
    """Keep each child process's peak resident memory (its own ``VmHWM``, from its
    start: ``RUSAGE_CHILDREN`` would count the parent's memory at the fork) in ``peaks``
    until cancelled."""
    while True:
        for child in multiprocessing.active_children():
            if child.pid is not None and (mb := _peak_of(child.pid)) is not None:
                peaks[child.pid] = max(peaks.get(child.pid, 0.0), mb)
        await asyncio.sleep(every)


def _peak_of(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def reset_peak_rss() -> bool:
    """Start measuring the peak afresh (Linux: ``clear_refs`` 5); whether it could."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _monday_at(week_monday: date, timezone: str) -> datetime:
    """Monday 16:00 of ``week_monday``'s week in ``timezone``, as UTC."""
    local = datetime.combine(week_monday, clock_time(16, 0), tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)


class Seeder:
    """Writes the dataset with ``COPY``, a round of circles at a time; times the baseline."""

    def __init__(self, connection: asyncpg.Connection, members: int, weeks: int) -> None:
        self.db, self.members, self.weeks = connection, members, weeks
        self.rng = random.Random(23)
        self.counts = dict.fromkeys(
            ("circles", "people", "checkins", "answers", "baseline rows"), 0
        )
        self.baseline = 0.0
        self.ids = dict.fromkeys(("person", "checkin", "answer"), 0)
        self.joined = _monday_at(WAVE_MONDAY - timedelta(weeks=weeks + 2), "UTC")

    async def copy(self, table: str, columns: list[str], rows: list[tuple]) -> float:
        """COPY ``rows`` into ``table``; the seconds it took."""
        started = time.perf_counter()
        if rows:
            await self.db.copy_records_to_table(table, records=rows, columns=columns)
        return time.perf_counter() - started

    async def seed(self) -> None:
        circles = self.members // TEACHERS
        for first in range(1, circles + 1, ROUND):
            await self._round(range(first, min(circles, first + ROUND - 1) + 1))
        tables = ("circle", "person", "identity", "membership", "inquiry", "checkin")
        for table in (*tables, "flowrun", "answer"):
            await self.db.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        # Settled as a database that has run for a while is (autovacuum has been by): a
        # bulk load leaves hint bits to set and a vacuum due, which would otherwise land
        # on the planning measured next.
        await self.db.execute("VACUUM (ANALYZE)")
        await self.db.execute("CHECKPOINT")

    def _person(self, language: str, timezone: str) -> tuple:
        self.ids["person"] += 1
        pid = self.ids["person"]
        joined = self.joined
        return (
            pid,
            f"Teacher {pid}",
            language,
            timezone,
            "given",
            joined,
            joined,
            True,
            True,
            True,
        )

    def _identity(self, pid: int) -> tuple:
        # Seven in ten on Telegram, the rest on WhatsApp.
        if pid % 10 < 7:
            return (pid, pid, "telegram", str(10_000_000 + pid), self.joined)
        return (pid, pid, "whatsapp", f"4470{pid:08d}", self.joined)

    async def _round(self, circle_ids: range) -> None:
        circles, people, identities, members, inquiries = [], [], [], [], []
        checkins: dict[int, list[tuple]] = {w: [] for w in range(1, self.weeks + 1)}
        runs, answers = [], []
        rng = self.rng
        for cid in circle_ids:
            code, timezone, language = COUNTRIES[cid % len(COUNTRIES)]
            joined = self.joined
            circles.append(
                (
                    *(cid, f"Circle {cid:07d}", code, language, timezone, "weekly", 0),
                    *(clock_time(16), joined, 3, 24, 72, clock_time(21), clock_time(7), 14, False),
                )
            )
            facilitator = self._person(language, timezone)
            people.append(facilitator)
            identities.append(self._identity(facilitator[0]))
            members.append((facilitator[0], facilitator[0], cid, "facilitator", self.joined))
            slots = {
                w: _monday_at(WAVE_MONDAY - timedelta(weeks=w), timezone)
                for w in range(1, self.weeks + 1)
            }
            for _ in range(TEACHERS):
                person = self._person(language, timezone)
                pid = person[0]
                people.append(person)
                identities.append(self._identity(pid))
                members.append((pid, pid, cid, "teacher", self.joined))
                phase = rng.choices(("identify", "pilot", "codify"), weights=(2, 6, 2))[0]
                practice = "Exit tickets at the end of each lesson" if phase == "pilot" else None
                inquiries.append((pid, pid, cid, phase, practice, self.joined))
                for w, scheduled in slots.items():
                    self.ids["checkin"] += 1
                    checkin = self.ids["checkin"]
                    roll = rng.random()
                    status = "answered" if roll < 0.8 else "missed" if roll < 0.95 else "skipped"
                    answered = scheduled + timedelta(hours=3) if status == "answered" else None
                    iteration = self.weeks + 1 - w
                    checkins[w].append(
                        (
                            *(checkin, pid, cid, pid, "pilot", iteration, scheduled, status),
                            *(scheduled, scheduled + timedelta(days=6), answered, 2),
                        )
                    )
                    if answered is None:
                        continue
                    runs.append(
                        (checkin, pid, "pilot", 1, "completed", checkin, "{}", scheduled, answered)
                    )
                    for key, kind in ANSWERS:
                        self.ids["answer"] += 1
                        answers.append(
                            (
                                *(self.ids["answer"], checkin, pid, checkin, "pilot", 1, key),
                                kind,
                                "Ask the question earlier" if kind == "text" else None,
                                rng.choice(("yes", "yes", "partly", "no"))
                                if kind == "choice"
                                else None,
                                float(rng.randint(1, 5)) if kind == "number" else None,
                                answered,
                                answered,
                            )
                        )
        await self.copy("circle", CIRCLE_COLUMNS, circles)
        await self.copy("person", PERSON_COLUMNS, people)
        await self.copy("identity", IDENTITY_COLUMNS, identities)
        await self.copy("membership", MEMBERSHIP_COLUMNS, members)
        await self.copy("inquiry", INQUIRY_COLUMNS, inquiries)
        for w, rows in checkins.items():
            seconds = await self.copy("checkin", CHECKIN_COLUMNS, rows)
            if w == 1:  # last week's check-ins: one bare row per teacher, the baseline
                self.baseline += seconds
                self.counts["baseline rows"] += len(rows)
            self.counts["checkins"] += len(rows)
        await self.copy("flowrun", FLOWRUN_COLUMNS, runs)
        await self.copy("answer", ANSWER_COLUMNS, answers)
        self.counts["circles"] += len(circles)
        self.counts["people"] += len(people)
        self.counts["answers"] += len(answers)


CIRCLE_COLUMNS = [
    "id",
    "name",
    "country",
    "language",
    "timezone",
    "cadence",
    "checkin_weekday",
    "checkin_time",
    "created_at",
    "days_before_meeting",
    "first_nudge_hours",
    "second_nudge_hours",
    "quiet_from",
    "quiet_until",
    "share_every_days",
    "demo",
]
PERSON_COLUMNS = [
    "id",
    "display_name",
    "language",
    "timezone",
    "consent",
    "consent_at",
    "created_at",
    "practice_digest",
    "peer_questions",
    "partner_proposals",
]
IDENTITY_COLUMNS = ["id", "person_id", "channel", "address", "created_at"]
MEMBERSHIP_COLUMNS = ["id", "person_id", "circle_id", "role", "joined_at"]
INQUIRY_COLUMNS = ["id", "person_id", "circle_id", "phase", "practice", "started_at"]
CHECKIN_COLUMNS = [
    "id",
    "person_id",
    "circle_id",
    "inquiry_id",
    "phase",
    "iteration",
    "scheduled_for",
    "status",
    "opened_at",
    "closes_at",
    "answered_at",
    "nudges_sent",
]
FLOWRUN_COLUMNS = [
    "id",
    "person_id",
    "flow_id",
    "flow_version",
    "status",
    "checkin_id",
    "state",
    "started_at",
    "updated_at",
]
ANSWER_COLUMNS = [
    "id",
    "flow_run_id",
    "person_id",
    "checkin_id",
    "flow_id",
    "flow_version",
    "question_key",
    "kind",
    "value_text",
    "value_choice",
    "value_number",
    "created_at",
    "updated_at",
]


# --- 3. the sending schedule ------------------------------------------------------------


class VirtualClock:
    """Seconds since the wave began; moves only when a send waits for its slot."""

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


def _recipients(messages: int, accounts: int) -> Iterator[tuple[int, int]]:
    """(account, recipient) of each invitation: each teacher's account is fixed (their
    circle's), spread over the accounts by circle."""
    for person in range(messages):
        yield (person // TEACHERS) % accounts, person


async def sending_schedule(messages: int, accounts: int, per_second: float) -> dict[str, float]:
    """The wave's length when each account sends its share through its own pacer."""
    clocks = [VirtualClock() for _ in range(accounts)]
    pacers = [Pacer(per_second=per_second, now=clock.now, sleep=clock.sleep) for clock in clocks]
    sent = [0] * accounts
    gc.collect()
    memory = rss_mb()
    started = time.process_time()
    for account, person in _recipients(messages, accounts):
        pacer = pacers[account]
        await pacer.pause(pacer.reserve(person, bulk=True))
        sent[account] += 1
    cpu = time.process_time() - started
    memory = rss_mb() - memory
    length = max(clock.t for clock in clocks)
    minimum = messages / (accounts * per_second)
    return {
        "length": length,
        "minimum": minimum,
        "bulk minimum": minimum / 0.8,
        "largest share": max(sent) / messages,
        "cpu": cpu,
        "memory": memory,
    }


# --- the run ------------------------------------------------------------------------------


async def _connect(engine) -> asyncpg.Connection:
    url = engine.url
    return await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
    )


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def run(
    members: int,
    weeks: int,
    calls: int,
    accounts: int,
    url: str,
    profile: str | None = None,
    processes: int = 1,
) -> None:
    async with scratch_database(url) as engine:
        connection = await _connect(engine)
        try:
            seeder = Seeder(connection, members, weeks)
            print(f"seeding {members:,} teachers, {weeks} weeks of history …", flush=True)
            started = time.perf_counter()
            await seeder.seed()
            seeded = time.perf_counter() - started
        finally:
            await connection.close()
        counts = seeder.counts
        print(
            f"seeded in {seeded:.0f} s: {counts['circles']:,} circles, {counts['people']:,} "
            f"people, {counts['checkins']:,} check-ins, {counts['answers']:,} answers",
            flush=True,
        )
        print(
            f"baseline: COPY of {counts['baseline rows']:,} bare check-in rows "
            f"{seeder.baseline:.2f} s",
            flush=True,
        )

        sessions = create_sessionmaker(engine)
        gc.collect()
        rss_before = rss_mb()
        reset = reset_peak_rss()
        profiler = cProfile.Profile() if profile else None
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        children: dict[int, float] = {}
        watching = asyncio.create_task(watch_children_peaks(children))
        wave = await open_wave(sessions, now=PLANNED_AT, processes=processes)
        planning = time.perf_counter() - started
        watching.cancel()
        cpu_after = cpu_seconds()
        planner_cpu, server_cpu = (a - b for a, b in zip(cpu_after, cpu_before, strict=True))
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
            print(f"the planning's profile: {profile} (python -m pstats)", flush=True)
        rss_peak = peak_rss_mb()
        started = time.perf_counter()
        again = await open_wave(sessions, now=PLANNED_AT + timedelta(minutes=1))
        idle = time.perf_counter() - started
        async with sessions() as session:
            queued = await session.scalar(
                select(func.count()).select_from(Outbox).where(Outbox.state == OutboxState.pending)
            )
        print(
            f"planned {wave.opened:,} check-ins ({wave.missed:,} missed) and {queued:,} "
            f"invitations in {planning:.1f} s: ×{planning / seeder.baseline:.1f} the baseline; "
            f"RSS {rss_before:.0f} MB before, peak {rss_peak:.0f} MB while planning"
            + ("" if reset else " (peak of the whole run: could not reset it)")
            + (
                f"; the {len(children)} planning processes' peaks "
                + " + ".join(f"{mb:.0f}" for mb in children.values())
                + f" MB: {rss_peak + sum(children.values()):.0f} MB in all"
                if children
                else ""
            ),
            flush=True,
        )
        print(
            f"CPU while planning: the planner {planner_cpu:.1f} s, PostgreSQL {server_cpu:.1f} s "
            f"(wall {planning:.1f} s on {os.cpu_count()} cores, {processes} planning "
            f"process{'es' if processes > 1 else ''})",
            flush=True,
        )
        print(f"the same sweep again: {again.opened:,} opened in {idle:.1f} s", flush=True)

        for app, per_second in LIMITS.items():
            s = await sending_schedule(queued, accounts, per_second)
            print(
                f"sending {queued:,} over {accounts} {app} accounts at {per_second:.0f}/s: "
                f"{s['length'] / 60:.1f} min; physical minimum {s['minimum'] / 60:.1f} min "
                f"(ratio {s['length'] / s['minimum']:.3f}), at the bulk share "
                f"{s['bulk minimum'] / 60:.1f} min (ratio {s['length'] / s['bulk minimum']:.3f}); "
                f"largest account's share {s['largest share']:.2%}; "
                f"pacer CPU {s['cpu'] / queued * 1e6:.1f} µs per message; "
                f"the pacers hold {s['memory']:.0f} MB at the end",
                flush=True,
            )

        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
        counter = QueryCounter(engine)
        last_week = week_of(_monday_at(WAVE_MONDAY - timedelta(weeks=1), "UTC"), "UTC")
        rng = random.Random(5)
        circle_ids = [rng.randint(1, counts["circles"]) for _ in range(calls)]
        countries = [code for code, _tz, _lang in COUNTRIES]
        per_country = counts["circles"] // len(COUNTRIES)

        async def baseline(session, circle_id: int) -> None:
            await session.scalar(
                select(func.count()).select_from(CheckIn).where(CheckIn.circle_id == circle_id)
            )

        async def circle_summary(session, circle_id: int) -> None:
            facilitator = Scope("bench", TokenRole.facilitator, circle_ids=frozenset({circle_id}))
            await summaries.circle_summary(
                session, scope=facilitator, circle_id=circle_id, now=PLANNED_AT, week=last_week
            )

        async def country_summary(session, country: str) -> None:
            await summaries.country_summary(
                session, scope=ADMIN, country=country, now=PLANNED_AT, week=last_week
            )

        for warm_up in (baseline, circle_summary):
            await measure(engine, counter, warm_up, circle_ids[:5])
        results = {
            "baseline: count(*) of one circle's check-ins": await measure(
                engine, counter, baseline, circle_ids
            ),
            "circle summary": await measure(engine, counter, circle_summary, circle_ids),
            f"country summary (each ~{per_country:,} circles)": await measure(
                engine, counter, country_summary, countries
            ),
        }
    base = statistics.median(results["baseline: count(*) of one circle's check-ins"][0])
    print(f"summaries of week {last_week}:")
    for name, (times, statements) in results.items():
        p50, p95 = statistics.median(times), _p(times, 95)
        print(
            f"  {name:<46} p50 {p50:8.2f} ms  p95 {p95:8.2f} ms  max {max(times):8.2f} ms  "
            f"×{p50 / base:7.1f} baseline  {statements} queries  ({len(times)} calls)"
        )


async def pacing_only(messages: int, accounts: int) -> None:
    for app, per_second in LIMITS.items():
        s = await sending_schedule(messages, accounts, per_second)
        print(
            f"{app}: {s['length']:.0f} s against {s['minimum']:.0f} s "
            f"(×{s['length'] / s['minimum']:.3f}), bulk {s['bulk minimum']:.0f} s "
            f"(×{s['length'] / s['bulk minimum']:.3f}); largest share {s['largest share']:.2%}; "
            f"{s['cpu'] / messages * 1e6:.1f} µs CPU per message; "
            f"the pacers hold {s['memory']:.0f} MB at the end"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--weeks", type=int, default=2, help="weeks of history before the wave")
    parser.add_argument("--calls", type=int, default=100, help="circle summaries measured")
    parser.add_argument("--accounts", type=int, default=30)
    parser.add_argument(
        "--database",
        default="postgresql://127.0.0.1:5432/postgres",
        help="a PostgreSQL URL; the benchmark creates and drops a database next to it",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="processes that plan the wave (CIRCLES_WAVE_PROCESSES); 1: the benchmark's own",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="write a cProfile of the wave's planning to FILE"
    )
    parser.add_argument(
        "--pacing-only", action="store_true", help="only the sending schedule, no database"
    )
    args = parser.parse_args()
    if args.pacing_only:
        asyncio.run(pacing_only(args.members, args.accounts))
    else:
        asyncio.run(
            run(
                args.members,
                args.weeks,
                args.calls,
                args.accounts,
                args.database,
                args.profile,
                args.processes,
            )
        )
