"""Dashboard sessions kept on the server, so that signing out ends them for good.

Signing in stores a row with the SHA-256 hash of a random key; the browser's signed
cookie carries the key. Every dashboard request looks the row up: a session that was
signed out, has expired, or whose token was revoked or expired lets nobody in, even
with a copy of the cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.models import ApiToken, WebSession
from circles.services.tokens import is_live

#: A session lasts a working day; signing in again is cheap.
SESSION_LENGTH = timedelta(hours=12)
#: Keys longer than this are not ours; they are refused before hashing.
MAX_KEY_LENGTH = 100


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def start_web_session(session: AsyncSession, *, token: ApiToken, now: datetime) -> str:
    """Open a session for ``token``; returns the key for the cookie (stored only hashed)."""
    key = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            key_hash=_hash_key(key),
            token_id=token.id,
            created_at=now,
            expires_at=now + SESSION_LENGTH,
        )
    )
    await session.flush()
    return key


async def _live_session(session: AsyncSession, *, key: str, now: datetime) -> WebSession | None:
    if not key or len(key) > MAX_KEY_LENGTH:
        return None
    found = await session.scalar(select(WebSession).where(WebSession.key_hash == _hash_key(key)))
    if found is None or found.ended_at is not None or found.expires_at <= now:
        return None
    return found


async def web_session_token(session: AsyncSession, *, key: str, now: datetime) -> ApiToken | None:
    """The live token of the live session with ``key``, or None; reads only."""
    found = await _live_session(session, key=key, now=now)
    token = await session.get(ApiToken, found.token_id) if found is not None else None
    return token if token is not None and is_live(token, now) else None


async def end_web_session(session: AsyncSession, *, key: str, now: datetime) -> None:
    """Sign out: the session with ``key`` lets nobody in any more (nothing if unknown)."""
    found = await _live_session(session, key=key, now=now)
    if found is not None:
        found.ended_at = now
        await session.flush()


async def prune_web_sessions(session: AsyncSession, *, now: datetime) -> int:
    """Delete sessions that were signed out or have expired; returns how many."""
    over = or_(WebSession.ended_at.is_not(None), WebSession.expires_at <= now)
    result = await session.execute(delete(WebSession).where(over))
    return result.rowcount or 0
