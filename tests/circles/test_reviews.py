"""Each review of a practice reaches its author once, in their language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from support.people import add_person
from support.places import add_circle

from bot.flows.queued import shown
from circles.db import SessionMaker, transaction
from circles.errors import Forbidden, NotFound
from circles.models import Outbox, Practice, PracticeStatus, TokenRole
from circles.services import reviews
from circles.services.access import Scope

NOW = datetime(2026, 9, 10, 12, 0, tzinfo=UTC)


async def _practice(sessions: SessionMaker, *, telegram: int | None = 77) -> tuple[int, int]:
    async with transaction(sessions) as session:
        circle = await add_circle(session, "Zurich 1", now=NOW, country="CH")
        author = await add_person(session, display_name="Lea", language="de", telegram=telegram)
        practice = Practice(
            circle_id=circle.id,
            author_id=author.id,
            status=PracticeStatus.in_review,
            title="Ampelkarten",
            country="CH",
            language="de",
        )
        session.add(practice)
        await session.flush()
        return circle.id, practice.id


async def test_a_second_review_gets_its_own_message(sessions: SessionMaker) -> None:
    circle_id, practice_id = await _practice(sessions)
    scope = Scope("token:9", TokenRole.facilitator, circle_ids=frozenset({circle_id}))
    async with transaction(sessions) as session:
        first = await reviews.request_changes(
            session, scope=scope, practice_id=practice_id, comment="Bitte kürzer.", now=NOW
        )
        assert first.author_notified
    async with transaction(sessions) as session:
        practice = await session.get_one(Practice, practice_id)
        practice.status = PracticeStatus.in_review  # the author revised it
    async with transaction(sessions) as session:
        await reviews.approve_practice(session, scope=scope, practice_id=practice_id, now=NOW)
    async with sessions() as session:
        keys = list(await session.scalars(select(Outbox.idempotency_key).order_by(Outbox.id)))
        texts = list(await session.scalars(select(Outbox.payload)))
    assert keys == [f"practice-review-{practice_id}-1", f"practice-review-{practice_id}-2"]
    first, second = (shown(payload, "de").text for payload in texts)
    assert first.endswith("Bitte kürzer.") and "Ampelkarten" in second


async def test_an_author_without_telegram_is_not_messaged(sessions: SessionMaker) -> None:
    _circle, practice_id = await _practice(sessions, telegram=None)
    scope = Scope("token:1", TokenRole.admin)
    async with transaction(sessions) as session:
        done = await reviews.approve_practice(
            session, scope=scope, practice_id=practice_id, now=NOW
        )
    assert done.author_notified is False and done.row.practice.status is PracticeStatus.published


async def test_reviews_need_a_writer_of_that_circle(sessions: SessionMaker) -> None:
    circle_id, practice_id = await _practice(sessions)
    rep = Scope("token:2", TokenRole.union_rep, circle_ids=frozenset({circle_id}))
    stranger = Scope("token:3", TokenRole.facilitator, circle_ids=frozenset({circle_id + 1}))
    async with sessions() as session:
        with pytest.raises(Forbidden):
            await reviews.approve_practice(session, scope=rep, practice_id=practice_id, now=NOW)
        with pytest.raises(NotFound):
            await reviews.approve_practice(
                session, scope=stranger, practice_id=practice_id, now=NOW
            )
