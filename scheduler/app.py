"""Build the APScheduler instance with every job."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from circles.clock import Clock
from circles.db import SessionMaker
from scheduler import jobs
from scheduler.leader import Leadership

log = logging.getLogger(__name__)


def build_scheduler(
    sessions: SessionMaker, clock: Clock, leadership: Leadership | None = None
) -> AsyncIOScheduler:
    """A scheduler whose jobs are sweeps, safe to run after any restart.

    Jobs are kept in memory on purpose: what is due is derived from the database on
    every sweep, so nothing is lost when the process stops. With ``leadership`` a job
    runs only in the process that holds the lock.
    """
    scheduler = AsyncIOScheduler(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1}
    )

    def led(job: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def run(*args: Any) -> Any:
            if leadership is not None and not (
                await leadership.still_leading() or await leadership.try_lead()
            ):
                return None
            return await job(*args)

        run.__name__ = job.__name__
        return run

    scheduler.add_job(
        led(jobs.checkin_sweep),
        IntervalTrigger(minutes=1),
        args=(sessions, clock),
        id="checkin_sweep",
        name="open, nudge and close check-ins",
        replace_existing=True,
    )
    scheduler.add_job(
        led(jobs.meeting_sweep),
        IntervalTrigger(minutes=1),
        args=(sessions, clock),
        id="meeting_sweep",
        name="meeting reminders and reflections",
        replace_existing=True,
    )
    scheduler.add_job(
        led(jobs.prune_updates),
        IntervalTrigger(hours=1),
        args=(sessions, clock),
        id="prune_updates",
        name="forget old Telegram update ids",
        replace_existing=True,
    )
    return scheduler
