"""A circle of onboarded teachers with open check-ins, written straight to the database,
for tests that start ``circles run`` and need people to be there already."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.db import create_engine, create_sessionmaker, transaction
from circles.models import (
    CheckIn,
    Consent,
    Inquiry,
    Membership,
    Phase,
    Role,
    TokenRole,
)
from circles.services.tokens import create_token

from .fakebotapi import FakeBotApi, FakeUser
from .people import add_person
from .places import add_circle
from .service import Running, bot_env, ready_line, start_circles

NOW = datetime(2026, 9, 7, 17, 0, tzinfo=UTC)  # Monday, an hour after Accra 1's check-in opened


@dataclass
class Seeded:
    circle_id: int
    teachers: list[FakeUser]
    coordinator_token: str


@asynccontextmanager
async def writing(database_url: str) -> AsyncIterator[AsyncSession]:
    """One transaction on the database of a service under test, on an engine of its own."""
    engine = create_engine(database_url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            yield session
    finally:
        await engine.dispose()


def query(database_url: str, statement) -> list:
    """The rows of ``statement`` on a service's database, read from outside the service."""

    async def run() -> list:
        async with writing(database_url) as session:
            return list((await session.execute(statement)).all())

    return asyncio.run(run())


async def seed(database_url: str, count: int, *, language: str = "en") -> Seeded:
    """Accra 1 with ``count`` onboarded teachers in their pilot phase, each with an open
    check-in, and a coordinator's API token."""
    async with writing(database_url) as session:
        circle = await add_circle(session, "Accra 1", now=NOW)
        users = []
        for n in range(count):
            user = FakeUser(id=9000 + n, first_name=f"T{n}", language_code=language)
            person = await add_person(
                session,
                telegram=user.id,
                display_name=user.first_name,
                language=language,
                timezone="Africa/Accra",
                consent=Consent.given,
                consent_at=NOW,
                created_at=NOW,
            )
            session.add(Membership(person_id=person.id, circle_id=circle.id, role=Role.teacher))
            inquiry = Inquiry(person_id=person.id, circle_id=circle.id, phase=Phase.pilot)
            session.add(inquiry)
            await session.flush()
            session.add(
                CheckIn(
                    person_id=person.id,
                    circle_id=circle.id,
                    inquiry_id=inquiry.id,
                    phase=Phase.pilot,
                    scheduled_for=NOW - timedelta(hours=1),
                    closes_at=NOW + timedelta(days=6),
                )
            )
            users.append(user)
        token = await create_token(
            session, role=TokenRole.coordinator, name="hub", actor="test", now=NOW
        )
        return Seeded(circle.id, users, token.secret)


async def rows(database_url: str, model, *where) -> list:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return list(await session.scalars(select(model).where(*where)))
    finally:
        await engine.dispose()


async def start(database_url: str, fake: FakeBotApi, tmp_path: Path, when=NOW) -> Running:
    service = await start_circles(
        database_url, clock_file=tmp_path / "clock", start=when, **bot_env(fake, "polling")
    )
    await service.wait_for_log(ready_line("polling"))
    return service


async def in_flight(fake: FakeBotApi, chat_id: int) -> None:
    """Wait until a sendMessage to ``chat_id`` has reached the fake and is unanswered."""
    await fake.wait_for(
        lambda: any(
            c.status is None and c.chat_id == chat_id for c in fake.calls_for("sendMessage")
        ),
        20,
        f"a send to {chat_id} in flight",
    )
