"""The practice digest: a published practice from another circle, to each member.

:mod:`circles.services.dissemination` decides which circles are due, which practice
each gets and who receives it; this module composes the message ("I'll try this", "Stop
these messages") and queues it, one per member, keyed per circle and practice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import queued
from bot.flows.buttons import AdoptPractice, StopDigest
from bot.flows.events import Button, Say
from circles.models import Circle, OutboxPriority
from circles.services import dissemination, repository, showcase
from circles.services.dissemination import Shared
from circles.services.outbox import enqueue
from circles.services.schedule import sendable_from
from circles.text import lines, t


def message(found: repository.Found) -> Say:
    """The digest message for a member, rendered in their language when it is sent."""
    card = showcase.card(found, full=True)
    return Say(
        lines(t("A practice from another circle, for you to read and maybe try:"), "", card),
        (
            (Button(t("I'll try this"), AdoptPractice(found.practice.id)),),
            (Button(t("Stop these messages"), StopDigest()),),
        ),
    )


async def share(session: AsyncSession, *, circle: Circle, practice_id: int, now: datetime) -> int:
    """Send one practice to the circle's members; how many messages were queued."""
    found, members = await dissemination.record_share(
        session, circle=circle, practice_id=practice_id, now=now
    )
    count = 0
    for person in members:
        count += await enqueue(
            session,
            to=person,
            payload=queued.payload(message(found)),
            key=f"practice-share-{circle.id}-{practice_id}",
            now=now,
            priority=OutboxPriority.bulk,
            not_before=sendable_from(now, person.timezone, circle.quiet_from, circle.quiet_until),
        )
    return count


async def sweep(session: AsyncSession, *, now: datetime) -> list[Shared]:
    """Send every circle that is due its next practice (run by the scheduler)."""
    done = []
    for circle in await dissemination.due_circles(session, now=now):
        practice_id = await dissemination.pick(session, circle=circle)
        if practice_id is None:
            continue
        count = await share(session, circle=circle, practice_id=practice_id, now=now)
        done.append(Shared(circle.id, practice_id, count))
    return done
