"""The meeting pack: one page of the circle since its last meeting, for its facilitators.

It is what a half-termly progress meeting discusses — evidence from students' work and
decisions about next teaching — gathered from what teachers said in their check-ins:

* **the period**: from the start of the circle's previous meeting (scheduled, not
  cancelled) to the start of this one, at most :data:`LONGEST` back (also when there was
  no meeting before);
* **who tried what**: each teacher of the circle, their practice, how many of the
  period's check-ins they tried it in ("yes" or "partly") out of those they were asked
  (a skipped week is not asked), their ratings in order, and what they last did;
* **the ratings trend**: the circle's mean "how well did it work" per week of the period;
* **evidence**: the :data:`EVIDENCE` newest answers to "what evidence of students'
  learning did you see", photos and documents first;
* **open help requests** and **blockers**: the period's answers to "anything the circle
  could help with" and "what got in the way" that no facilitator marked handled on the
  circle page yet, newest first, :data:`MOST` of each;
* **reflections** written in the period that the reader may read (the same visibility
  rule as the summaries, :attr:`Scope.reflection_visibilities`);
* **practices awaiting review** in the circle.

The pack names teachers, so it needs ``read_details`` (facilitators of the circle,
coordinators and admins in scope). A fixed number of queries, whatever the period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.models import (
    Answer,
    AnswerKind,
    CheckIn,
    CheckInStatus,
    Circle,
    Inquiry,
    Meeting,
    MeetingStatus,
    Membership,
    Person,
    Practice,
    PracticeStatus,
    Reflection,
    Role,
)
from circles.questions import Question
from circles.services.access import Permission, Scope
from circles.services.summaries import Blocker, ReflectionNote
from circles.services.weeks import Week, week_of

#: The furthest back a pack looks.
LONGEST = timedelta(weeks=13)
#: Without a meeting before, the pack covers this long.
DEFAULT_PERIOD = timedelta(weeks=4)
#: Pieces of evidence of student work in a pack.
EVIDENCE = 3
#: At most this many help requests, blockers, reflections and practices each.
MOST = 10
TRIED = ("yes", "partly")


@dataclass(frozen=True)
class TeacherLine:
    """One teacher in the period: their practice, tried weeks, ratings, latest doing."""

    person_id: int
    name: str | None
    practice: str | None
    tried: int
    asked: int
    ratings: list[float]
    last_did: str | None


@dataclass(frozen=True)
class Evidence:
    """A piece of evidence of student work: what the teacher wrote or the caption."""

    person_id: int
    name: str | None
    kind: AnswerKind
    text: str | None
    file_id: str | None
    at: datetime


@dataclass(frozen=True)
class Awaiting:
    """A practice waiting for the facilitators' review."""

    practice_id: int
    title: str | None
    author: str | None
    since: datetime


@dataclass(frozen=True)
class MeetingPack:
    """The circle since its last meeting (see the module docstring)."""

    circle: Circle
    meeting: Meeting
    previous: Meeting | None
    since: datetime
    until: datetime
    teachers: list[TeacherLine]
    ratings: list[tuple[Week, float | None]]
    evidence: list[Evidence]
    help: list[Blocker]
    blockers: list[Blocker]
    reflections: list[ReflectionNote]
    awaiting: list[Awaiting]

    @property
    def tried_any(self) -> int:
        """How many teachers tried their practice at least once in the period."""
        return sum(1 for line in self.teachers if line.tried)


async def previous_meeting(session: AsyncSession, *, meeting: Meeting) -> Meeting | None:
    """The circle's latest meeting (not cancelled) that started before ``meeting``."""
    return await session.scalar(
        select(Meeting)
        .where(
            Meeting.circle_id == meeting.circle_id,
            Meeting.status == MeetingStatus.scheduled,
            Meeting.starts_at < meeting.starts_at,
            Meeting.id != meeting.id,
        )
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        .limit(1)
    )


def _period(meeting: Meeting, previous: Meeting | None) -> tuple[datetime, datetime]:
    until = meeting.starts_at
    since = previous.starts_at if previous is not None else until - DEFAULT_PERIOD
    return max(since, until - LONGEST), until


