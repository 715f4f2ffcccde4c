"""What the facilitator dashboard shows beyond one week's summary: weeks side by side.

* **response rate per week**: answered ÷ (answered + missed + open) among the check-ins
  scheduled in each of the last :data:`WEEKS` weeks of the circle (teachers with no
  check-in at all are counted only for the current week, by the summary); skipped
  weeks count neither way, as in :mod:`circles.services.summaries`.
* **ratings per teacher**: each teacher's mean "how well did it work" (1–5) per week.

Two queries per circle, whatever its size; weeks are bucketed in Python because a
circle has at most a few hundred check-ins in the window.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.models import Answer, CheckIn, CheckInStatus, Circle, Person
from circles.questions import Question
from circles.services.access import Permission, Scope
from circles.services.summaries import default_week
from circles.services.weeks import Week, week_of

WEEKS = 8


@dataclass(frozen=True)
class WeekRate:
    """One week's check-ins: answered, expected and the rate (None when nobody was expected)."""

    week: Week
    answered: int
    expected: int

    @property
    def rate(self) -> float | None:
        """Answered ÷ expected."""
        return self.answered / self.expected if self.expected else None


@dataclass(frozen=True)
class TeacherTrend:
    """A teacher's weekly mean ratings, oldest week first (None: no rating that week)."""

    person_id: int
    name: str | None
    means: list[float | None]


def window(circle: Circle, now: datetime, weeks: int = WEEKS) -> list[Week]:
    """The circle's last ``weeks`` weeks, ending with the summary's default week."""
    last = default_week(circle, now)
    return [last.shift(i - weeks + 1) for i in range(weeks)]


def _checkins_in(circle: Circle, weeks: list[Week]) -> tuple[ColumnElement[bool], ...]:
    """The circle's check-ins scheduled within ``weeks`` (in the circle's timezone)."""
    start, end = weeks[0].start(circle.timezone), weeks[-1].shift(1).start(circle.timezone)
    return (
        CheckIn.circle_id == circle.id,
        CheckIn.scheduled_for >= start,
        CheckIn.scheduled_for < end,
    )


async def weekly_response(
    session: AsyncSession, *, scope: Scope, circle: Circle, weeks: list[Week]
) -> list[WeekRate]:
    """Response rate per week for a circle the caller already checked is in scope."""
    scope.require(Permission.read_summaries)
    rows = await session.execute(
        select(CheckIn.scheduled_for, CheckIn.status).where(*_checkins_in(circle, weeks))
    )
    answered: dict[Week, int] = defaultdict(int)
    expected: dict[Week, int] = defaultdict(int)
    for scheduled, status in rows.all():
        week = week_of(scheduled, circle.timezone)
        if status is CheckInStatus.skipped:
            continue
        expected[week] += 1
        answered[week] += status is CheckInStatus.answered
    return [WeekRate(week, answered[week], expected[week]) for week in weeks]


async def teacher_trends(
    session: AsyncSession, *, scope: Scope, circle: Circle, weeks: list[Week]
) -> list[TeacherTrend]:
    """Each teacher's weekly mean rating (names, so only for scopes that read details)."""
    scope.require(Permission.read_details)
    rows = await session.execute(
        select(Person.id, Person.display_name, CheckIn.scheduled_for, Answer.value_number)
        .select_from(Answer)
        .join(CheckIn, CheckIn.id == Answer.checkin_id)
        .join(Person, Person.id == Answer.person_id)
        .where(
            *_checkins_in(circle, weeks),
            Answer.question_key == Question.how_well,
            Answer.value_number.is_not(None),
        )
    )
    sums: dict[int, dict[Week, list[float]]] = defaultdict(lambda: defaultdict(list))
    names: dict[int, str | None] = {}
    for person_id, name, scheduled, value in rows.all():
        names[person_id] = name
        sums[person_id][week_of(scheduled, circle.timezone)].append(float(value))
    trends = [
        TeacherTrend(
            person_id,
            names[person_id],
            [sum(v) / len(v) if (v := by_week.get(week)) else None for week in weeks],
        )
        for person_id, by_week in sums.items()
    ]
    return sorted(trends, key=lambda t: ((t.name or "").casefold(), t.person_id))
