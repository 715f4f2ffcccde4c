"""A teacher's inquiry: identify → pilot (weekly check-ins) → codify, and reflections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from circles.db import among
from circles.models import (
    Answer,
    AnswerKind,
    CheckIn,
    CheckInStatus,
    Circle,
    GradeBand,
    Inquiry,
    Membership,
    Person,
    Phase,
    Practice,
    PracticeStatus,
    Reflection,
    Role,
    ShareScope,
    Strategy,
    Visibility,
)
from circles.questions import Question
from circles.services import inquiries, practices
from circles.services.repository import keep_published_version
from circles.services.schedule import CHECKIN_WINDOW, latest_occurrence

#: Pilot iterations after which codifying the practice is offered.
CODIFY_AFTER = 3
#: The codify answers kept as the practice's texts (``Practice.content``, same names).
CONTENT_QUESTIONS = (
    Question.steps,
    Question.evidence,
    Question.conditions,
    Question.lessons,
    Question.materials,
)
#: What codify (v3) recalls of each pilot week.
_WEEK_QUESTIONS = (
    Question.what_did,
    Question.evidence,
    Question.adjust,
    Question.why_not,
)


@dataclass
class PilotWeek:
    """What a teacher said in one pilot check-in, codify's prefill (file ids of photos)."""

    answers: dict[str, Answer]

    def text(self, key: Question) -> str | None:
        """The typed text (or a photo's caption) of ``key``, if any."""
        answer = self.answers.get(key)
        return answer.value_text if answer is not None else None


@dataclass(frozen=True)
class TeacherPlace:
    """A teacher's membership and its circle."""

    membership: Membership
    circle: Circle


async def teacher_place(session: AsyncSession, *, person_id: int) -> TeacherPlace | None:
    """The circle where the person is a teacher (the oldest, if several)."""
    row = (
        await session.execute(
            select(Membership, Circle)
            .join(Circle, Circle.id == Membership.circle_id)
            .where(Membership.person_id == person_id, Membership.role == Role.teacher)
            .order_by(Membership.joined_at, Membership.id)
            .limit(1)
        )
    ).first()
    return TeacherPlace(row[0], row[1]) if row else None


async def current_inquiry(
    session: AsyncSession, *, person_id: int, circle_id: int
) -> Inquiry | None:
    """The person's newest inquiry in the circle that is not done."""
    return await session.scalar(
        select(Inquiry)
        .where(
            Inquiry.person_id == person_id,
            Inquiry.circle_id == circle_id,
            Inquiry.phase != Phase.done,
        )
        .order_by(Inquiry.id.desc())
        .limit(1)
    )


async def latest_inquiry(session: AsyncSession, *, person_id: int) -> Inquiry | None:
    """The person's newest inquiry, done or not."""
    return await session.scalar(
        select(Inquiry).where(Inquiry.person_id == person_id).order_by(Inquiry.id.desc()).limit(1)
    )


async def start_inquiry(
    session: AsyncSession, *, person: Person, circle: Circle, now: datetime
) -> Inquiry:
    """Begin a new inquiry in the identify phase."""
    inquiry = Inquiry(
        person_id=person.id, circle_id=circle.id, phase=Phase.identify, started_at=now
    )
    session.add(inquiry)
    await session.flush()
    return inquiry


async def this_weeks_checkin(
    session: AsyncSession, *, person: Person, circle: Circle, inquiry: Inquiry, now: datetime
) -> CheckIn | None:
    """The check-in of the current occurrence, created on first use (one per occurrence).

    None when the occurrence's window has already closed and nobody opened it: a teacher
    who joins after the window is not counted as having missed it.
    """
    scheduled = latest_occurrence(circle, person.timezone, now)
    checkin = await session.scalar(
        select(CheckIn).where(
            CheckIn.person_id == person.id,
            CheckIn.circle_id == circle.id,
            CheckIn.scheduled_for == scheduled,
        )
    )
    if checkin is None:
        if now >= scheduled + CHECKIN_WINDOW:
            return None
        checkin = CheckIn(
            person_id=person.id,
            circle_id=circle.id,
            inquiry_id=inquiry.id,
            phase=inquiry.phase,
            scheduled_for=scheduled,
            opened_at=now,
            closes_at=scheduled + CHECKIN_WINDOW,
            status=CheckInStatus.open,
        )
        session.add(checkin)
        await session.flush()
    return checkin


