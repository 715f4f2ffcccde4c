"""Help from peers: who a question reaches, who may answer and thank, and erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from support.people import add_person
from support.places import add_circle

from circles.db import SessionMaker, transaction
from circles.errors import Conflict, InvalidAnswer, NotFound
from circles.models import (
    Consent,
    Membership,
    PeerAnswer,
    PeerQuestion,
    PeerQuestionCopy,
    Person,
    Role,
)
from circles.services import peers
from circles.services.privacy import export_person_data, forget_person

NOW = datetime(2026, 10, 14, 11, 0, tzinfo=UTC)


async def _member(session, circle, name: str, user_id: int, role=Role.teacher, **fields) -> Person:
    person = await add_person(
        session,
        telegram=user_id,
        display_name=name,
        consent=Consent.given,
        created_at=NOW,
        **fields,
    )
    session.add(Membership(person_id=person.id, circle_id=circle.id, role=role))
    await session.flush()
    return person


async def test_a_question_reaches_the_willing_teachers_of_the_circle_only(
    sessions: SessionMaker, tmp_path
) -> None:
    async with transaction(sessions) as session:
        accra = await add_circle(session, "Accra 1", now=NOW)
        kumasi = await add_circle(session, "Kumasi 1", now=NOW)
        ama = await _member(session, accra, "Ama Mensah", 1)
        kofi = await _member(session, accra, "Kofi Boateng", 2)
        await _member(session, accra, "Efua Paused", 3, paused_until=NOW + timedelta(days=3))
        await _member(session, accra, "Yaw Quiet", 4, peer_questions=False)
        grace = await _member(session, accra, "Grace Owusu", 5, role=Role.facilitator)
        other = await _member(session, kumasi, "Abena Kumasi", 6)

        assert (await peers.teacher_circle(session, person_id=ama.id)).id == accra.id
        assert await peers.teacher_circle(session, person_id=grace.id) is None
        with pytest.raises(InvalidAnswer):
            await peers.ask_question(
                session, asker=ama, circle=accra, text="x" * 2001, anonymous=False, now=NOW
            )
        question, reached = await peers.ask_question(
            session, asker=ama, circle=accra, text="  How do you keep exit tickets short? ",
            anonymous=True, now=NOW,
        )  # fmt: skip
        assert question.text == "How do you keep exit tickets short?"
        assert [p.display_name for p in reached] == ["Kofi Boateng"]

        for outsider in (other, grace, ama):
            with pytest.raises(NotFound):
                await peers.question_for_peer(
                    session, person_id=outsider.id, question_id=question.id
                )
        found = await peers.question_for_peer(session, person_id=kofi.id, question_id=question.id)
        answer = await peers.answer_question(
            session, question=found, answerer=kofi, text="One question, one line.", now=NOW
        )
        with pytest.raises(Conflict):
            await peers.answer_question(
                session, question=found, answerer=kofi, text="Again", now=NOW
            )
        with pytest.raises(NotFound):
            await peers.answer_for_asker(session, person_id=kofi.id, answer_id=answer.id)
        mine, _question = await peers.answer_for_asker(
            session, person_id=ama.id, answer_id=answer.id
        )
        peers.thank(mine, now=NOW)
        with pytest.raises(Conflict):
            peers.thank(mine, now=NOW)

        page = await peers.list_questions(session, circle=accra, cursor=None, limit=10)
        [row] = page.items
        assert row.asker_name is None  # anonymous for the facilitators too
        assert [(a.answerer_name, a.answer.text) for a in row.answers] == [
            ("Kofi Boateng", "One question, one line.")
        ]
        assert (
            await peers.list_questions(session, circle=kumasi, cursor=None, limit=10)
        ).items == []

        exported = await export_person_data(session, person=kofi, media_dir=tmp_path)
        assert [a["text"] for a in exported["peer_answers"]] == ["One question, one line."]
        assert [c["question_id"] for c in exported["peer_questions_received"]] == [question.id]
        exported = await export_person_data(session, person=ama, media_dir=tmp_path)
        assert [q["text"] for q in exported["peer_questions"]] == [question.text]


async def test_erasing_the_asker_erases_the_question_and_its_answers_for_everyone(
    sessions: SessionMaker,
) -> None:
    async with transaction(sessions) as session:
        accra = await add_circle(session, "Accra 1", now=NOW)
        ama = await _member(session, accra, "Ama Mensah", 1)
        kofi = await _member(session, accra, "Kofi Boateng", 2)
        asked, _ = await peers.ask_question(
            session, asker=ama, circle=accra, text="Hinge questions?", anonymous=False, now=NOW
        )
        kofis, _ = await peers.ask_question(
            session, asker=kofi, circle=accra, text="Exit tickets?", anonymous=False, now=NOW
        )
        await peers.answer_question(session, question=asked, answerer=kofi, text="Yes", now=NOW)
        await peers.answer_question(session, question=kofis, answerer=ama, text="Short", now=NOW)
        await forget_person(session, person=ama, now=NOW, media_dir=None)

        assert list(await session.scalars(select(PeerQuestion.text))) == ["Exit tickets?"]
        assert await session.scalar(select(func.count()).select_from(PeerAnswer)) == 0
        assert await session.scalar(select(func.count()).select_from(PeerQuestionCopy)) == 0
