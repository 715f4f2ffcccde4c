"""``/v1/circles/{circle_id}/invites``: invite codes, how much of them is left, revoking."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from api.auth import ScopeDep
from api.deps import ClockDep, SessionDep
from api.params import BODY, DEFAULT_PAGE, READ, WRITE, CircleId, Cursor, InviteId, Limit
from api.schemas import InviteCreate, InviteOut, Page
from circles.models import Role
from circles.services import invites
from circles.services.access import Permission, circle_for
from circles.services.invites import InviteState

router = APIRouter(prefix="/v1/circles/{circle_id}/invites", tags=["invites"])


@router.get("", response_model=Page[InviteOut], responses=READ)
async def list_invites(
    circle_id: CircleId,
    scope: ScopeDep,
    session: SessionDep,
    clock: ClockDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
    state: InviteState | None = None,
    role: Role | None = None,
) -> Page[InviteOut]:
    """The circle's invites with uses left, expiry and state."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_details
    )
    now = clock.now()
    page = await invites.list_invites(
        session, circle=circle, now=now, cursor=cursor, limit=limit, state=state, role=role
    )
    return Page.of(page, InviteOut.at(now))


@router.post("", response_model=InviteOut, status_code=201, responses=BODY)
async def create_invite(
    circle_id: CircleId, body: InviteCreate, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> InviteOut:
    """Create an invite code for a role, with a number of uses and an expiry."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.write_circle
    )
    invite = await invites.create_audited_invite(
        session,
        circle=circle,
        role=body.role,
        actor=scope.actor,
        now=clock.now(),
        max_uses=body.max_uses,
        valid_for=timedelta(days=body.valid_days) if body.valid_days is not None else None,
    )
    return InviteOut.at(clock.now())(invite)


@router.post("/{invite_id}/revoke", response_model=InviteOut, responses=WRITE)
async def revoke_invite(
    circle_id: CircleId, invite_id: InviteId, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> InviteOut:
    """Revoke an invite; people who already joined with it stay members."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.write_circle
    )
    invite = await invites.revoke_invite(
        session, circle=circle, invite_id=invite_id, actor=scope.actor, now=clock.now()
    )
    return InviteOut.at(clock.now())(invite)
