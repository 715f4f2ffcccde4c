"""Help from peers between meetings: a teacher's question to the other teachers of their
circle, their answers, and the asker's thanks.

A question goes to the circle's other teachers who can be reached now: consented, not
paused, not forgotten, with an identity that works, and who did not turn peers' questions
off (``person.peer_questions``). Each of them gets a :class:`PeerQuestionCopy`: only a
peer with a copy, still a member of the circle, may answer, once. Only the asker may
thank an answer, once. Nobody outside the circle reads a question; its facilitators read
the circle's questions and answers (:func:`list_questions`), an anonymous asker's without
their name. The messages are composed and queued in ``bot/flows/peers.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.db import insert_or_skip
from circles.errors import Conflict, Forbidden, InvalidAnswer, NotFound
from circles.i18n import N_
from circles.models import (
    Answer,
    Circle,
    Membership,
    Outbox,
    PeerAnswer,
    PeerQuestion,
    PeerQuestionCopy,
    Person,
    Role,
    TokenRole,
)
from circles.questions import Question
from circles.services.access import Permission, Scope, checkin_for_member, circle_for
from circles.services.pagination import Page, keyset, page_of
from circles.services.scheduling import reachable
from circles.text import number

#: Longest question or answer, in characters (a flow's long text).
TEXT_LIMIT = 2000
#: Teachers one question reaches at most (a circle has about ten).
MAX_PEERS = 200
#: A teacher asks the circle at most this many questions in any 24 hours, so that the
#: other teachers' chats stay a place for their own work.
QUESTIONS_A_DAY = 3

QUESTION_GONE = N_("This question is no longer open to you.")
ANSWER_GONE = N_("This answer is no longer there.")
ALREADY_ANSWERED = N_("You have already answered this question.")
ALREADY_THANKED = N_("You have already thanked them.")
_TOO_LONG = N_("Please keep it under {limit} characters.")
_EMPTY = N_("Please type your words.")
_FACILITATORS_ONLY = N_("Only the facilitators of the circle read its teachers' questions.")


def question_key(question_id: int | None) -> str:
    """The outbox key of a question's copies (one per peer's address)."""
    return f"peer-question-{question_id}"


def answer_key(answer_id: int | None) -> str:
    """The outbox key of an answer sent to its asker."""
    return f"peer-answer-{answer_id}"


def thanks_key(answer_id: int | None) -> str:
    """The outbox key of the asker's thanks sent to the answerer."""
    return f"peer-thanks-{answer_id}"


def first_name(person: Person | None) -> str | None:
    """How a peer is named to others: the first word of their name."""
    name = (person.display_name or "").strip() if person else ""
    return name.split()[0] if name else None


def _checked(text: str) -> str:
    words = text.strip()
    if not words:
        raise InvalidAnswer(_EMPTY)
    if len(words) > TEXT_LIMIT:
        raise InvalidAnswer(_TOO_LONG, limit=number(TEXT_LIMIT))
    return words


async def teacher_circle(session: AsyncSession, *, person_id: int) -> Circle | None:
    """The circle where the person teaches (the first one, if they teach in several)."""
    return await session.scalar(
        select(Circle)
        .join(Membership, Membership.circle_id == Circle.id)
        .where(Membership.person_id == person_id, Membership.role == Role.teacher)
        .order_by(Membership.id)
        .limit(1)
    )


async def help_wanted(session: AsyncSession, *, person_id: int, checkin_id: int) -> str | None:
    """What the person's own pilot check-in said the circle could help with (typed), if
    anything; :class:`NotFound` for someone else's check-in."""
    await checkin_for_member(session, person_id=person_id, checkin_id=checkin_id)
    return await session.scalar(
        select(Answer.value_text).where(
            Answer.checkin_id == checkin_id,
            Answer.person_id == person_id,
            Answer.question_key == Question.help,
        )
    )


