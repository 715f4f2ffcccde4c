"""Scheduler jobs: idempotent sweeps ("what is due and not yet done") over the database.

Each sweep runs in its own transaction and can be run again at any time: a test moves
the clock and calls it, production runs it every minute.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from logging.handlers import QueueHandler, QueueListener
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.flows import (
    announcements,
    digest,
    exchange_sessions,
    leadership,
    packs,
    prompts,
    sharing,
)
from circles.clock import Clock
from circles.db import SessionMaker, create_engine, create_sessionmaker, transaction
from circles.services import broadcasts, scheduling
from circles.services.inbox import prune_inbox
from circles.services.updates import prune_processed_updates
from circles.services.websessions import prune_web_sessions

log = logging.getLogger(__name__)

#: Telegram keeps undelivered updates for 24 hours; a week of ids covers any redelivery.
PROCESSED_UPDATES_KEPT = timedelta(days=7)
INBOX_KEPT = timedelta(days=14)
#: Circles planned per transaction of a wave: about 10,000 teachers in circles of ten.
WAVE_CIRCLES = 1000
#: Batches of a wave planned at once on PostgreSQL (``bench.million``).
WAVE_WORKERS = 2
#: Batches per process below which a wave is planned in the scheduler's own process.
PROCESS_BATCHES = 2


@dataclass(frozen=True)
class CheckinSweep:
    """What one check-in sweep did."""

    closed: int
    opened: int
    missed: int
    nudged: int


async def checkin_sweep(
    sessions: SessionMaker, clock: Clock, *, processes: int = 1
) -> CheckinSweep:
    """Close finished weeks, open due check-ins (in ``processes`` processes when the wave
    is big, :func:`open_wave`), nudge the silent."""
    now = clock.now()
    async with transaction(sessions) as session:
        closed = await prompts.close_checkins(session, now=now)
    wave = await open_wave(sessions, now=now, processes=processes)
    async with transaction(sessions) as session:
        nudged = await prompts.nudge_checkins(session, now=now)
    return CheckinSweep(closed=closed, opened=wave.opened, missed=wave.missed, nudged=nudged)


async def open_wave(
    sessions: SessionMaker,
    *,
    now: datetime,
    circles_per_batch: int = WAVE_CIRCLES,
    workers: int | None = None,
    processes: int = 1,
) -> prompts.Wave:
    """Open the check-ins that are due, a batch of circles per transaction.

    One transaction for a whole wave would hold a million rows in memory and lose them all
    if the process stopped near the end; batches keep memory to one batch's size, and what
    a stopped wave committed stays: the next sweep skips those check-ins and finishes the
    rest (the planner opens only occurrences that have no row yet).

    Only the circles due for planning are read (:mod:`circles.services.waves`): a sweep
    with nothing due reads the circles' marks, not their members.

    ``workers`` batches are planned at once (default: :data:`WAVE_WORKERS` on PostgreSQL,
    one on SQLite, which writes one transaction at a time): while one waits for the
    database, the next is computed. Batches hold disjoint circles, so they never wait for
    each other's rows.

    With ``processes`` above one (``CIRCLES_WAVE_PROCESSES``), a wave of at least
    :data:`PROCESS_BATCHES` batches per process is planned by that many processes on
    PostgreSQL, each with its own share of the batches (:func:`_plan_in_processes`): the
    planner's Python is half of a big wave's work and one process uses one core. Smaller
    waves, and SQLite, stay in this process (starting a process costs about a second).
    """
    async with sessions() as session:
        batches = await scheduling.circle_batches(session, size=circles_per_batch, now=now)
        postgres = session.get_bind().dialect.name == "postgresql"
    if workers is None:
        workers = WAVE_WORKERS if postgres else 1
    if postgres and processes > 1 and len(batches) >= processes * PROCESS_BATCHES:
        wave = await _plan_in_processes(sessions, now, batches, processes, workers)
    else:
        wave = await _plan_batches(sessions, now, batches, workers)
    if wave.opened or wave.missed:
        log.info("opened %d check-ins, recorded %d missed", wave.opened, wave.missed)
    return wave


async def _plan_batches(
    sessions: SessionMaker,
    now: datetime,
    batches: list[scheduling.CircleBatch],
    workers: int,
    stopped: Callable[[], bool] = lambda: False,
) -> prompts.Wave:
    """Plan ``batches``, ``workers`` at a time, each in its own transaction; no batch is
    begun once ``stopped()``."""
    waiting = iter(batches)
    planned: list[prompts.Wave] = []

    async def plan() -> None:
        for batch in waiting:  # shared: each batch is taken by one worker
            if stopped():
                return
            try:
                async with transaction(sessions) as session:
                    planned.append(await prompts.open_checkins(session, now=now, batch=batch))
            except IntegrityError:
                # Another scheduler opened these check-ins a moment ago; its batch stands.
                log.warning("check-ins were opened concurrently; this batch stood back")

    tasks = [asyncio.create_task(plan()) for _ in range(min(workers, len(batches)))]
    try:
        await asyncio.gather(*tasks)  # the first error is raised as it is …
    finally:  # … and the other workers stop: their open batch rolls back
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return prompts.Wave(
        opened=sum(w.opened for w in planned), missed=sum(w.missed for w in planned)
    )


async def _plan_in_processes(
    sessions: SessionMaker,
    now: datetime,
    batches: list[scheduling.CircleBatch],
    processes: int,
    workers: int,
) -> prompts.Wave:
    """Plan ``batches`` in ``processes`` new processes, every ``processes``-th batch each.

    Each process opens its own engine on the same database and plans its share as
    :func:`_plan_batches` does here, so everything said there holds: a batch is one
    transaction, a process that stops (killed, or an error) keeps what it committed and
    the next sweep plans the rest. A wave stopped (the scheduler stopping, or one of its
    processes failing) tells the others to begin no further batch, so they end within
    one. Processes are started fresh (``spawn``: a forked copy of a process with a
    running event loop and open connections is not safe), and only for a wave big enough
    to pay for it.
    """
    bind = sessions.kw["bind"]
    url = bind.url.render_as_string(hide_password=False)
    shares = [batches[n::processes] for n in range(processes)]
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("spawn")
    stop, records = context.Event(), context.Queue()
    root = logging.getLogger()
    pool = ProcessPoolExecutor(
        processes,
        mp_context=context,
        initializer=_planning_process,
        initargs=(stop, records, root.getEffectiveLevel()),
    )
    # The processes' log records go out through this process's handlers, as its own do.
    logs = QueueListener(records, *root.handlers, respect_handler_level=True)
    logs.start()

    def end() -> None:
        pool.shutdown()  # the processes are done: reaped, not left over …
        logs.stop()  # … and what they logged is out

    try:
        done = await asyncio.gather(
            *(loop.run_in_executor(pool, _plan_share, url, now, share, workers) for share in shares)
        )
    except BaseException:  # stopped, or a process failed: the others end their batch
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        threading.Thread(target=end, name="wave processes ending", daemon=True).start()
        raise
    await asyncio.to_thread(end)
    return prompts.Wave(opened=sum(o for o, _m in done), missed=sum(m for _o, m in done))


#: In a planning process: set when the wave it plans for was stopped.
_stop: Any = None


def _planning_process(stop: Any, records: Any, level: int) -> None:
    """A planning process's start: keep the wave's stop signal, and send its log records
    to the scheduler's process (``records``), which writes them with its own."""
    global _stop
    _stop = stop
    root = logging.getLogger()
    root.handlers[:] = [QueueHandler(records)]
    root.setLevel(level)


