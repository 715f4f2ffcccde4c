"""``/v1/audit``: who changed what, when (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import ScopeDep
from api.deps import SessionDep
from api.params import DEFAULT_PAGE, READ, Cursor, Limit
from api.schemas import AuditOut, Page
from circles.services.access import Permission
from circles.services.audit import list_audit
from circles.services.pagination import MAX_ID

router = APIRouter(prefix="/v1/audit", tags=["audit"])
Short = Annotated[str | None, Query(max_length=80, pattern=r"^[^\x00]*$")]


@router.get("", response_model=Page[AuditOut], responses=READ)
async def audit_log(
    scope: ScopeDep,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
    action: Short = None,
    actor: Short = None,
    target_type: Short = None,
    target_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Page[AuditOut]:
    """Audit rows newest first, e.g. ``action=practice.approve`` or ``actor=token:3``."""
    scope.require(Permission.admin)
    page = await list_audit(
        session,
        cursor=cursor,
        limit=limit,
        action=action,
        actor=actor,
        target_type=target_type,
        target_id=target_id,
    )
    return Page.of(page, AuditOut.of)
