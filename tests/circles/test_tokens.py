"""API tokens are shown once, stored only as hashes, and stop working when revoked."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import ApiToken, AuditLog, TokenRole
from circles.services.tokens import authenticate, create_token, record_use


async def test_only_the_hash_is_stored_and_the_secret_authenticates(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    async with transaction(sessions) as session:
        issued = await create_token(
            session,
            role=TokenRole.coordinator,
            name="hub",
            actor="cli",
            now=clock.now(),
            expires_at=clock.now() + timedelta(days=1),
        )
    async with sessions() as session:
        stored = await session.scalar(select(ApiToken))
        assert stored is not None
        assert issued.secret not in (stored.token_hash, stored.prefix, stored.name)
        audit = await session.scalar(select(AuditLog))
        assert audit is not None and issued.secret not in str(audit.detail)
        assert (await authenticate(session, secret=issued.secret, now=clock.now())) is not None
        assert (await authenticate(session, secret=issued.secret + "x", now=clock.now())) is None
        later = clock.advance(timedelta(days=2))
        assert (await authenticate(session, secret=issued.secret, now=later)) is None


async def test_a_revoked_token_is_refused(sessions: SessionMaker, clock: FakeClock) -> None:
    async with transaction(sessions) as session:
        issued = await create_token(
            session, role=TokenRole.admin, name="ops", actor="cli", now=clock.now()
        )
        issued.token.revoked_at = clock.now()
    async with sessions() as session:
        assert (await authenticate(session, secret=issued.secret, now=clock.now())) is None


async def test_authenticating_only_reads_and_use_is_recorded_once_a_minute(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    async with transaction(sessions) as session:
        issued = await create_token(
            session, role=TokenRole.admin, name="ops", actor="cli", now=clock.now()
        )
    token_id = issued.token.id or 0
    async with transaction(sessions) as session:
        token = await authenticate(session, secret=issued.secret, now=clock.now())
        assert token is not None and not session.dirty
    first = clock.now()
    async with transaction(sessions) as session:
        assert await record_use(session, token_id=token_id, now=first)
    async with transaction(sessions) as session:
        later = clock.advance(timedelta(seconds=59))
        assert not await record_use(session, token_id=token_id, now=later)
    async with transaction(sessions) as session:
        assert (await session.get_one(ApiToken, token_id)).last_used_at == first
        later = clock.advance(timedelta(seconds=2))
        assert await record_use(session, token_id=token_id, now=later)