def is_open(checkin: CheckIn, now: datetime) -> bool:
    """Whether answers to ``checkin`` may still be given or changed."""
    return checkin.status in (CheckInStatus.open, CheckInStatus.answered) and (
        checkin.closes_at is None or now < checkin.closes_at
    )


async def mark_answered(session: AsyncSession, *, checkin_id: int | None, now: datetime) -> None:
    """Record that the check-in was answered (and which iteration it was)."""
    if checkin_id is None:
        return
    checkin = await session.get_one(CheckIn, checkin_id)
    if checkin.status is not CheckInStatus.answered:
        checkin.status = CheckInStatus.answered
        checkin.answered_at = now
    if (
        checkin.phase is Phase.pilot
        and checkin.iteration is None
        and checkin.inquiry_id
        and await _was_tried(session, checkin_id=checkin.id)
    ):
        checkin.iteration = await pilot_iterations(session, inquiry_id=checkin.inquiry_id)


async def skip_checkin(
    session: AsyncSession, *, checkin: CheckIn, reason: str | None, now: datetime
) -> None:
    """Skip this week's check-in with an optional reason."""
    checkin.status = CheckInStatus.skipped
    checkin.skip_reason = reason
    checkin.answered_at = now


#: The answers to "did you try it" that make a week a pilot iteration.
TRIED = ("yes", "partly")


def _tried(checkin_id: Any) -> Any:
    """Whether the practice was tried in the check-in ``checkin_id`` (an SQL condition)."""
    tried = aliased(Answer)  # the outer query may read answers too
    return (
        select(tried.id)
        .where(
            tried.checkin_id == checkin_id,
            tried.question_key == Question.tried,
            tried.value_choice.in_(TRIED),
        )
        .exists()
    )


async def _was_tried(session: AsyncSession, *, checkin_id: int) -> bool:
    return bool(await session.scalar(select(_tried(checkin_id))))


async def pilot_iterations(session: AsyncSession, *, inquiry_id: int) -> int:
    """How many answered pilot check-ins of the inquiry tried the practice (yes or partly).

    A week answered "no, I did not try it" is a check-in, not an iteration.
    """
    return (
        await session.scalar(
            select(func.count())
            .select_from(CheckIn)
            .where(
                CheckIn.inquiry_id == inquiry_id,
                CheckIn.phase == Phase.pilot,
                CheckIn.status == CheckInStatus.answered,
                _tried(CheckIn.id),
            )
        )
        or 0
    )


async def ratings(session: AsyncSession, *, inquiry_id: int) -> list[float]:
    """The inquiry's "how well did it work" ratings of the weeks it was tried, oldest first."""
    rows = await session.scalars(
        select(Answer.value_number)
        .join(CheckIn, CheckIn.id == Answer.checkin_id)
        .where(
            CheckIn.inquiry_id == inquiry_id,
            Answer.question_key == Question.how_well,
            Answer.value_number.is_not(None),
            _tried(CheckIn.id),
        )
        .order_by(CheckIn.scheduled_for, Answer.id)
    )
    return [float(r) for r in rows]


def _in_pilot_weeks(query: Select[Any], inquiry_id: int) -> Select[Any]:
    """``query`` over the answers of the inquiry's pilot check-ins, oldest week first."""
    return (
        query.join(CheckIn, CheckIn.id == Answer.checkin_id)
        .where(CheckIn.inquiry_id == inquiry_id, CheckIn.phase == Phase.pilot)
        .order_by(CheckIn.scheduled_for, Answer.id)
    )


async def pilot_weeks(session: AsyncSession, *, inquiry_id: int) -> list[PilotWeek]:
    """The inquiry's pilot check-ins with what the teacher did, saw and will adjust, oldest
    first."""
    rows = await session.execute(
        _in_pilot_weeks(select(CheckIn.id, Answer), inquiry_id).where(
            Answer.question_key.in_(_WEEK_QUESTIONS)
        )
    )
    weeks: dict[int, PilotWeek] = {}
    for checkin_id, answer in rows.all():
        weeks.setdefault(checkin_id, PilotWeek({})).answers[answer.question_key] = answer
    return list(weeks.values())


