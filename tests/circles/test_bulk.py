"""Bulk writes (``circles.db.bulk_insert``, COPY on PostgreSQL) store what an INSERT
would: the same values, the defaults of the columns left out, the ids in order, and the
same refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from support.people import add_person
from support.places import add_circle

from circles.db import JsonText, SessionMaker, among, bulk_insert, transaction
from circles.models import (
    Channel,
    CheckIn,
    CheckInStatus,
    Outbox,
    OutboxPriority,
    OutboxState,
    Phase,
)

NOW = datetime(2026, 9, 7, 16, 0, tzinfo=UTC)
PAYLOAD = {"say": "Hello «Ama» \n ✓", "n": [1, 2]}


async def test_rows_come_back_as_written_with_defaults_and_ids_in_order(
    sessions: SessionMaker,
) -> None:
    async with transaction(sessions) as session:
        circle = await add_circle(session, "Bulk", now=NOW)
        people = [(await add_person(session, created_at=NOW)).id for _ in range(5)]
    rows = [
        {
            "person_id": person,
            "circle_id": circle.id,
            "phase": Phase.pilot,
            "scheduled_for": NOW,
            "closes_at": NOW,
        }
        for person in reversed(people)  # ids must follow the rows, not the people
    ]
    async with transaction(sessions) as session:
        ids = await bulk_insert(
            session, CheckIn.__table__, rows, ids_by=("person_id", "circle_id", "scheduled_for")
        )
        await bulk_insert(
            session,
            Outbox.__table__,
            [
                {
                    "channel": Channel.telegram,
                    "address": str(person),
                    # a payload may come already encoded (a wave fills its JSON)
                    "payload": JsonText(json.dumps(PAYLOAD)) if n % 2 else PAYLOAD,
                    "idempotency_key": f"bulk-{checkin}",
                    "not_before": NOW,
                }
                for n, (person, checkin) in enumerate(zip(reversed(people), ids, strict=True))
            ],
        )
    async with sessions() as session:
        checkins = {c.id: c for c in await session.scalars(select(CheckIn))}
        outbox = list(await session.scalars(select(Outbox).order_by(Outbox.id)))
    assert [checkins[i].person_id for i in ids] == list(reversed(people))
    assert {(c.status, c.nudges_sent, c.phase, c.scheduled_for) for c in checkins.values()} == {
        (CheckInStatus.open, 0, Phase.pilot, NOW)
    }
    assert [o.idempotency_key for o in outbox] == [f"bulk-{i}" for i in ids]
    assert {(o.priority, o.state, o.attempts) for o in outbox} == {
        (OutboxPriority.reply, OutboxState.pending, 0)
    }
    assert [o.payload for o in outbox] == [PAYLOAD] * len(ids)
    assert all(o.created_at is not None for o in outbox)

    async with sessions() as session:
        found = await session.scalars(
            select(CheckIn.id).where(among(session, CheckIn.id, ids[:2])).order_by(CheckIn.id)
        )
        assert list(found) == sorted(ids[:2])


async def test_a_duplicate_and_a_naive_time_are_refused_as_by_an_insert(
    sessions: SessionMaker,
) -> None:
    async with transaction(sessions) as session:
        circle = await add_circle(session, "Bulk", now=NOW)
        person = (await add_person(session, created_at=NOW)).id
    row = {"person_id": person, "circle_id": circle.id, "phase": Phase.pilot}
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            await bulk_insert(session, CheckIn.__table__, [row | {"scheduled_for": NOW}] * 2)
    with pytest.raises((ValueError, StatementError)):  # SQLAlchemy wraps it on SQLite
        async with transaction(sessions) as session:
            naive = NOW.replace(tzinfo=None)
            await bulk_insert(session, CheckIn.__table__, [row | {"scheduled_for": naive}])
    async with sessions() as session:
        assert list(await session.scalars(select(CheckIn.id))) == []