async def meeting_pack(
    session: AsyncSession, *, scope: Scope, circle: Circle, meeting: Meeting
) -> MeetingPack:
    """The pack of ``meeting`` of ``circle`` (both already checked to be in scope)."""
    scope.require(Permission.read_details)
    previous = await previous_meeting(session, meeting=meeting)
    since, until = _period(meeting, previous)
    in_period = (
        CheckIn.circle_id == circle.id,
        CheckIn.scheduled_for >= since,
        CheckIn.scheduled_for < until,
    )

    teachers = (
        await session.execute(
            select(Person.id, Person.display_name)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.circle_id == circle.id,
                Membership.role == Role.teacher,
                Person.forgotten_at.is_(None),
            )
            .order_by(Person.display_name, Person.id)
        )
    ).all()
    newest = (
        select(Inquiry.person_id, Inquiry.practice)
        .where(Inquiry.circle_id == circle.id)
        .order_by(Inquiry.person_id, Inquiry.id)
    )
    practices = {person_id: practice for person_id, practice in (await session.execute(newest))}

    asked: dict[int, int] = defaultdict(int)
    for person_id, status in await session.execute(
        select(CheckIn.person_id, CheckIn.status).where(*in_period)
    ):
        asked[person_id] += status is not CheckInStatus.skipped

    answers = (
        await session.execute(
            select(Answer, CheckIn.scheduled_for, Person.display_name)
            .join(CheckIn, CheckIn.id == Answer.checkin_id)
            .join(Person, Person.id == Answer.person_id)
            .where(
                *in_period,
                Answer.question_key.in_(
                    (
                        Question.tried,
                        Question.what_did,
                        Question.how_well,
                        Question.evidence,
                        Question.help,
                        Question.why_not,
                    )
                ),
            )
            .order_by(CheckIn.scheduled_for, Answer.created_at, Answer.id)
        )
    ).all()
    tried: dict[int, int] = defaultdict(int)
    ratings: dict[int, list[float]] = defaultdict(list)
    last_did: dict[int, str | None] = {}
    weekly: dict[Week, list[float]] = defaultdict(list)
    evidence: list[Evidence] = []
    asking: dict[str, list[Blocker]] = {Question.help: [], Question.why_not: []}
    for answer, scheduled, name in answers:
        key = answer.question_key
        if key == Question.tried and answer.value_choice in TRIED:
            tried[answer.person_id] += 1
        elif key == Question.what_did:
            last_did[answer.person_id] = answer.value_text
        elif key == Question.how_well and answer.value_number is not None:
            ratings[answer.person_id].append(float(answer.value_number))
            weekly[week_of(scheduled, circle.timezone)].append(float(answer.value_number))
        elif key == Question.evidence:
            evidence.append(
                Evidence(
                    answer.person_id,
                    name,
                    answer.kind,
                    answer.value_text,
                    answer.file_id,
                    answer.created_at,
                )
            )
        elif key in asking and answer.handled_at is None:
            asking[key].append(
                Blocker(
                    answer.person_id,
                    name,
                    key,
                    answer.kind,
                    answer.value_text,
                    answer.file_duration,
                    answer.created_at,
                )
            )
    shown = {AnswerKind.photo: 0, AnswerKind.document: 0}
    evidence.sort(key=lambda e: (shown.get(e.kind, 1), -e.at.timestamp()))

    weeks: list[tuple[Week, float | None]] = []
    if since < until:
        week, last = week_of(since, circle.timezone), week_of(until, circle.timezone)
        while week <= last:
            values = weekly.get(week)
            weeks.append((week, sum(values) / len(values) if values else None))
            week = week.shift(1)

    reflections: list[ReflectionNote] = []
    if scope.reflection_visibilities:
        reflections = [
            ReflectionNote(
                r.person_id, name, r.learnt, r.will_change, r.one_word, r.visibility, r.created_at
            )
            for r, name in await session.execute(
                select(Reflection, Person.display_name)
                .join(Person, Person.id == Reflection.person_id)
                .where(
                    Reflection.circle_id == circle.id,
                    Reflection.created_at >= since,
                    Reflection.created_at < until,
                    Reflection.visibility.in_(scope.reflection_visibilities),
                )
                .order_by(Reflection.created_at.desc(), Reflection.id.desc())
                .limit(MOST)
            )
        ]
    awaiting = [
        Awaiting(practice.id, practice.title, name, practice.created_at)
        for practice, name in await session.execute(
            select(Practice, Person.display_name)
            .outerjoin(Person, Person.id == Practice.author_id)
            .where(Practice.circle_id == circle.id, Practice.status == PracticeStatus.in_review)
            .order_by(Practice.id)
            .limit(MOST)
        )
    ]

    def newest_first(items: list[Blocker]) -> list[Blocker]:
        return sorted(items, key=lambda b: b.at, reverse=True)[:MOST]

    return MeetingPack(
        circle=circle,
        meeting=meeting,
        previous=previous,
        since=since,
        until=until,
        teachers=[
            TeacherLine(
                person_id,
                name,
                practices.get(person_id),
                tried[person_id],
                asked[person_id],
                ratings[person_id],
                last_did.get(person_id),
            )
            for person_id, name in teachers
        ],
        ratings=weeks,
        evidence=evidence[:EVIDENCE],
        help=newest_first(asking[Question.help]),
        blockers=newest_first(asking[Question.why_not]),
        reflections=reflections,
        awaiting=awaiting,
    )
