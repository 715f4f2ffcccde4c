"""The audit log: who changed what, when. Never answer text, comments or secrets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.models import AuditLog
from circles.services.pagination import Page, keyset, page_of


async def record_audit(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    now: datetime,
    target_type: str | None = None,
    target_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Add one audit row (``action`` like ``practice.approve``, ``actor`` like ``token:3``)."""
    row = AuditLog(
        at=now,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail=detail or {},
    )
    session.add(row)
    await session.flush()
    return row


async def record_nudge(
    session: AsyncSession, *, actor: str, circle_id: int, queued: int, now: datetime
) -> AuditLog:
    """A facilitator reminded ``queued`` teachers of a circle to answer this week's check-in."""
    return await record_audit(
        session,
        actor=actor,
        action="checkin.nudge",
        now=now,
        target_type="circle",
        target_id=circle_id,
        detail={"queued": queued},
    )


async def list_audit(
    session: AsyncSession,
    *,
    cursor: str | None,
    limit: int,
    action: str | None = None,
    actor: str | None = None,
    target_type: str | None = None,
    target_id: int | None = None,
) -> Page[AuditLog]:
    """Audit rows, newest first, optionally of one action, actor or target."""
    query = select(AuditLog)
    if action is not None:
        query = query.where(AuditLog.action == action)
    if actor is not None:
        query = query.where(AuditLog.actor == actor)
    if target_type is not None:
        query = query.where(AuditLog.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditLog.target_id == target_id)
    rows = (
        await session.scalars(
            keyset(query, AuditLog.id, cursor=cursor, limit=limit, newest_first=True)
        )
    ).all()
    return page_of(rows, limit=limit, last_id=lambda row: row.id)
