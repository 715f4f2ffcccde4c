"""Invites: codes that let people join a circle with a role."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import quote

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import Conflict, DomainError, InvalidAnswer, NotFound
from circles.i18n import N_
from circles.models import Circle, Invite, Membership, Person, Role
from circles.services.audit import record_audit
from circles.services.pagination import Page, keyset, page_of

#: How many people one invite admits unless told otherwise: a circle has ten teachers,
#: two facilitators and one union representative.
DEFAULT_USES = {Role.teacher: 10, Role.facilitator: 2, Role.union_rep: 1}
#: How long an invite stays valid unless told otherwise.
DEFAULT_VALIDITY = timedelta(days=30)


class InviteProblem(StrEnum):
    """Why an invite code cannot be used."""

    unknown = "unknown"
    expired = "expired"
    used_up = "used_up"
    revoked = "revoked"


class InviteRejected(DomainError):
    """The invite code cannot be used; ``problem`` says why."""

    def __init__(self, problem: InviteProblem, invite: Invite | None = None) -> None:
        super().__init__(N_("This invite cannot be used."), problem=problem.value)
        self.problem = problem
        self.invite = invite


@dataclass(frozen=True)
class Joined:
    """The result of redeeming an invite."""

    membership: Membership
    circle: Circle
    already_member: bool


def generate_code() -> str:
    """A 16-character code, URL-safe and valid as a Telegram ``start`` parameter."""
    return secrets.token_urlsafe(12)


async def create_invite(
    session: AsyncSession,
    *,
    circle: Circle,
    role: Role,
    now: datetime,
    max_uses: int | None = None,
    valid_for: timedelta | None = DEFAULT_VALIDITY,
) -> Invite:
    """Create an invite to ``circle`` for ``role``."""
    uses = DEFAULT_USES[role] if max_uses is None else max_uses
    if not 1 <= uses <= 1000:
        raise InvalidAnswer(N_("An invite admits between 1 and 1000 people."))
    if valid_for is not None and valid_for <= timedelta(0):
        raise InvalidAnswer(N_("An invite must stay valid for some time."))
    invite = Invite(
        code=generate_code(),
        circle_id=circle.id,
        role=role,
        max_uses=uses,
        expires_at=now + valid_for if valid_for is not None else None,
        created_at=now,
    )
    session.add(invite)
    await session.flush()
    return invite


def invite_link(bot_username: str, code: str) -> str:
    """The link that opens the bot and sends ``/start <code>``."""
    return f"https://t.me/{bot_username}?start={code}"


def whatsapp_link(number: str, code: str) -> str:
    """The link that opens WhatsApp with ``JOIN <code>`` typed to the bot's number."""
    return f"https://wa.me/{number}?text=JOIN%20{quote(code, safe='')}"


async def redeem_invite(
    session: AsyncSession, *, code: str, person: Person, now: datetime
) -> Joined:
    """Make ``person`` a member of the invite's circle; raise :class:`InviteRejected`.

    A person who is already a member keeps their membership and uses no place.
    The use counter is raised with a guarded UPDATE so that two people redeeming the
    last place at the same moment cannot both get it.
    """
    invite = await session.scalar(select(Invite).where(Invite.code == code.strip()))
    if invite is None:
        raise InviteRejected(InviteProblem.unknown)
    circle = await session.get_one(Circle, invite.circle_id)
    existing = await session.scalar(
        select(Membership).where(
            Membership.person_id == person.id, Membership.circle_id == circle.id
        )
    )
    if existing is not None:
        return Joined(membership=existing, circle=circle, already_member=True)
    if invite.revoked_at is not None:
        raise InviteRejected(InviteProblem.revoked, invite)
    if invite.expires_at is not None and invite.expires_at <= now:
        raise InviteRejected(InviteProblem.expired, invite)
    claimed = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.uses < Invite.max_uses)
        .values(uses=Invite.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise InviteRejected(InviteProblem.used_up, invite)
    await session.refresh(invite)
    membership = Membership(
        person_id=person.id,
        circle_id=circle.id,
        role=invite.role,
        invite_id=invite.id,
        joined_at=now,
    )
    session.add(membership)
    await session.flush()
    return Joined(membership=membership, circle=circle, already_member=False)


# --- the admin API's view of invites ---------------------------------------------------


class InviteState(StrEnum):
    """Whether an invite can still be used, and if not, why."""

    active = "active"
    expired = "expired"
    used_up = "used_up"
    revoked = "revoked"


def invite_state(invite: Invite, now: datetime) -> InviteState:
    """The invite's state at ``now`` (revoked wins over expired wins over used up)."""
    if invite.revoked_at is not None:
        return InviteState.revoked
    if invite.expires_at is not None and invite.expires_at <= now:
        return InviteState.expired
    if invite.uses >= invite.max_uses:
        return InviteState.used_up
    return InviteState.active


async def list_invites(
    session: AsyncSession,
    *,
    circle: Circle,
    now: datetime,
    cursor: str | None,
    limit: int,
    state: InviteState | None = None,
    role: Role | None = None,
) -> Page[Invite]:
    """The circle's invites by id, optionally in one state or for one role."""
    query = select(Invite).where(Invite.circle_id == circle.id)
    if role is not None:
        query = query.where(Invite.role == role)
    live = Invite.revoked_at.is_(None)
    unexpired = Invite.expires_at.is_(None) | (Invite.expires_at > now)
    if state is InviteState.revoked:
        query = query.where(Invite.revoked_at.is_not(None))
    elif state is InviteState.expired:
        query = query.where(live, Invite.expires_at <= now)
    elif state is InviteState.used_up:
        query = query.where(live, unexpired, Invite.uses >= Invite.max_uses)
    elif state is InviteState.active:
        query = query.where(live, unexpired, Invite.uses < Invite.max_uses)
    rows = (await session.scalars(keyset(query, Invite.id, cursor=cursor, limit=limit))).all()
    return page_of(rows, limit=limit, last_id=lambda invite: invite.id)


async def get_invite(session: AsyncSession, *, circle: Circle, invite_id: int) -> Invite:
    """The circle's invite ``invite_id`` (another circle's is reported as missing)."""
    invite = await session.get(Invite, invite_id)
    if invite is None or invite.circle_id != circle.id:
        raise NotFound(N_("This circle has no invite with this id."))
    return invite


async def revoke_invite(
    session: AsyncSession, *, circle: Circle, invite_id: int, actor: str, now: datetime
) -> Invite:
    """Stop an invite from admitting anyone else; people who joined with it stay."""
    invite = await get_invite(session, circle=circle, invite_id=invite_id)
    if invite.revoked_at is not None:
        raise Conflict(N_("This invite is already revoked."))
    invite.revoked_at = now
    await record_audit(
        session,
        actor=actor,
        action="invite.revoke",
        now=now,
        target_type="invite",
        target_id=invite.id,
        detail={"circle_id": circle.id},
    )
    return invite


async def create_audited_invite(
    session: AsyncSession,
    *,
    circle: Circle,
    role: Role,
    actor: str,
    now: datetime,
    max_uses: int | None = None,
    valid_for: timedelta | None = DEFAULT_VALIDITY,
) -> Invite:
    """:func:`create_invite`, recorded in the audit log (without the code)."""
    invite = await create_invite(
        session, circle=circle, role=role, now=now, max_uses=max_uses, valid_for=valid_for
    )
    await record_audit(
        session,
        actor=actor,
        action="invite.create",
        now=now,
        target_type="invite",
        target_id=invite.id,
        detail={"circle_id": circle.id, "role": role.value, "max_uses": invite.max_uses},
    )
    return invite
