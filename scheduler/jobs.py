"""Scheduler jobs: idempotent sweeps ("what is due and not yet done") over the database."""

from __future__ import annotations

import logging
from datetime import timedelta

from circles.clock import Clock
from circles.db import SessionMaker, transaction
from circles.services.updates import prune_processed_updates

log = logging.getLogger(__name__)

#: Telegram keeps undelivered updates for 24 hours; a week of ids covers any redelivery.
PROCESSED_UPDATES_KEPT = timedelta(days=7)


async def prune_updates(sessions: SessionMaker, clock: Clock) -> int:
    """Forget Telegram update ids older than :data:`PROCESSED_UPDATES_KEPT`."""
    async with transaction(sessions) as session:
        removed = await prune_processed_updates(
            session, before=clock.now() - PROCESSED_UPDATES_KEPT
        )
    if removed:
        log.info("forgot %d old update ids", removed)
    return removed
