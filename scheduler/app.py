"""Build the APScheduler instance with every job."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from circles.clock import Clock
from circles.db import SessionMaker
from scheduler import jobs


def build_scheduler(sessions: SessionMaker, clock: Clock) -> AsyncIOScheduler:
    """A scheduler whose jobs are sweeps, safe to run after any restart.

    Jobs are kept in memory on purpose: what is due is derived from the database on
    every sweep, so nothing is lost when the process stops.
    """
    scheduler = AsyncIOScheduler(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1}
    )
    scheduler.add_job(
        jobs.prune_updates,
        IntervalTrigger(hours=1),
        args=(sessions, clock),
        id="prune_updates",
        name="forget old Telegram update ids",
        replace_existing=True,
    )
    return scheduler
