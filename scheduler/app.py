"""Build the APScheduler instance with every job."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from circles import metrics
from circles.clock import Clock
from circles.db import SessionMaker
from scheduler import jobs
from scheduler.leader import Leadership

log = logging.getLogger(__name__)


def build_scheduler(
    sessions: SessionMaker,
    clock: Clock,
    leadership: Leadership | None = None,
    *,
    wave_processes: int = 1,
) -> AsyncIOScheduler:
    """A scheduler whose jobs are sweeps, safe to run after any restart.

    Jobs are kept in memory on purpose: what is due is derived from the database on
    every sweep, so nothing is lost when the process stops. With ``leadership`` a job
    runs only in the process that holds the lock. A big weekly wave is planned by
    ``wave_processes`` processes (``CIRCLES_WAVE_PROCESSES``, :func:`jobs.open_wave`).
    """
    scheduler = AsyncIOScheduler(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1}
    )

    def led(job: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def run(*args: Any, **kwargs: Any) -> Any:
            if leadership is not None and not (
                await leadership.still_leading() or await leadership.try_lead()
            ):
                return None
            return await job(*args, **kwargs)

        run.__name__ = job.__name__
        return run

    every_minute, hourly = IntervalTrigger(minutes=1), IntervalTrigger(hours=1)
    for job, trigger, name in (
        (jobs.checkin_sweep, every_minute, "open, nudge and close check-ins"),
        (jobs.meeting_sweep, every_minute, "meeting reminders, packs and reflections"),
        (jobs.session_sweep, every_minute, "exchange session reminders and reflections"),
        (jobs.broadcast_sweep, every_minute, "start scheduled broadcasts"),
        (jobs.digest_sweep, every_minute, "facilitators' weekly digests"),
        (jobs.practice_sweep, every_minute, "share practices across circles"),
        (jobs.facilitator_sweep, every_minute, "facilitators' monthly check-ins"),
        (jobs.prune_updates, hourly, "forget old update ids and handled WhatsApp messages"),
        (jobs.prune_sessions, hourly, "forget ended dashboard sessions"),
    ):
        scheduler.add_job(
            led(job),
            trigger,
            args=(sessions, clock),
            kwargs={"processes": wave_processes} if job is jobs.checkin_sweep else {},
            id=job.__name__,
            name=name,
            replace_existing=True,
        )
    scheduler.add_listener(_record_lag, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    return scheduler


def _record_lag(event: JobExecutionEvent) -> None:
    """How late the last job ran (a busy or overloaded process shows here first)."""
    due = event.scheduled_run_time
    if due is not None:
        metrics.SCHEDULER_LAG.set(max(0.0, (datetime.now(UTC) - due).total_seconds()))
