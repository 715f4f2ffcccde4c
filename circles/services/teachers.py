"""One teacher's page: their challenge, practice, every pilot week, reflections, practices.

Read by the facilitators of the teacher's circle and by coordinators and admins whose
scope covers it (``read_details``); a teacher of a circle outside the scope, a member who
is not a teacher there, and a person who used /forgetme answer the same :class:`NotFound`
as an id that does not exist. Reflections are read through
:func:`circles.services.reflections.list_reflections`, so the page shows exactly what the
author let this reader read (coordinators and admins: none).

The work is bounded: the teacher's newest :data:`INQUIRIES` inquiries, the newest
:data:`WEEKS` pilot check-ins of each, :data:`REFLECTIONS` reflections and
:data:`PRACTICES` practices, in a fixed number of queries per inquiry.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import NotFound
from circles.i18n import N_
from circles.models import (
    Answer,
    AnswerKind,
    AuditLog,
    CheckIn,
    Circle,
    Inquiry,
    Membership,
    Person,
    Phase,
    Practice,
    Role,
)
from circles.questions import Question
from circles.services import media, reflections
from circles.services.access import Permission, Scope, circle_for
from circles.services.reflections import ReflectionRow

TEACHER_NOT_FOUND = N_("There is no teacher with this id in this circle that you can see.")
INQUIRIES = 5
WEEKS = 60
REFLECTIONS = 20
PRACTICES = 10
#: The practice transitions a page lists as its review history (comments are not audited).
HISTORY_ACTIONS = (
    "practice.submit",
    "practice.approve",
    "practice.request_changes",
    "practice.revise",
    "practice.archive",
)
#: What identify asked, as the page shows it.
_IDENTIFY = (Question.challenge, Question.affected, Question.readiness)


@dataclass(frozen=True)
class PilotWeek:
    """One pilot check-in, answered or not, with what the teacher said in it."""

    checkin: CheckIn
    all_answers: list[Answer]

    @property
    def answers(self) -> dict[str, Answer]:
        """The answers by question key (the last one of a key)."""
        return {answer.question_key: answer for answer in self.all_answers}

    @property
    def evidence(self) -> list[Answer]:
        """Every piece of evidence of learning sent that week: text, photos, documents."""
        return [a for a in self.all_answers if a.question_key == Question.evidence]

    def text(self, key: Question) -> str | None:
        """The text (or caption) of the answer to ``key``, if any."""
        answer = self.answers.get(key)
        return answer.value_text if answer is not None else None

    def choice(self, key: Question) -> str | None:
        """The choice of the answer to ``key``, if any."""
        answer = self.answers.get(key)
        return answer.value_choice if answer is not None else None

    @property
    def rating(self) -> float | None:
        """How well it worked this week (1–5)."""
        answer = self.answers.get(Question.how_well)
        return answer.value_number if answer is not None else None


@dataclass(frozen=True)
class InquiryView:
    """One inquiry: what was identified, the practice, and its pilot weeks (oldest first)."""

    inquiry: Inquiry
    identified: dict[str, Answer]
    weeks: list[PilotWeek]

    def text(self, key: Question) -> str | None:
        """What identify's ``key`` was answered with, as text."""
        answer = self.identified.get(key)
        return answer.value_text if answer is not None else None

    @property
    def readiness(self) -> float | None:
        """How ready the teacher felt (1–5)."""
        answer = self.identified.get(Question.readiness)
        return answer.value_number if answer is not None else None


@dataclass(frozen=True)
class ReviewStep:
    """One step of a practice's way through review."""

    action: str
    at: datetime


@dataclass(frozen=True)
class PracticeView:
    """A practice the teacher codified, with its review history (oldest first)."""

    practice: Practice
    history: list[ReviewStep] = field(default_factory=list)


@dataclass(frozen=True)
class TeacherPage:
    """Everything the reader may read about one teacher of one circle."""

    circle: Circle
    person: Person
    joined_at: datetime
    inquiries: list[InquiryView]
    reflections: list[ReflectionRow]
    practices: list[PracticeView]

    @property
    def name(self) -> str | None:
        """The teacher's name as they gave it."""
        return self.person.display_name