def _plan_share(
    url: str, now: datetime, batches: list[scheduling.CircleBatch], workers: int
) -> tuple[int, int]:
    """A planning process's work (:func:`_plan_in_processes`): its batches, planned until
    the wave is stopped; the check-ins it opened and recorded as missed."""

    async def plan() -> prompts.Wave:
        engine = create_engine(url)
        try:
            sessions = create_sessionmaker(engine)
            return await _plan_batches(sessions, now, batches, workers, _stop.is_set)
        finally:
            await engine.dispose()

    wave = asyncio.run(plan())
    return wave.opened, wave.missed


async def meeting_sweep(sessions: SessionMaker, clock: Clock) -> tuple[int, int, int]:
    """Remind members before meetings, send facilitators the meeting pack the day before,
    and ask attendees to reflect after them."""
    now = clock.now()
    async with transaction(sessions) as session:
        reminded = await announcements.send_reminders(session, now=now)
        packed = await packs.send_packs(session, now=now)
        invited = await announcements.invite_reflections(session, now=now)
    return reminded, packed, invited


async def session_sweep(sessions: SessionMaker, clock: Clock) -> tuple[int, int]:
    """Remind invitees before exchange sessions across circles, and ask those who came to
    reflect after them."""
    now = clock.now()
    async with transaction(sessions) as session:
        reminded = await exchange_sessions.send_reminders(session, now=now)
        invited = await exchange_sessions.invite_reflections(session, now=now)
    return reminded, invited


async def digest_sweep(sessions: SessionMaker, clock: Clock) -> int:
    """Queue facilitators' weekly digests on Monday mornings, their time."""
    async with transaction(sessions) as session:
        return await digest.send_digests(session, now=clock.now())


async def broadcast_sweep(sessions: SessionMaker, clock: Clock) -> int:
    """Fan out broadcasts whose time has come; close finished ones."""
    async with transaction(sessions) as session:
        return await broadcasts.broadcast_sweep(session, now=clock.now())


async def practice_sweep(sessions: SessionMaker, clock: Clock) -> int:
    """Send each circle that is due one published practice from another circle."""
    async with transaction(sessions) as session:
        shared = await sharing.sweep(session, now=clock.now())
    if shared:
        log.info("shared %d practices with circles", len(shared))
    return len(shared)


async def facilitator_sweep(sessions: SessionMaker, clock: Clock) -> leadership.Sweep:
    """Open facilitators' monthly check-ins at their local time and remind the silent."""
    try:
        async with transaction(sessions) as session:
            return await leadership.sweep(session, now=clock.now())
    except IntegrityError:
        # Another scheduler opened the same month's check-ins a moment ago; its sweep stands.
        log.warning("facilitators' check-ins were opened concurrently; this sweep stood back")
        return leadership.Sweep()


async def prune_updates(sessions: SessionMaker, clock: Clock) -> int:
    """Forget update ids older than :data:`PROCESSED_UPDATES_KEPT`, and inbox rows
    handled longer than :data:`INBOX_KEPT` ago (their message ids still guard against
    WhatsApp's redeliveries, which go on for days)."""
    async with transaction(sessions) as session:
        removed = await prune_processed_updates(
            session, before=clock.now() - PROCESSED_UPDATES_KEPT
        )
        removed += await prune_inbox(session, before=clock.now() - INBOX_KEPT)
    if removed:
        log.info("forgot %d old update ids", removed)
    return removed


async def prune_sessions(sessions: SessionMaker, clock: Clock) -> int:
    """Forget dashboard sessions that were signed out or have expired."""
    async with transaction(sessions) as session:
        removed = await prune_web_sessions(session, now=clock.now())
    if removed:
        log.info("forgot %d ended dashboard sessions", removed)
    return removed