async def pilot_photos(session: AsyncSession, *, inquiry_id: int) -> list[str]:
    """The file ids of the photos of student work sent as evidence in the pilot weeks."""
    rows = await session.scalars(
        _in_pilot_weeks(select(Answer.file_id), inquiry_id).where(
            Answer.question_key == Question.evidence,
            Answer.kind == AnswerKind.photo,
            Answer.file_id.is_not(None),
        )
    )
    return [file_id for file_id in rows if file_id]


async def identified(session: AsyncSession, *, inquiry: Inquiry, key: Question) -> str | None:
    """What the teacher answered to identify's ``key`` (the challenge) for this inquiry."""
    return await session.scalar(
        select(Answer.value_text)
        .where(
            Answer.person_id == inquiry.person_id,
            Answer.flow_id == "identify",
            Answer.question_key == key,
            Answer.created_at >= inquiry.started_at,
            Answer.value_text.is_not(None),
        )
        .order_by(Answer.id.desc())
        .limit(1)
    )


def _plans(inquiry_id: Any) -> Select[tuple[str | None]]:
    """An inquiry's planned adjustments, its latest pilot week's first (the check-ins'
    ``ix_checkin_inquiry_scheduled`` index gives them newest first, so the first is found
    without reading the weeks before it)."""
    return (
        select(Answer.value_text)
        .join(CheckIn, CheckIn.id == Answer.checkin_id)
        .where(
            CheckIn.inquiry_id == inquiry_id,
            Answer.question_key == Question.adjust,
            Answer.value_text.is_not(None),
        )
        .order_by(CheckIn.scheduled_for.desc(), Answer.id.desc())
        .limit(1)
    )


async def last_adjustment(
    session: AsyncSession, *, inquiry_id: int, before: datetime | None = None
) -> str | None:
    """What the teacher planned to adjust in their latest pilot week (before ``before``)."""
    query = _plans(inquiry_id)
    if before is not None:
        query = query.where(CheckIn.scheduled_for < before)
    return await session.scalar(query)


async def set_practice(
    session: AsyncSession,
    *,
    inquiry: Inquiry,
    strategy: str | None,
    practice: str | None,
    now: datetime,
) -> None:
    """Record the chosen strategy and practice and move on to piloting."""
    inquiry.strategy = Strategy(strategy) if strategy in set(Strategy) else None
    inquiry.practice = practice
    if inquiry.phase is Phase.identify:
        await inquiries.start_piloting(session, inquiry=inquiry, now=now)


async def pilot_recalls(
    session: AsyncSession, *, inquiry_ids: list[int]
) -> dict[int, tuple[str | None, str | None]]:
    """Per inquiry piloting, its practice and latest planned adjustment (when either is
    known; the same as :func:`last_adjustment`'s), for a wave of invitations.

    One query, whatever the length of the school year: each inquiry's plan is its latest
    pilot week's, found through the index (the wave's read once took every check-in of
    every inquiry, and their answers, to keep the newest: a cost that grew with each
    week of the year).
    """
    if not inquiry_ids:
        return {}
    rows = await session.execute(
        select(Inquiry.id, Inquiry.practice, _plans(Inquiry.id).scalar_subquery()).where(
            among(session, Inquiry.id, inquiry_ids)
        )
    )
    recalls = rows.all()
    return {inquiry: (practice, plan) for inquiry, practice, plan in recalls if practice or plan}


#: A codified practice not yet through review: its inquiry is "in review", not done.
WAITING = (PracticeStatus.draft, PracticeStatus.in_review, PracticeStatus.changes_requested)


async def waits_for_review(session: AsyncSession, *, inquiry_id: int) -> bool:
    """Whether the inquiry's practice is codified but not yet published (or archived)."""
    status = await session.scalar(
        select(Practice.status).where(Practice.inquiry_id == inquiry_id).limit(1)
    )
    return status in WAITING


def set_baseline(
    inquiry: Inquiry, *, baseline: str | None, baseline_file_id: str | None, success: str | None
) -> None:
    """Keep where the teacher starts from and what success will look like (identify v2)."""
    inquiry.baseline, inquiry.baseline_file_id = baseline, baseline_file_id
    inquiry.success = success


