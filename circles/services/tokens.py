"""Admin API tokens: shown once, stored as a SHA-256 hash, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import InvalidAnswer
from circles.i18n import N_
from circles.models import ApiToken, AuditLog, Circle, TokenRole

TOKEN_PREFIX = "lc_"


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``secret`` is shown once and never stored."""

    token: ApiToken
    secret: str


def hash_token(secret: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_token(
    session: AsyncSession,
    *,
    role: TokenRole,
    name: str,
    actor: str,
    now: datetime,
    circle: Circle | None = None,
    countries: list[str] | None = None,
    expires_at: datetime | None = None,
) -> IssuedToken:
    """Issue a token for ``role``; facilitators and union reps need a circle."""
    if role in (TokenRole.facilitator, TokenRole.union_rep) and circle is None:
        raise InvalidAnswer(N_("Facilitator and union representative tokens need a circle."))
    if role in (TokenRole.admin, TokenRole.coordinator) and circle is not None:
        raise InvalidAnswer(
            N_("Admin and coordinator tokens cover all circles; leave out the circle.")
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[:10],
        role=role,
        circle_id=circle.id if circle else None,
        countries=[c.upper() for c in countries] if countries else None,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    session.add(
        AuditLog(
            at=now,
            actor=actor,
            action="token.create",
            target_type="apitoken",
            target_id=token.id,
            detail={"role": role.value, "name": name},
        )
    )
    await session.flush()
    return IssuedToken(token=token, secret=secret)


async def authenticate(session: AsyncSession, *, secret: str, now: datetime) -> ApiToken | None:
    """The live token matching ``secret``, or None (unknown, revoked or expired)."""
    digest = hash_token(secret)
    token = await session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    token.last_used_at = now
    return token