async def teacher_page(
    session: AsyncSession, *, scope: Scope, circle_id: int, person_id: int
) -> TeacherPage:
    """One teacher's page, for a reader whose scope covers the circle and reads details."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_details
    )
    person, joined_at = await teacher_of(session, circle=circle, person_id=person_id)
    inquiries = list(
        await session.scalars(
            select(Inquiry)
            .where(Inquiry.person_id == person_id, Inquiry.circle_id == circle.id)
            .order_by(Inquiry.id.desc())
            .limit(INQUIRIES)
        )
    )
    views = []
    for index, inquiry in enumerate(inquiries):
        newer = inquiries[index - 1].started_at if index else None
        oldest = index == len(inquiries) - 1 and len(inquiries) < INQUIRIES
        views.append(
            await _inquiry(
                session, inquiry, since=None if oldest else inquiry.started_at, until=newer
            )
        )
    notes = await reflections.list_reflections(
        session, scope=scope, circle=circle, cursor=None, limit=REFLECTIONS, person_id=person_id
    )
    return TeacherPage(
        circle=circle,
        person=person,
        joined_at=joined_at,
        inquiries=views,
        reflections=notes.items,
        practices=await _practices(session, circle_id=circle.id, person_id=person_id),
    )


async def teacher_of(
    session: AsyncSession, *, circle: Circle, person_id: int
) -> tuple[Person, datetime]:
    """A teacher of ``circle`` (not erased) and when they joined; else :class:`NotFound`.

    A facilitator with an inquiry in the circle (a teacher who accepted to co-facilitate)
    is still read as its teacher: their journey stays visible as before.
    """
    _has_inquiry = (
        select(Inquiry.id)
        .where(Inquiry.person_id == Person.id, Inquiry.circle_id == circle.id)
        .exists()
    )
    row = (
        await session.execute(
            select(Person, Membership.joined_at)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Person.id == person_id,
                Person.forgotten_at.is_(None),
                Membership.circle_id == circle.id,
                or_(
                    Membership.role == Role.teacher,
                    # A teacher who became a co-facilitator keeps their page.
                    (Membership.role == Role.facilitator) & _has_inquiry,
                ),
            )
            .limit(1)
        )
    ).first()
    if row is None:
        raise NotFound(TEACHER_NOT_FOUND)
    return row[0], row[1]


async def _inquiry(
    session: AsyncSession, inquiry: Inquiry, *, since: datetime | None, until: datetime | None
) -> InquiryView:
    """The inquiry's identify answers (given from ``since`` until the next inquiry began;
    the oldest inquiry takes those before it too) and its pilot weeks."""
    in_identify = select(Answer).where(
        Answer.person_id == inquiry.person_id,
        Answer.flow_id == "identify",
        Answer.question_key.in_(_IDENTIFY),
    )
    if since is not None:
        in_identify = in_identify.where(Answer.created_at >= since)
    if until is not None:
        in_identify = in_identify.where(Answer.created_at < until)
    identified = await session.scalars(in_identify.order_by(Answer.id))
    checkins = list(
        await session.scalars(
            select(CheckIn)
            .where(CheckIn.inquiry_id == inquiry.id, CheckIn.phase == Phase.pilot)
            .order_by(CheckIn.scheduled_for.desc(), CheckIn.id.desc())
            .limit(WEEKS)
        )
    )
    answers = await session.scalars(
        select(Answer).where(Answer.checkin_id.in_([c.id for c in checkins])).order_by(Answer.id)
    )
    by_checkin: dict[int, list[Answer]] = defaultdict(list)
    for answer in answers:
        assert answer.checkin_id is not None
        by_checkin[answer.checkin_id].append(answer)
    weeks = [PilotWeek(checkin, by_checkin[checkin.id or 0]) for checkin in reversed(checkins)]
    return InquiryView(inquiry, {a.question_key: a for a in identified}, weeks)


async def _practices(
    session: AsyncSession, *, circle_id: int, person_id: int
) -> list[PracticeView]:
    practices = list(
        await session.scalars(
            select(Practice)
            .where(Practice.circle_id == circle_id, Practice.author_id == person_id)
            .order_by(Practice.id.desc())
            .limit(PRACTICES)
        )
    )
    steps = await session.execute(
        select(AuditLog.target_id, AuditLog.action, AuditLog.at)
        .where(
            AuditLog.target_type == "practice",
            AuditLog.target_id.in_([p.id for p in practices]),
            AuditLog.action.in_(HISTORY_ACTIONS),
        )
        .order_by(AuditLog.at, AuditLog.id)
    )
    history: dict[int, list[ReviewStep]] = defaultdict(list)
    for practice_id, action, at in steps.all():
        history[practice_id].append(ReviewStep(action, at))
    return [PracticeView(p, history[p.id or 0]) for p in practices]


async def photo_of_teacher(
    session: AsyncSession, *, scope: Scope, circle_id: int, person_id: int, file_id: str
) -> str:
    """``file_id`` if it is a kept photo of this teacher's answers, baseline or practices
    that the reader may see; otherwise :class:`NotFound`."""
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_details
    )
    await teacher_of(session, circle=circle, person_id=person_id)
    if not media.is_stored(file_id) or not media.content_type_of(file_id).startswith("image/"):
        raise NotFound(PHOTO_NOT_FOUND)
    answer = await session.scalar(
        select(Answer.id)
        .where(
            Answer.person_id == person_id,
            Answer.file_id == file_id,
            Answer.kind == AnswerKind.photo,
        )
        .limit(1)
    )
    if answer is not None:
        return file_id
    baseline = await session.scalar(
        select(Inquiry.id)
        .where(
            Inquiry.person_id == person_id,
            Inquiry.circle_id == circle.id,
            Inquiry.baseline_file_id == file_id,
        )
        .limit(1)
    )
    if baseline is not None:
        return file_id
    for practice in await _practices(session, circle_id=circle.id, person_id=person_id):
        if file_id in ((practice.practice.content or {}).get("evidence_photos") or []):
            return file_id
    raise NotFound(PHOTO_NOT_FOUND)


PHOTO_NOT_FOUND = N_("There is no such photo that you can see.")
