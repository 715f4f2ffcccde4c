"""What every benchmark needs: a scratch database of its own, migrated, dropped after;
and teachers in their pilot, each with a check-in open."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import asyncpg
from sqlalchemy import insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from circles.db import create_engine
from circles.migrate import upgrade
from circles.models import (
    Channel,
    CheckIn,
    Circle,
    Identity,
    Inquiry,
    Membership,
    Person,
    Phase,
    Role,
)
from circles.services.circles import create_circle
from circles.settings import normalize_database_url


async def _admin(url: URL, sql: str) -> None:
    connection = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@asynccontextmanager
async def scratch_database(url: str | None) -> AsyncIterator[AsyncEngine]:
    """A migrated engine on a new SQLite file, or on a new database next to ``url``."""
    if url is None:
        database = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
        admin, name = None, None
    else:
        admin = make_url(normalize_database_url(url))
        name = f"circles_bench_{uuid.uuid4().hex[:8]}"
        await _admin(admin, f'CREATE DATABASE "{name}"')
        database = admin.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(database)
    try:
        await upgrade(engine)
        yield engine
    finally:
        await engine.dispose()
        if admin is not None:
            await _admin(admin, f'DROP DATABASE "{name}" WITH (FORCE)')


async def accra_circle(session: AsyncSession, *, now: datetime) -> Circle:
    """A new circle in Ghana (English, Africa/Accra), named uniquely."""
    return await create_circle(
        session,
        name=f"Bench {uuid.uuid4().hex[:6]}",
        country="GH",
        language="en",
        timezone="Africa/Accra",
        now=now,
    )


async def piloting_teacher(
    session: AsyncSession,
    person: Person,
    circle: Circle,
    *,
    address: str,
    opens: datetime,
    closes: datetime,
    now: datetime,
) -> tuple[CheckIn, Inquiry]:
    """Add ``person``: a teacher of ``circle`` on Telegram at ``address``, in the pilot of an
    inquiry, with a check-in open from ``opens`` until ``closes``."""
    session.add(person)
    await session.flush()
    session.add(
        Identity(person_id=person.id, channel=Channel.telegram, address=address, created_at=now)
    )
    session.add(Membership(person_id=person.id, circle_id=circle.id, role=Role.teacher))
    inquiry = Inquiry(person_id=person.id, circle_id=circle.id, phase=Phase.pilot)
    session.add(inquiry)
    await session.flush()
    checkin = CheckIn(
        person_id=person.id,
        circle_id=circle.id,
        inquiry_id=inquiry.id,
        phase=Phase.pilot,
        scheduled_for=opens,
        closes_at=closes,
    )
    session.add(checkin)
    await session.flush()
    return checkin, inquiry


async def insert_people(
    session: AsyncSession, people: list[dict[str, object]], *, first_address: int, now: datetime
) -> list[int]:
    """Insert ``people`` (Person rows) in one statement, the n-th with a Telegram identity at
    ``first_address + n``; their ids, in order."""
    ids = list(
        (
            await session.execute(
                insert(Person).returning(Person.id, sort_by_parameter_order=True), people
            )
        ).scalars()
    )
    await session.execute(
        insert(Identity),
        [
            {
                "person_id": pid,
                "channel": Channel.telegram,
                "address": str(first_address + n),
                "created_at": now,
            }
            for n, pid in enumerate(ids)
        ],
    )
    return ids
