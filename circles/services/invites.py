"""Invites: codes that let people join a circle with a role."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import DomainError, InvalidAnswer
from circles.i18n import N_
from circles.models import Circle, Invite, Membership, Person, Role

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