def fill_practice(
    practice: Practice, *, inquiry: Inquiry, fields: dict[str, Any], ratings: list[float]
) -> Practice:
    """Set the practice's parts from codify's answers (also for its last look, unsaved).

    A strategy answered in codify (v3, prefilled with the inquiry's) is the practice's;
    otherwise the inquiry's.
    """
    practice.title = str(fields.get(Question.name) or "")[:200]
    practice.summary = fields.get(Question.summary)
    chosen = fields.get(Question.strategy)
    practice.strategy = Strategy(chosen) if chosen in set(Strategy) else inquiry.strategy
    others = [s for s in str(fields.get(Question.more_strategies) or "").split(",") if s]
    tags = [practice.strategy.value] if practice.strategy else []
    practice.tags = list(dict.fromkeys(tags + [Strategy(s).value for s in others]))
    practice.subject = fields.get(Question.subject)
    practice.grade = fields.get(Question.grade)
    band = fields.get(Question.grade_band)
    practice.grade_band = GradeBand(band) if band else None
    size = fields.get(Question.class_size)
    practice.class_size = int(size) if size is not None else None
    practice.share_scope = ShareScope(fields.get(Question.share_scope) or ShareScope.circle)
    practice.author_visible = fields.get(Question.show_name) == "yes"
    # JSON columns are replaced whole: SQLAlchemy does not see changes made inside them.
    practice.content = {
        **{key.value: fields.get(key) for key in CONTENT_QUESTIONS},
        "evidence_photos": list(fields.get("evidence_photos") or []),
        "ratings": ratings,
    }
    return practice


async def codify(
    session: AsyncSession,
    *,
    inquiry: Inquiry,
    author: Person,
    circle: Circle,
    fields: dict[str, Any],
    now: datetime,
) -> Practice:
    """Create (or update) the practice draft for review and close the inquiry."""
    practice = await session.scalar(select(Practice).where(Practice.inquiry_id == inquiry.id))
    if practice is None:
        practice = Practice(
            inquiry_id=inquiry.id,
            circle_id=circle.id,
            author_id=author.id,
            country=circle.country,
            language=author.language,
            created_at=now,
            title="",
        )
        session.add(practice)
    else:  # an answer edited after codifying; a published text is kept as a version
        keep_published_version(session, practice=practice, actor=f"person:{author.id}", now=now)
    fill_practice(
        practice,
        inquiry=inquiry,
        fields=fields,
        ratings=await ratings(session, inquiry_id=inquiry.id),
    )
    practice.updated_at = now
    # An archived practice stays archived when its answers are edited later.
    if practice.status is not PracticeStatus.archived:
        await practices.submit_for_review(
            session, practice=practice, actor=f"person:{author.id}", now=now
        )
    if inquiry.phase is not Phase.done:
        await inquiries.finish(session, inquiry=inquiry, now=now)
    await session.flush()
    return practice


async def record_reflection(
    session: AsyncSession,
    *,
    person: Person,
    circle: Circle,
    flow_run_id: int,
    meeting_id: int | None,
    learnt: str | None,
    will_change: str | None,
    one_word: str | None,
    visibility: str,
    now: datetime,
    session_id: int | None = None,
) -> Reflection:
    """Store (or update) the reflection written in one flow run."""
    reflection = await session.scalar(
        select(Reflection).where(Reflection.flow_run_id == flow_run_id)
    )
    if reflection is None:
        reflection = Reflection(
            person_id=person.id,
            circle_id=circle.id,
            meeting_id=meeting_id,
            session_id=session_id,
            flow_run_id=flow_run_id,
            created_at=now,
        )
        session.add(reflection)
    reflection.learnt, reflection.will_change = learnt, will_change
    reflection.one_word = (one_word or "")[:60] or None
    reflection.visibility = Visibility(visibility)
    await session.flush()
    return reflection


async def last_reflection(session: AsyncSession, *, person_id: int) -> Reflection | None:
    """The person's newest reflection."""
    return await session.scalar(
        select(Reflection)
        .where(Reflection.person_id == person_id)
        .order_by(Reflection.created_at.desc(), Reflection.id.desc())
        .limit(1)
    )
