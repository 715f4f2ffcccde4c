"""The two state machines: an inquiry's phase and a practice's status.

Each moves only through its module's named transitions (circles/services/inquiries.py,
circles/services/practices.py); each transition checks where it starts, refuses an
impossible move without changing anything, and leaves exactly one audit row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update
from support.places import add_circle

from circles.db import SessionMaker, transaction
from circles.errors import Conflict, InvalidTransition
from circles.models import (
    AuditLog,
    Circle,
    Consent,
    Inquiry,
    Person,
    Phase,
    Practice,
    PracticeStatus,
)
from circles.services import inquiries, journeys, practices, repository

NOW = datetime(2026, 10, 14, 13, 30, tzinfo=UTC)
P = PracticeStatus


async def _teacher(sessions: SessionMaker) -> tuple[int, int]:
    async with transaction(sessions) as session:
        circle = await add_circle(session, "Accra", now=NOW)
        person = Person(display_name="Ama", language="en", consent=Consent.given)
        session.add(person)
        await session.flush()
        return circle.id, person.id


async def _audit(session) -> list[tuple[str, str, str | None, int | None]]:
    rows = await session.scalars(select(AuditLog).order_by(AuditLog.id))
    return [(r.actor, r.action, r.target_type, r.target_id) for r in rows]


# --- inquiry phase ----------------------------------------------------------------------------

INQUIRY_MOVES: dict[str, tuple[Callable[..., Awaitable[Inquiry]], Phase, Phase, str]] = {
    "start_piloting": (inquiries.start_piloting, Phase.identify, Phase.pilot, "inquiry.pilot"),
    "start_codifying": (inquiries.start_codifying, Phase.pilot, Phase.codify, "inquiry.codify"),
    "finish": (inquiries.finish, Phase.codify, Phase.done, "inquiry.finish"),
}


async def _inquiry(sessions: SessionMaker, phase: Phase) -> int:
    circle_id, person_id = await _teacher(sessions)
    async with transaction(sessions) as session:
        inquiry = Inquiry(person_id=person_id, circle_id=circle_id, phase=phase, started_at=NOW)
        session.add(inquiry)
        await session.flush()
        return inquiry.id


@pytest.mark.parametrize("name", INQUIRY_MOVES)
async def test_a_teachers_inquiry_moves_one_phase_on_and_the_audit_log_says_so(
    sessions: SessionMaker, name: str
) -> None:
    move, start, end, action = INQUIRY_MOVES[name]
    inquiry_id = await _inquiry(sessions, start)
    async with transaction(sessions) as session:
        await move(session, inquiry=await session.get_one(Inquiry, inquiry_id), now=NOW)
    async with sessions() as session:
        inquiry = await session.get_one(Inquiry, inquiry_id)
        assert inquiry.phase is end
        assert (inquiry.completed_at is not None) == (end is Phase.done)
        [(actor, logged, target_type, target_id)] = await _audit(session)
    assert actor == f"person:{inquiry.person_id}" and logged == action
    assert (target_type, target_id) == ("inquiry", inquiry_id)


@pytest.mark.parametrize(
    ("name", "start"),
    [
        (name, phase)
        for name, (_move, allowed, _end, _action) in INQUIRY_MOVES.items()
        for phase in Phase
        if phase is not allowed
    ],
)
async def test_an_inquiry_cannot_skip_a_phase_or_go_back_and_nothing_is_logged(
    sessions: SessionMaker, name: str, start: Phase
) -> None:
    move = INQUIRY_MOVES[name][0]
    inquiry_id = await _inquiry(sessions, start)
    async with sessions() as session:
        with pytest.raises(InvalidTransition) as refused:
            await move(session, inquiry=await session.get_one(Inquiry, inquiry_id), now=NOW)
        await session.rollback()
        assert (await session.get_one(Inquiry, inquiry_id)).phase is start
        assert await _audit(session) == []
    assert isinstance(refused.value, Conflict) and refused.value.status == 409
    assert refused.value.params == {"phase": start.value, "target": INQUIRY_MOVES[name][2].value}


# --- practice status --------------------------------------------------------------------------


async def _submit(session, practice: Practice) -> Any:
    return await practices.submit_for_review(session, practice=practice, actor="person:1", now=NOW)


async def _publish(session, practice: Practice) -> Any:
    return await practices.publish(
        session, practice=practice, actor="token:7", author_notified=True, now=NOW
    )


async def _request_changes(session, practice: Practice) -> Any:
    return await practices.request_changes(
        session,
        practice=practice,
        actor="token:7",
        comment="Add the worksheet, please.",
        author_notified=False,
        now=NOW,
    )


async def _revise(session, practice: Practice) -> Any:
    return await practices.revise(session, practice=practice, actor="person:1", now=NOW)


async def _archive(session, practice: Practice) -> Any:
    return await practices.archive(session, practice=practice, actor="token:7", now=NOW)


PRACTICE_MOVES = {
    "submit_for_review": (
        _submit,
        (P.draft, P.in_review, P.changes_requested, P.published),
        P.in_review,
        "practice.submit",
    ),
    "publish": (_publish, (P.in_review,), P.published, "practice.approve"),
    "request_changes": (
        _request_changes,
        (P.in_review,),
        P.changes_requested,
        "practice.request_changes",
    ),
    "revise": (
        _revise,
        (P.in_review, P.changes_requested, P.published),
        P.in_review,
        "practice.revise",
    ),
    "archive": (
        _archive,
        (P.draft, P.in_review, P.changes_requested, P.published),
        P.archived,
        "practice.archive",
    ),
}


async def _practice(sessions: SessionMaker, status: PracticeStatus) -> int:
    circle_id, person_id = await _teacher(sessions)
    async with transaction(sessions) as session:
        practice = Practice(
            circle_id=circle_id,
            author_id=person_id,
            status=status,
            title="Exit tickets",
            country="GH",
            language="en",
            created_at=NOW,
        )
        session.add(practice)
        await session.flush()
        return practice.id


@pytest.mark.parametrize(
    ("name", "start"),
    [
        (name, status)
        for name, (_move, allowed, *_rest) in PRACTICE_MOVES.items()
        for status in allowed
    ],
)
async def test_a_practice_moves_on_its_way_to_the_repository_with_one_audit_row(
    sessions: SessionMaker, name: str, start: PracticeStatus
) -> None:
    move, _allowed, end, action = PRACTICE_MOVES[name]
    practice_id = await _practice(sessions, start)
    async with transaction(sessions) as session:
        await move(session, await session.get_one(Practice, practice_id))
    async with sessions() as session:
        practice = await session.get_one(Practice, practice_id)
        assert practice.status is end and practice.updated_at == NOW
        [(_actor, logged, target_type, target_id)] = await _audit(session)
        [row] = await session.scalars(select(AuditLog))
    assert logged == action and (target_type, target_id) == ("practice", practice_id)
    assert row.detail["circle_id"] == practice.circle_id
    assert "worksheet" not in str(row.detail)  # a reviewer's comment is never audited
    if end is P.published:
        assert practice.published_at == NOW
    if end is P.archived:
        assert practice.archived_at == NOW
    if end is P.changes_requested:
        assert practice.review_comment == "Add the worksheet, please."
        assert row.detail["comment_length"] == len("Add the worksheet, please.")


@pytest.mark.parametrize(
    ("name", "start"),
    [
        (name, status)
        for name, (_move, allowed, *_rest) in PRACTICE_MOVES.items()
        for status in PracticeStatus
        if status not in allowed
    ],
)
async def test_an_impossible_practice_move_is_refused_and_changes_nothing(
    sessions: SessionMaker, name: str, start: PracticeStatus
) -> None:
    practice_id = await _practice(sessions, start)
    async with sessions() as session:
        with pytest.raises(InvalidTransition):
            await PRACTICE_MOVES[name][0](session, await session.get_one(Practice, practice_id))
        await session.rollback()
        assert (await session.get_one(Practice, practice_id)).status is start
        assert await _audit(session) == []


async def test_a_new_practice_is_saved_when_it_is_first_submitted(sessions: SessionMaker) -> None:
    circle_id, person_id = await _teacher(sessions)
    async with transaction(sessions) as session:
        practice = Practice(
            circle_id=circle_id,
            author_id=person_id,
            title="Traffic lights",
            country="GH",
            language="en",
            created_at=NOW,
        )
        await _submit(session, practice)
    async with sessions() as session:
        [saved] = await session.scalars(select(Practice))
        assert saved.status is P.in_review
        assert [a[1:] for a in await _audit(session)] == [("practice.submit", "practice", saved.id)]


# --- the journeys that use them ---------------------------------------------------------------


async def test_codifying_sends_the_practice_to_review_and_closes_the_inquiry_once(
    sessions: SessionMaker,
) -> None:
    inquiry_id = await _inquiry(sessions, Phase.codify)
    fields = {"name": "Exit tickets", "summary": "Three questions at the door."}
    for edit, status in enumerate((None, P.published, P.archived)):
        async with transaction(sessions) as session:
            inquiry = await session.get_one(Inquiry, inquiry_id)
            if status is not None:  # the reviewer acted, then the teacher edited an answer
                practice = await session.scalar(select(Practice))
                await session.execute(
                    update(Practice).where(Practice.id == practice.id).values(status=status)
                )
                await session.refresh(practice)
            person = await session.get_one(Person, inquiry.person_id)
            circle = await session.get_one(Circle, inquiry.circle_id)
            fields["summary"] = f"Version {edit}"
            await journeys.codify(
                session, inquiry=inquiry, author=person, circle=circle, fields=fields, now=NOW
            )
    async with sessions() as session:
        inquiry = await session.get_one(Inquiry, inquiry_id)
        practice = await session.scalar(select(Practice))
        actions = [a[1] for a in await _audit(session)]
    assert inquiry.phase is Phase.done and inquiry.completed_at == NOW
    # Submitted, then resubmitted after publication; an archived practice stays archived.
    assert actions == ["practice.submit", "inquiry.finish", "practice.submit"]
    assert practice.status is P.archived and practice.summary == "Version 2"


async def test_a_teacher_still_identifying_who_adopts_a_practice_starts_piloting_it(
    sessions: SessionMaker,
) -> None:
    practice_id = await _practice(sessions, P.published)
    async with transaction(sessions) as session:
        practice = await session.get_one(Practice, practice_id)
        person = await session.get_one(Person, practice.author_id)
        circle = await session.get_one(Circle, practice.circle_id)
        adopted = await repository.adopt(
            session, person=person, circle=circle, practice=practice, now=NOW
        )
        assert adopted.inquiry is not None
        inquiry_id = adopted.inquiry.id
    async with sessions() as session:
        assert (await session.get_one(Inquiry, inquiry_id)).phase is Phase.pilot
        assert [a[1:] for a in await _audit(session)] == [("inquiry.pilot", "inquiry", inquiry_id)]