async def may_ask(session: AsyncSession, *, asker_id: int, now: datetime) -> bool:
    """Whether ``asker_id`` asked fewer than :data:`QUESTIONS_A_DAY` questions in 24 hours."""
    asked = await session.scalar(
        select(func.count())
        .select_from(PeerQuestion)
        .where(PeerQuestion.asker_id == asker_id, PeerQuestion.created_at > now - timedelta(days=1))
    )
    return (asked or 0) < QUESTIONS_A_DAY


async def ask_question(
    session: AsyncSession,
    *,
    asker: Person,
    circle: Circle,
    text: str,
    anonymous: bool,
    now: datetime,
) -> tuple[PeerQuestion, list[Person]]:
    """Store the question and a copy for each peer who can receive it now; the peers."""
    question = PeerQuestion(
        circle_id=circle.id,
        asker_id=asker.id,
        text=_checked(text),
        anonymous=anonymous,
        created_at=now,
    )
    session.add(question)
    await session.flush()
    peers = list(
        await session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.circle_id == circle.id,
                Membership.role == Role.teacher,
                Person.id != asker.id,
                Person.peer_questions.is_(True),
                reachable(now),
            )
            .order_by(Person.id)
            .limit(MAX_PEERS)
        )
    )
    for peer in peers:
        await session.execute(
            insert_or_skip(session, PeerQuestionCopy)
            .values(question_id=question.id, person_id=peer.id, created_at=now)
            .on_conflict_do_nothing(index_elements=["question_id", "person_id"])
        )
    return question, peers


async def question_for_peer(
    session: AsyncSession, *, person_id: int, question_id: int
) -> PeerQuestion:
    """The question, if it was sent to the person and they are still a teacher of its
    circle; otherwise :class:`NotFound` (the same for a question that does not exist)."""
    question = await session.scalar(
        select(PeerQuestion)
        .join(PeerQuestionCopy, PeerQuestionCopy.question_id == PeerQuestion.id)
        .join(
            Membership,
            (Membership.circle_id == PeerQuestion.circle_id)
            & (Membership.person_id == PeerQuestionCopy.person_id),
        )
        .where(
            PeerQuestion.id == question_id,
            PeerQuestionCopy.person_id == person_id,
            Membership.role == Role.teacher,
        )
    )
    if question is None:
        raise NotFound(QUESTION_GONE)
    return question


async def has_answered(session: AsyncSession, *, question_id: int, person_id: int) -> bool:
    """Whether the person has answered the question already."""
    found = await session.scalar(
        select(PeerAnswer.id).where(
            PeerAnswer.question_id == question_id, PeerAnswer.answerer_id == person_id
        )
    )
    return found is not None


async def answer_question(
    session: AsyncSession, *, question: PeerQuestion, answerer: Person, text: str, now: datetime
) -> PeerAnswer:
    """Store a peer's answer (one per peer: :class:`Conflict` for a second one)."""
    words = _checked(text)
    assert answerer.id is not None
    if await has_answered(session, question_id=question.id, person_id=answerer.id):
        raise Conflict(ALREADY_ANSWERED)
    answer = PeerAnswer(
        question_id=question.id, answerer_id=answerer.id, text=words, created_at=now
    )
    session.add(answer)
    await session.flush()
    return answer


async def answer_for_asker(
    session: AsyncSession, *, person_id: int, answer_id: int
) -> tuple[PeerAnswer, PeerQuestion]:
    """An answer to one of the person's own questions; otherwise :class:`NotFound`."""
    row = (
        await session.execute(
            select(PeerAnswer, PeerQuestion)
            .join(PeerQuestion, PeerQuestion.id == PeerAnswer.question_id)
            .where(PeerAnswer.id == answer_id, PeerQuestion.asker_id == person_id)
        )
    ).first()
    if row is None:
        raise NotFound(ANSWER_GONE)
    return row[0], row[1]


def thank(answer: PeerAnswer, *, now: datetime) -> None:
    """Record the asker's thanks (once: :class:`Conflict` the second time)."""
    if answer.thanked_at is not None:
        raise Conflict(ALREADY_THANKED)
    answer.thanked_at = now


# --- for facilitators -------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerRow:
    """An answer as facilitators read it."""

    answer: PeerAnswer
    answerer_name: str | None


