"""The inquiry's phase machine: identify → pilot → codify → done, one named transition each.

Nothing else assigns ``Inquiry.phase``; every transition checks the phase it leaves and
writes one audit row (the inquiry's id and circle, never answer text).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import InvalidTransition
from circles.i18n import N_
from circles.models import Inquiry, Phase
from circles.services.audit import record_audit

_CANNOT = N_("This inquiry is in the {phase} phase; it cannot move to {target} now.")


#: Each phase an inquiry moves to: the phases it may leave for it, and the audit action.
_STEPS: dict[Phase, tuple[tuple[Phase, ...], str]] = {
    Phase.pilot: ((Phase.identify,), "inquiry.pilot"),
    Phase.codify: ((Phase.pilot,), "inquiry.codify"),
    Phase.done: ((Phase.codify,), "inquiry.finish"),
}
#: A new school year: the teacher leaves an unfinished inquiry for a new one.
_SET_ASIDE = ((Phase.identify, Phase.pilot, Phase.codify), "inquiry.set_aside")


async def _move(
    session: AsyncSession,
    inquiry: Inquiry,
    target: Phase,
    now: datetime,
    step: tuple[tuple[Phase, ...], str] | None = None,
) -> Inquiry:
    allowed, action = step or _STEPS[target]
    if inquiry.phase not in allowed:
        raise InvalidTransition(_CANNOT, phase=inquiry.phase.value, target=target.value)
    inquiry.phase = target
    if inquiry.id is None:
        session.add(inquiry)
        await session.flush()
    await record_audit(
        session,
        actor=f"person:{inquiry.person_id}",
        action=action,
        now=now,
        target_type="inquiry",
        target_id=inquiry.id,
        detail={"circle_id": inquiry.circle_id},
    )
    return inquiry


async def start_piloting(session: AsyncSession, *, inquiry: Inquiry, now: datetime) -> Inquiry:
    """identify → pilot: a practice was chosen (or adopted) and the weekly pilot begins."""
    return await _move(session, inquiry, Phase.pilot, now)


async def start_codifying(session: AsyncSession, *, inquiry: Inquiry, now: datetime) -> Inquiry:
    """pilot → codify: the teacher chose to write the practice up."""
    return await _move(session, inquiry, Phase.codify, now)


async def finish(session: AsyncSession, *, inquiry: Inquiry, now: datetime) -> Inquiry:
    """codify → done: the practice went to review; the inquiry is complete."""
    await _move(session, inquiry, Phase.done, now)
    inquiry.completed_at = inquiry.completed_at or now
    return inquiry


async def set_aside(session: AsyncSession, *, inquiry: Inquiry, now: datetime) -> Inquiry:
    """identify, pilot or codify → done: the teacher starts a new inquiry in a new school
    year; this one stays in their history as it was."""
    return await _move(session, inquiry, Phase.done, now, _SET_ASIDE)
