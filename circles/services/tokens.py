"""Admin API tokens: shown once, stored as a SHA-256 hash, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import Conflict, InvalidAnswer, NotFound
from circles.i18n import N_
from circles.models import ApiToken, Circle, TokenRole
from circles.services.access import Permission, Scope
from circles.services.audit import record_audit
from circles.services.circles import is_country
from circles.services.pagination import Page, keyset, page_of

TOKEN_PREFIX = "lc_"
#: ``last_used_at`` is written at most this often per token, so reads stay reads.
LAST_USE_PRECISION = timedelta(minutes=1)


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
    await _audit(session, token, action="token.create", actor=actor, now=now)
    return IssuedToken(token=token, secret=secret)


async def _audit(
    session: AsyncSession, token: ApiToken, *, action: str, actor: str, now: datetime
) -> None:
    """One audit row for ``token``: its role and name, never its secret."""
    await record_audit(
        session,
        now=now,
        actor=actor,
        action=action,
        target_type="apitoken",
        target_id=token.id,
        detail={"role": token.role.value, "name": token.name},
    )


async def authenticate(session: AsyncSession, *, secret: str, now: datetime) -> ApiToken | None:
    """The live token matching ``secret``, or None (unknown, revoked or expired); reads only."""
    return await authenticate_hash(session, digest=hash_token(secret), now=now)


async def authenticate_hash(
    session: AsyncSession, *, digest: str, now: datetime
) -> ApiToken | None:
    """:func:`authenticate` by the stored hash; reads only."""
    token = await session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    return token if is_live(token, now) else None


def is_live(token: ApiToken, now: datetime) -> bool:
    """Whether ``token`` is neither revoked nor expired at ``now``."""
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)


def use_is_stale(token: ApiToken, now: datetime) -> bool:
    """Whether ``last_used_at`` is older than :data:`LAST_USE_PRECISION` (worth a write)."""
    return token.last_used_at is None or token.last_used_at <= now - LAST_USE_PRECISION


async def record_use(session: AsyncSession, *, token_id: int, now: datetime) -> bool:
    """Set ``last_used_at`` unless another request set it within the last minute.

    Callers run it in a transaction of its own, after authenticating in the request's
    (which then reads only); the condition makes concurrent requests write once.
    """
    result = await session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(
                ApiToken.last_used_at.is_(None),
                ApiToken.last_used_at <= now - LAST_USE_PRECISION,
            ),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def list_tokens(
    session: AsyncSession,
    *,
    cursor: str | None,
    limit: int,
    role: TokenRole | None = None,
    active: bool | None = None,
    now: datetime | None = None,
) -> Page[ApiToken]:
    """Tokens by id (hashes stay in the database; callers show the prefix only)."""
    query = select(ApiToken)
    if role is not None:
        query = query.where(ApiToken.role == role)
    if active is not None:
        assert now is not None, "filtering by active needs the current time"
        live = ApiToken.revoked_at.is_(None) & (
            ApiToken.expires_at.is_(None) | (ApiToken.expires_at > now)
        )
        query = query.where(live if active else ~live)
    rows = (await session.scalars(keyset(query, ApiToken.id, cursor=cursor, limit=limit))).all()
    return page_of(rows, limit=limit, last_id=lambda token: token.id)


async def revoke_token(
    session: AsyncSession, *, token_id: int, actor: str, now: datetime
) -> ApiToken:
    """Stop a token from working, at once and for good."""
    token = await session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(N_("There is no API token with this id."))
    if token.revoked_at is not None:
        raise Conflict(N_("This token is already revoked."))
    token.revoked_at = now
    await _audit(session, token, action="token.revoke", actor=actor, now=now)
    await session.flush()
    return token


async def issue_token(
    session: AsyncSession,
    *,
    scope: Scope,
    role: TokenRole,
    name: str,
    now: datetime,
    circle_id: int | None = None,
    countries: list[str] | None = None,
    expires_at: datetime | None = None,
) -> IssuedToken:
    """:func:`create_token` for an admin of the API, with every input checked."""
    scope.require(Permission.admin)
    if countries and role is not TokenRole.coordinator:
        raise InvalidAnswer(N_("Only coordinator tokens can be limited to countries."))
    for country in countries or []:
        if not is_country(country):
            raise InvalidAnswer(N_("{country} is not a two-letter country code."), country=country)
    if expires_at is not None and expires_at <= now:
        raise InvalidAnswer(N_("A token must expire in the future."))
    circle = None
    if circle_id is not None:
        circle = await session.get(Circle, circle_id)
        if circle is None:
            raise NotFound(N_("There is no circle with this id that you can see."))
    return await create_token(
        session,
        role=role,
        name=name.strip() or role.value,
        actor=scope.actor,
        now=now,
        circle=circle,
        countries=sorted({c.upper() for c in countries}) if countries else None,
        expires_at=expires_at,
    )