@dataclass(frozen=True)
class QuestionRow:
    """A question as facilitators read it: the asker's name unless anonymous, the answers."""

    question: PeerQuestion
    asker_name: str | None
    answers: list[AnswerRow] = field(default_factory=list)
    sent_to: int = 0


#: Answers listed per question (a circle has about ten teachers).
ANSWERS_SHOWN = 50


def may_read_questions(scope: Scope) -> bool:
    """Whether the scope reads a circle's questions: its facilitators do; coordinators and
    admins are not in the circle, union representatives read no details."""
    return scope.role is TokenRole.facilitator and scope.may(Permission.read_details)


async def questions_for(
    session: AsyncSession, *, scope: Scope, circle_id: int, cursor: str | None, limit: int
) -> Page[QuestionRow]:
    """The circle's questions for its facilitators (:class:`NotFound` outside the scope,
    :class:`Forbidden` for anyone else who sees the circle)."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_details
    )
    if not may_read_questions(scope):
        raise Forbidden(_FACILITATORS_ONLY)
    return await list_questions(session, circle=circle, cursor=cursor, limit=limit)


async def list_questions(
    session: AsyncSession, *, circle: Circle, cursor: str | None, limit: int
) -> Page[QuestionRow]:
    """The circle's questions, newest first, with their answers (oldest first)."""
    query = (
        select(PeerQuestion, Person.display_name)
        .join(Person, Person.id == PeerQuestion.asker_id)
        .where(PeerQuestion.circle_id == circle.id)
    )
    rows = (
        await session.execute(
            keyset(query, PeerQuestion.id, cursor=cursor, limit=limit, newest_first=True)
        )
    ).all()
    page = page_of(rows, limit=limit, last_id=lambda row: row[0].id)
    ids = [question.id for question, _name in page.items]
    answers: dict[int, list[AnswerRow]] = {i: [] for i in ids}
    found = await session.execute(
        select(PeerAnswer, Person.display_name)
        .join(Person, Person.id == PeerAnswer.answerer_id)
        .where(PeerAnswer.question_id.in_(ids))
        .order_by(PeerAnswer.id)
    )
    for answer, name in found.all():
        if len(answers[answer.question_id]) < ANSWERS_SHOWN:
            answers[answer.question_id].append(AnswerRow(answer, name))
    copies: dict[int, int] = dict.fromkeys(ids, 0)
    for (question_id,) in (
        await session.execute(
            select(PeerQuestionCopy.question_id).where(PeerQuestionCopy.question_id.in_(ids))
        )
    ).all():
        copies[question_id] += 1
    return Page(
        [
            QuestionRow(q, None if q.anonymous else name, answers[q.id], copies[q.id])
            for q, name in page.items
        ],
        page.next_cursor,
    )


# --- privacy ------------------------------------------------------------------------------


async def forget(session: AsyncSession, *, person_id: int) -> None:
    """Erase the person's questions (for everyone: their copies, answers and queued
    messages) and their answers (with the messages that carry them)."""
    question_ids = list(
        await session.scalars(select(PeerQuestion.id).where(PeerQuestion.asker_id == person_id))
    )
    answer_ids = list(
        await session.scalars(
            select(PeerAnswer.id).where(
                (PeerAnswer.answerer_id == person_id) | PeerAnswer.question_id.in_(question_ids)
            )
        )
    )
    keys = [question_key(i) for i in question_ids]
    keys += [k for i in answer_ids for k in (answer_key(i), thanks_key(i))]
    if keys:
        await session.execute(delete(Outbox).where(Outbox.idempotency_key.in_(keys)))
    if answer_ids:
        await session.execute(delete(PeerAnswer).where(PeerAnswer.id.in_(answer_ids)))
    if question_ids:
        await session.execute(
            delete(PeerQuestionCopy).where(PeerQuestionCopy.question_id.in_(question_ids))
        )
        await session.execute(delete(PeerQuestion).where(PeerQuestion.id.in_(question_ids)))
    await session.execute(delete(PeerQuestionCopy).where(PeerQuestionCopy.person_id == person_id))
