"""How a circle, a country, or everything in scope is doing in one week.

Every number is aggregated in SQL with a fixed number of queries, whatever the size of
the circle or country: a circle summary makes seven (after looking up the circle), a
country or overall summary six. No query runs per member or per circle.

Definitions (the same in the API, the bot and the exports):

* **week**: an ISO week, Monday 00:00 to Monday 00:00 in the circle's timezone
  (:mod:`circles.services.weeks`).
* **check-ins**: the week's check-ins by status (answered, missed, open, skipped),
  plus **not opened**: teachers of the circle who have no check-in in that week at all
  although they had joined before its end and are not paused now. Check-ins of people
  who used /forgetme stay in the counts, anonymous.
* **response rate**: answered ÷ (answered + missed + open + not opened). A skipped
  week was the teacher's choice and said so; it counts neither way. None when no one
  was expected.
* **who has not answered**: the teachers behind "missed", "open" and "not opened".
* **phases**: where each current teacher's newest inquiry is now (identify, pilot,
  codify, in review — codified, its practice not yet published —, done), and "not
  started" for teachers without one.
* **ratings**: answers to "how well did it work" (1–5): the week's mean and count, and
  the mean of each of the last :data:`TREND_WEEKS` weeks; the **trend** is the slope of
  a least-squares line through the weekly means (points per week), **direction**
  "up" from +0.1, "down" from −0.1, else "steady"; None with fewer than two weeks.
* **tried**: how many said yes, partly or no to "did you try your practice".
* **blockers**: the week's answers to "what got in the way" (``why_not``) and "anything
  the circle could help with" (``help``), newest first.
* **reflections**: the newest reflections written up to the week's end that the reader
  may read; **evidence**: the captions of the week's evidence photos and documents.

Union representatives read circle summaries without anyone's name: they see how many
have not answered but not who, and blockers and captions without their authors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from babel.numbers import format_percent
from sqlalchemy import ColumnElement, Row, and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import Forbidden, InvalidAnswer
from circles.i18n import N_, _, current_language, format_number, ngettext
from circles.models import (
    Answer,
    AnswerKind,
    Cadence,
    CheckIn,
    CheckInStatus,
    Circle,
    Holiday,
    Inquiry,
    Membership,
    Person,
    Phase,
    Practice,
    PracticeStatus,
    Reflection,
    Role,
    Visibility,
)
from circles.questions import Question
from circles.services.access import Permission, Scope, visible_circle
from circles.services.circles import is_country
from circles.services.holidays import of_circle
from circles.services.hubs import get_hub, hub_circle_ids
from circles.services.people import Address, preferred_identities
from circles.services.sandbox import real_or_named
from circles.services.schedule import in_holidays, latest_occurrence
from circles.services.scheduling import holidays_by_circle
from circles.services.weeks import (
    Week,
    WeekWindow,
    offsets_by_timezone,
    utc_offset,
    week_bucket,
    week_of,
)

TREND_WEEKS = 8
NEWEST = 5
BLOCKERS = 10
BLOCKER_KEYS = (Question.why_not, Question.help)
#: Slope (rating points per week) from which the ratings count as going up or down.
TREND_THRESHOLD = 0.1
NOT_OPENED = "not_opened"
#: The stage of a done inquiry whose practice waits for review (or for its revision).
IN_REVIEW = "in_review"
_WAITING = (PracticeStatus.draft, PracticeStatus.in_review, PracticeStatus.changes_requested)

PHASE_LABELS: dict[str, str] = {
    Phase.identify.value: N_("identify"),
    Phase.pilot.value: N_("pilot"),
    Phase.codify.value: N_("codify"),
    IN_REVIEW: N_("in review"),
    Phase.done.value: N_("done"),
    "not_started": N_("not started"),
}
STATUS_LABELS: dict[str, str] = {
    CheckInStatus.answered.value: N_("answered"),
    CheckInStatus.missed.value: N_("missed"),
    CheckInStatus.open.value: N_("open"),
    CheckInStatus.skipped.value: N_("skipped"),
    NOT_OPENED: N_("not opened"),
}
TRIED_LABELS: dict[str, str] = {"yes": N_("Yes"), "partly": N_("Partly"), "no": N_("No")}
DIRECTION_LABELS: dict[str, str] = {
    "up": N_("improving"),
    "down": N_("declining"),
    "steady": N_("steady"),
}
BLOCKER_LABELS: dict[str, str] = {
    Question.why_not: N_("What got in the way"),
    Question.help: N_("What the circle could help with"),
}


STRATEGY_LABELS: dict[str, str] = {
    "learning_intentions": N_("Learning intentions and success criteria"),
    "eliciting_evidence": N_("Eliciting evidence of learning"),
    "feedback": N_("Feedback that moves learning forward"),
    "peer_assessment": N_("Peer assessment"),
    "self_assessment": N_("Self-assessment"),
}


def headline(counts: StatusCounts) -> str:
    """ "7 of 10 teachers answered this week (70%).", in the current language."""
    if counts.response_rate is None:
        return _("Nobody was expected to check in this week.")
    return ngettext(
        "{answered} of {expected} teacher answered this week ({rate}).",
        "{answered} of {expected} teachers answered this week ({rate}).",
        counts.expected,
    ).format(
        answered=format_number(counts.answered),
        expected=format_number(counts.expected),
        rate=format_percent(counts.response_rate, locale=current_language()),
    )


# --- shapes -------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusCounts:
    """The week's check-ins by status, and teachers with none (see the module docstring)."""

    answered: int = 0
    missed: int = 0
    open: int = 0
    skipped: int = 0
    not_opened: int = 0

    @property
    def expected(self) -> int:
        """Everyone who was expected to answer (skipped weeks are not expected)."""
        return self.answered + self.missed + self.open + self.not_opened

    @property
    def response_rate(self) -> float | None:
        """Answered ÷ expected, or None when no one was expected."""
        return self.answered / self.expected if self.expected else None

    @property
    def not_answered(self) -> int:
        """Missed, still open, or not opened."""
        return self.missed + self.open + self.not_opened

    def __add__(self, other: StatusCounts) -> StatusCounts:
        return StatusCounts(
            self.answered + other.answered,
            self.missed + other.missed,
            self.open + other.open,
            self.skipped + other.skipped,
            self.not_opened + other.not_opened,
        )

    def as_dict(self) -> dict[str, int]:
        """Counts by status name, ``not_opened`` included."""
        return {
            "answered": self.answered,
            "missed": self.missed,
            "open": self.open,
            "skipped": self.skipped,
            NOT_OPENED: self.not_opened,
        }


def _counts(by_status: dict[str, int], not_opened: int = 0) -> StatusCounts:
    return StatusCounts(
        answered=by_status.get(CheckInStatus.answered.value, 0),
        missed=by_status.get(CheckInStatus.missed.value, 0),
        open=by_status.get(CheckInStatus.open.value, 0),
        skipped=by_status.get(CheckInStatus.skipped.value, 0),
        not_opened=not_opened,
    )


@dataclass(frozen=True)
class WeekRating:
    """One week's "how well" ratings."""

    week: Week
    mean: float | None
    count: int


@dataclass(frozen=True)
class Ratings:
    """This week's mean rating and the trend over the weeks before it."""

    mean: float | None
    count: int
    weeks: list[WeekRating]
    slope: float | None
    direction: str | None


@dataclass(frozen=True)
class Pending:
    """A teacher who has not answered this week's check-in (yet)."""

    person_id: int
    name: str | None
    status: str  # missed, open or not_opened
    paused: bool


@dataclass(frozen=True)
class Blocker:
    """What got in the way, or what the circle could help with."""

    person_id: int | None
    name: str | None
    question: str
    kind: AnswerKind
    text: str | None
    duration: int | None
    at: datetime


@dataclass(frozen=True)
class ReflectionNote:
    """A reflection the reader may read."""

    person_id: int
    name: str | None
    learnt: str | None
    will_change: str | None
    one_word: str | None
    visibility: Visibility
    at: datetime


@dataclass(frozen=True)
class EvidenceCaption:
    """The caption of an evidence photo or document."""

    person_id: int | None
    name: str | None
    kind: AnswerKind
    caption: str
    at: datetime


@dataclass(frozen=True)
class CircleSummary:
    """One circle in one week."""

    circle: Circle
    week: Week
    starts_at: datetime
    ends_at: datetime
    teachers: int
    checkins: StatusCounts
    not_answered: list[Pending]
    names_shown: bool
    phases: dict[str, int]
    tried: dict[str, int]
    ratings: Ratings
    blockers: list[Blocker]
    reflections: list[ReflectionNote]
    evidence: list[EvidenceCaption]


@dataclass(frozen=True)
class AreaLine:
    """One circle of a country summary, or one country of the overall summary."""

    key: str  # the circle id, or the country code
    name: str
    country: str
    circles: int
    teachers: int
    checkins: StatusCounts
    rating_mean: float | None
    rating_count: int


@dataclass(frozen=True)
class AreaSummary:
    """A country, or every circle in scope, in one week."""

    country: str | None
    week: Week
    circles: int
    teachers: int
    checkins: StatusCounts
    phases: dict[str, int]
    tried: dict[str, int]
    ratings: Ratings
    blockers: int
    lines: list[AreaLine] = field(default_factory=list)


# --- shared pieces ------------------------------------------------------------------


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _ratings(window: WeekWindow, sums: dict[int, tuple[float, int]]) -> Ratings:
    """Weekly means from (sum, count) per bucket, with the least-squares trend."""
    weeks = []
    for bucket, week in enumerate(window.weeks, start=1):
        total, count = sums.get(bucket, (0.0, 0))
        weeks.append(WeekRating(week, total / count if count else None, count))
    points = [(i, w.mean) for i, w in enumerate(weeks) if w.mean is not None]
    slope = direction = None
    if len(points) >= 2:
        mean_x = sum(x for x, _ in points) / len(points)
        mean_y = sum(y for _, y in points) / len(points)
        spread = sum((x - mean_x) ** 2 for x, _ in points)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
        direction = (
            "up" if slope >= TREND_THRESHOLD else "down" if slope <= -TREND_THRESHOLD else "steady"
        )
    last = weeks[-1]
    return Ratings(last.mean, last.count, weeks, slope, direction)


def checkin_opened(
    circle: Circle, week: Week, now: datetime, holidays: Sequence[Holiday] = ()
) -> bool:
    """Whether the circle's check-in of ``week`` has opened by ``now``.

    False for a week still ahead, a week whose check-in day is still to come, the off
    weeks of a fortnightly circle, and a check-in day in ``holidays``: nobody can have
    missed those.
    """
    start, end = week.bounds(circle.timezone)
    last = latest_occurrence(circle, circle.timezone, min(now, end - timedelta(microseconds=1)))
    return start <= last <= now and not in_holidays(holidays, last, circle.timezone)


def default_week(circle: Circle, now: datetime) -> Week:
    """The week of the circle's most recent check-in opening (last week until it opens)."""
    return week_of(latest_occurrence(circle, circle.timezone, now), circle.timezone)


def _phases(rows: list[tuple[str, int]], teachers: int) -> dict[str, int]:
    """Teachers per stage (a phase, or "in_review"), "not_started" for the rest."""
    phases = dict.fromkeys((key for key in PHASE_LABELS if key != "not_started"), 0)
    for stage, count in rows:
        phases[stage] += count
    phases["not_started"] = max(0, teachers - sum(phases.values()))
    return phases


def _stage(phase: Phase, waiting: bool) -> str:
    return IN_REVIEW if phase is Phase.done and waiting else phase.value


def _waiting(inquiry_id: Any) -> ColumnElement[bool]:
    """Whether the inquiry's practice waits for review (an SQL condition)."""
    return exists().where(Practice.inquiry_id == inquiry_id, Practice.status.in_(_WAITING))


def _tried(rows: list[tuple[str | None, int]]) -> dict[str, int]:
    tried = dict.fromkeys(TRIED_LABELS, 0)
    for choice, count in rows:
        if choice in tried:
            tried[choice] = count
    return tried


_STATUS_ORDER = {
    CheckInStatus.answered: 0,
    CheckInStatus.skipped: 1,
    CheckInStatus.open: 2,
    CheckInStatus.missed: 3,
}


# --- who is where this week (the circle summary, /who, /nudge, the digest) ---------------

_NOT_ANSWERED = frozenset({CheckInStatus.open.value, CheckInStatus.missed.value, NOT_OPENED})


@dataclass(frozen=True)
class RosterLine:
    """A teacher of the circle and their check-in of the week.

    ``status`` is that of their check-in (answered, skipped, open, missed), or
    ``not_opened`` when they have none although they were expected, or None when they
    were not expected (joined later, paused, or the week's check-in is still to come).
    """

    person_id: int
    name: str | None
    language: str
    timezone: str
    send_to: Address | None  # their preferred identity; None: they cannot be reached
    reachable: bool
    paused: bool
    phase: Phase | None
    status: str | None
    checkin_id: int | None
    in_review: bool = False  # the inquiry is done but its practice waits for review

    @property
    def stage(self) -> str:
        """The phase shown to facilitators: "in_review" for a practice that waits."""
        return "not_started" if self.phase is None else _stage(self.phase, self.in_review)


async def week_roster(
    session: AsyncSession, *, circle: Circle, now: datetime, week: Week | None = None
) -> list[RosterLine]:
    """The circle's teachers (those who used /forgetme are gone) and their week, one query."""
    return await _roster(session, circle=circle, week=week or default_week(circle, now), now=now)


async def _roster(
    session: AsyncSession, *, circle: Circle, week: Week, now: datetime
) -> list[RosterLine]:
    start, end = week.bounds(circle.timezone)
    newest = (
        select(Inquiry.id)
        .where(Inquiry.person_id == Person.id, Inquiry.circle_id == circle.id)
        .order_by(Inquiry.id.desc())
        .limit(1)
        .correlate(Person)
        .scalar_subquery()
    )
    phase = select(Inquiry.phase).where(Inquiry.id == newest).scalar_subquery()
    waiting = select(_waiting(newest)).scalar_subquery()
    preferred = preferred_identities()
    rows = await session.execute(
        select(
            Person,
            Membership.joined_at,
            phase,
            waiting,
            CheckIn.id,
            CheckIn.status,
            preferred.c.channel,
            preferred.c.address,
        )
        .join(Membership, Membership.person_id == Person.id)
        .outerjoin(preferred, preferred.c.person_id == Person.id)
        .outerjoin(
            CheckIn,
            and_(
                CheckIn.person_id == Person.id,
                CheckIn.circle_id == circle.id,
                CheckIn.scheduled_for >= start,
                CheckIn.scheduled_for < end,
            ),
        )
        .where(
            Membership.circle_id == circle.id,
            Membership.role == Role.teacher,
            Person.forgotten_at.is_(None),
        )
        .order_by(Membership.id, CheckIn.id)
    )
    holidays = await of_circle(session, circle=circle)
    opened = checkin_opened(circle, week, now, holidays)
    found: dict[int, RosterLine] = {}
    for row in rows.all():
        person, joined_at, current_phase, in_review, checkin_id, status, channel, address = row
        kept = found.get(person.id)
        if kept is not None and (
            status is None or _STATUS_ORDER[CheckInStatus(kept.status)] <= _STATUS_ORDER[status]
        ):
            continue  # keep the better of two check-ins in one week (a timezone change)
        paused = person.paused_until is not None and person.paused_until > now
        if status is not None:
            effective: str | None = status.value
        elif paused or joined_at >= end or not opened:
            effective = None
        else:
            effective = NOT_OPENED
        found[person.id] = RosterLine(
            person_id=person.id,
            name=person.display_name,
            language=person.language,
            timezone=person.timezone,
            send_to=Address(channel, address) if address is not None else None,
            reachable=address is not None,
            paused=paused,
            phase=current_phase,
            status=effective,
            checkin_id=checkin_id,
            in_review=bool(in_review),
        )
    return list(found.values())


async def missed_in_a_row(
    session: AsyncSession, *, circle: Circle, now: datetime, count: int = 2
) -> list[int]:
    """Teachers whose last ``count`` check-ins that are over were all missed (by person id)."""
    ranked = (
        select(
            CheckIn.person_id,
            CheckIn.status,
            func.row_number()
            .over(partition_by=CheckIn.person_id, order_by=CheckIn.scheduled_for.desc())
            .label("recent"),
        )
        .where(
            CheckIn.circle_id == circle.id,
            CheckIn.status != CheckInStatus.open,
            CheckIn.scheduled_for <= now,
        )
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.person_id)
        .join(Membership, Membership.person_id == ranked.c.person_id)
        .where(
            Membership.circle_id == circle.id,
            Membership.role == Role.teacher,
            ranked.c.recent <= count,
        )
        .group_by(ranked.c.person_id)
        .having(
            func.count() == count,
            func.sum(case((ranked.c.status == CheckInStatus.missed, 1), else_=0)) == count,
        )
        .order_by(ranked.c.person_id)
    )
    return [person_id for (person_id,) in rows.all()]


# --- one circle ---------------------------------------------------------------------


async def circle_summary(
    session: AsyncSession,
    *,
    scope: Scope,
    circle_id: int,
    now: datetime,
    week: Week | None = None,
) -> CircleSummary:
    """Summarise one circle's week (default: the week of its latest check-in)."""
    scope.require(Permission.read_summaries)
    circle = await visible_circle(session, scope=scope, circle_id=circle_id)
    return await summarise_circle(session, scope=scope, circle=circle, now=now, week=week)


async def summarise_circle(
    session: AsyncSession,
    *,
    scope: Scope,
    circle: Circle,
    now: datetime,
    week: Week | None = None,
) -> CircleSummary:
    """:func:`circle_summary` for a circle already looked up and checked."""
    week = week or default_week(circle, now)
    start, end = week.bounds(circle.timezone)
    in_week = and_(
        CheckIn.circle_id == circle.id, CheckIn.scheduled_for >= start, CheckIn.scheduled_for < end
    )

    statuses = await session.execute(
        select(CheckIn.status, func.count()).where(in_week).group_by(CheckIn.status)
    )
    by_status = {status.value: count for status, count in statuses.all()}

    lines = await _roster(session, circle=circle, week=week, now=now)
    pending = [
        Pending(line.person_id, line.name, line.status, line.paused)
        for line in lines
        if line.status in _NOT_ANSWERED
    ]
    not_opened = sum(1 for line in lines if line.status == NOT_OPENED)
    teachers = len(lines)
    phase_counts = Counter(line.stage for line in lines if line.phase is not None)

    window = WeekWindow(week, TREND_WEEKS)
    bucket = week_bucket(
        CheckIn.scheduled_for,
        window=window,
        dialect=_dialect(session),
        offset=utc_offset(circle.timezone, week),
    ).label("bucket")
    rating_rows = await session.execute(
        select(bucket, func.sum(Answer.value_number), func.count(Answer.id))
        .select_from(Answer)
        .join(CheckIn, CheckIn.id == Answer.checkin_id)
        .where(
            CheckIn.circle_id == circle.id,
            CheckIn.scheduled_for >= window.first.start(circle.timezone),
            CheckIn.scheduled_for < end,
            Answer.question_key == Question.how_well,
            Answer.value_number.is_not(None),
        )
        .group_by(bucket)
    )
    sums = {int(b): (float(total or 0), int(count)) for b, total, count in rating_rows.all()}

    answers_in_week = (
        select().select_from(Answer).join(CheckIn, CheckIn.id == Answer.checkin_id).where(in_week)
    )
    tried_rows = await session.execute(
        answers_in_week.add_columns(Answer.value_choice, func.count())
        .where(Answer.question_key == Question.tried)
        .group_by(Answer.value_choice)
    )

    names = scope.may(Permission.read_details)
    blocker_rows = await session.execute(
        answers_in_week.add_columns(Answer, Person.display_name)
        .join(Person, Person.id == Answer.person_id)
        .where(Answer.question_key.in_(BLOCKER_KEYS))
        .order_by(Answer.created_at.desc(), Answer.id.desc())
        .limit(BLOCKERS)
    )
    blockers = [
        Blocker(
            person_id=a.person_id if names else None,
            name=name if names else None,
            question=a.question_key,
            kind=a.kind,
            text=a.value_text,
            duration=a.file_duration,
            at=a.created_at,
        )
        for a, name in blocker_rows.all()
    ]

    reflections: list[ReflectionNote] = []
    if scope.reflection_visibilities:
        reflection_rows = await session.execute(
            select(Reflection, Person.display_name)
            .join(Person, Person.id == Reflection.person_id)
            .where(
                Reflection.circle_id == circle.id,
                Reflection.created_at < end,
                Reflection.visibility.in_(scope.reflection_visibilities),
            )
            .order_by(Reflection.created_at.desc(), Reflection.id.desc())
            .limit(NEWEST)
        )
        reflections = [
            ReflectionNote(
                r.person_id, name, r.learnt, r.will_change, r.one_word, r.visibility, r.created_at
            )
            for r, name in reflection_rows.all()
        ]

    evidence_rows = await session.execute(
        answers_in_week.add_columns(Answer, Person.display_name)
        .join(Person, Person.id == Answer.person_id)
        .where(
            Answer.question_key == Question.evidence,
            Answer.kind.in_([AnswerKind.photo, AnswerKind.document]),
            Answer.value_text.is_not(None),
        )
        .order_by(Answer.created_at.desc(), Answer.id.desc())
        .limit(NEWEST)
    )
    evidence = [
        EvidenceCaption(
            a.person_id if names else None,
            name if names else None,
            a.kind,
            a.value_text or "",
            a.created_at,
        )
        for a, name in evidence_rows.all()
    ]

    return CircleSummary(
        circle=circle,
        week=week,
        starts_at=start,
        ends_at=end,
        teachers=teachers,
        checkins=_counts(by_status, not_opened),
        not_answered=pending if names else [],
        names_shown=names,
        phases=_phases(list(phase_counts.items()), teachers),
        tried=_tried(list(tried_rows.all())),
        ratings=_ratings(window, sums),
        blockers=blockers,
        reflections=reflections,
        evidence=evidence,
    )


# --- a country, or everything in scope ------------------------------------------------


async def country_summary(
    session: AsyncSession, *, scope: Scope, country: str, now: datetime, week: Week | None = None
) -> AreaSummary:
    """Summarise a country's circles in one week, circle by circle (coordinators, admins)."""
    scope.require(Permission.read_across)
    country = country.upper()
    if not is_country(country):
        raise InvalidAnswer(N_("{country} is not a two-letter country code."), country=country)
    if not scope.covers_country(country):
        raise Forbidden(N_("Your token does not cover circles in {country}."), country=country)
    return await _area(session, scope=scope, country=country, now=now, week=week)


async def hub_summary(
    session: AsyncSession, *, scope: Scope, hub_id: int, now: datetime, week: Week | None = None
) -> AreaSummary:
    """Summarise a hub's circles (those in the scope) in one week, circle by circle."""
    scope.require(Permission.read_across)
    await get_hub(session, scope=scope, hub_id=hub_id)
    return await _area(session, scope=scope, country=None, now=now, week=week, hub_id=hub_id)


async def overall_summary(
    session: AsyncSession, *, scope: Scope, now: datetime, week: Week | None = None
) -> AreaSummary:
    """Summarise every circle in scope in one week, country by country."""
    scope.require(Permission.read_across)
    return await _area(session, scope=scope, country=None, now=now, week=week)


async def _circles_in(session: AsyncSession, in_area: ColumnElement[bool]) -> Sequence[Row]:
    """What the area summaries read of each circle in ``in_area``, by id."""
    return (
        await session.execute(
            select(
                Circle.id,
                Circle.name,
                Circle.country,
                Circle.timezone,
                Circle.cadence,
                Circle.checkin_weekday,
                Circle.checkin_time,
                Circle.created_at,
            )
            .where(in_area)
            .order_by(Circle.id)
        )
    ).all()


async def _area(
    session: AsyncSession,
    *,
    scope: Scope,
    country: str | None,
    now: datetime,
    week: Week | None,
    hub_id: int | None = None,
) -> AreaSummary:
    week = week or week_of(now, "UTC")
    dialect = _dialect(session)
    in_area: ColumnElement[bool] = and_(scope.circle_clause(), real_or_named(scope.circle_ids))
    if country is not None:
        in_area = and_(in_area, Circle.country == country)
    if hub_id is not None:
        in_area = and_(in_area, Circle.id.in_(hub_circle_ids(hub_id)))
    per_circle = country is not None or hub_id is not None
    group = Circle.id if per_circle else Circle.country

    circles = await _circles_in(session, in_area)
    offsets = offsets_by_timezone(sorted({c.timezone for c in circles}), week)
    window = WeekWindow(week, TREND_WEEKS)
    this_week = WeekWindow(week, 1)

    def bucket_of(column: ColumnElement, of: WeekWindow) -> ColumnElement:
        return week_bucket(
            column, window=of, dialect=dialect, timezone_column=Circle.timezone, offsets=offsets
        )

    def in_range(of: WeekWindow) -> ColumnElement[bool]:
        low, high = of.utc_range()
        return and_(CheckIn.scheduled_for >= low, CheckIn.scheduled_for < high)

    in_this_week = and_(in_range(this_week), bucket_of(CheckIn.scheduled_for, this_week) == 1)
    status_rows = await session.execute(
        select(group, CheckIn.status, func.count())
        .select_from(CheckIn)
        .join(Circle, Circle.id == CheckIn.circle_id)
        .where(in_area, in_this_week)
        .group_by(group, CheckIn.status)
    )
    by_group: dict[str, dict[str, int]] = {}
    for key, status, count in status_rows.all():
        by_group.setdefault(str(key), {})[status.value] = count

    # Teachers, and those of them with no check-in in the week although they had joined
    # and are not paused, per circle: whether they count depends on the circle's day.
    without_checkin = and_(
        ~exists().where(
            CheckIn.person_id == Membership.person_id,
            CheckIn.circle_id == Membership.circle_id,
            in_this_week,
        ),
        bucket_of(Membership.joined_at, this_week) <= 1,
        Person.paused_until.is_(None) | (Person.paused_until <= now),
    )
    teacher_rows = await session.execute(
        select(Circle.id, func.count(), func.sum(case((without_checkin, 1), else_=0)))
        .select_from(Membership)
        .join(Person, Person.id == Membership.person_id)
        .join(Circle, Circle.id == Membership.circle_id)
        .where(in_area, Membership.role == Role.teacher, Person.forgotten_at.is_(None))
        .group_by(Circle.id)
    )
    opened = _opened_circles(circles, week, now, await holidays_by_circle(session))
    key_of = {c.id: str(c.id) if per_circle else c.country for c in circles}
    teachers_by: dict[str, tuple[int, int]] = {}
    for circle_id, total, unopened in teacher_rows.all():
        key = key_of[circle_id]
        old_total, old_unopened = teachers_by.get(key, (0, 0))
        unopened = int(unopened or 0) if circle_id in opened else 0
        teachers_by[key] = (old_total + int(total), old_unopened + unopened)

    newest = (
        select(func.max(Inquiry.id))
        .join(Circle, Circle.id == Inquiry.circle_id)
        .where(in_area)
        .group_by(Inquiry.person_id, Inquiry.circle_id)
    )
    waiting = _waiting(Inquiry.id)
    phase_rows = await session.execute(
        select(Inquiry.phase, waiting, func.count())
        .where(Inquiry.id.in_(newest))
        .group_by(Inquiry.phase, waiting)
    )

    rating_bucket = bucket_of(CheckIn.scheduled_for, window).label("bucket")
    rating_rows = await session.execute(
        select(group, rating_bucket, func.sum(Answer.value_number), func.count(Answer.id))
        .select_from(Answer)
        .join(CheckIn, CheckIn.id == Answer.checkin_id)
        .join(Circle, Circle.id == CheckIn.circle_id)
        .where(
            in_area,
            in_range(window),
            Answer.question_key == Question.how_well,
            Answer.value_number.is_not(None),
        )
        .group_by(group, rating_bucket)
    )
    sums: dict[int, tuple[float, int]] = {}
    line_ratings: dict[str, tuple[float, int]] = {}
    for key, bucket, total, count in rating_rows.all():
        if not 1 <= int(bucket) <= window.size:
            continue
        old_total, old_count = sums.get(int(bucket), (0.0, 0))
        sums[int(bucket)] = (old_total + float(total or 0), old_count + int(count))
        if int(bucket) == window.size:
            line_ratings[str(key)] = (float(total or 0), int(count))

    choice_rows = await session.execute(
        select(Answer.question_key, Answer.value_choice, func.count())
        .select_from(Answer)
        .join(CheckIn, CheckIn.id == Answer.checkin_id)
        .join(Circle, Circle.id == CheckIn.circle_id)
        .where(in_area, in_this_week, Answer.question_key.in_((Question.tried, *BLOCKER_KEYS)))
        .group_by(Answer.question_key, Answer.value_choice)
    )
    tried_rows: list[tuple[str | None, int]] = []
    blockers = 0
    for key, choice, count in choice_rows.all():
        if key == Question.tried:
            tried_rows.append((choice, count))
        else:
            blockers += count

    lines = _lines(circles, per_circle, by_group, teachers_by, line_ratings)
    teachers = sum(total for total, _ in teachers_by.values())
    return AreaSummary(
        country=country,
        week=week,
        circles=len(circles),
        teachers=teachers,
        checkins=sum((line.checkins for line in lines), StatusCounts()),
        phases=_phases([(_stage(p, bool(w)), n) for p, w, n in phase_rows.all()], teachers),
        tried=_tried(tried_rows),
        ratings=_ratings(window, sums),
        blockers=blockers,
        lines=lines,
    )


def _opened_circles(
    circles: Sequence[Any], week: Week, now: datetime, holidays: dict[int, list[Holiday]]
) -> set[int]:
    """Ids of the circles whose check-in of ``week`` has opened by ``now``.

    Circles that share a timezone and check-in slot share the answer, so a country of
    a thousand circles needs a handful of calendar computations, not a thousand; a
    circle with holidays is asked on its own (its check-in day may be one of them).
    """
    seen: dict[tuple[Any, ...], bool] = {}
    opened = set()
    for circle in circles:
        if holidays.get(circle.id):
            if checkin_opened(circle, week, now, holidays[circle.id]):
                opened.add(circle.id)
            continue
        fortnightly = circle.cadence is Cadence.fortnightly
        key = (
            circle.timezone,
            circle.checkin_weekday,
            circle.checkin_time,
            circle.created_at if fortnightly else None,
        )
        if key not in seen:
            seen[key] = checkin_opened(circle, week, now)
        if seen[key]:
            opened.add(circle.id)
    return opened


def _lines(
    circles: Sequence[Any],
    per_circle: bool,
    by_group: dict[str, dict[str, int]],
    teachers_by: dict[str, tuple[int, int]],
    ratings: dict[str, tuple[float, int]],
) -> list[AreaLine]:
    """One line per circle (country and hub summaries) or per country (overall)."""
    if per_circle:
        keys = [(str(c.id), c.name, c.country, 1) for c in circles]
    else:
        per_country = Counter(c.country for c in circles)
        keys = [(code, code, code, n) for code, n in sorted(per_country.items())]
    lines = []
    for key, name, code, count in keys:
        total, unopened = teachers_by.get(key, (0, 0))
        rating_total, rating_count = ratings.get(key, (0.0, 0))
        lines.append(
            AreaLine(
                key=key,
                name=name,
                country=code,
                circles=count,
                teachers=total,
                checkins=_counts(by_group.get(key, {}), unopened),
                rating_mean=rating_total / rating_count if rating_count else None,
                rating_count=rating_count,
            )
        )
    return lines


# --- circle by circle, week by week (the summaries export) -----------------------------

#: The most weeks one summaries export covers.
MAX_EXPORT_WEEKS = 53


@dataclass(frozen=True)
class CircleWeek:
    """One circle in one week: the numbers of a circle summary, without names or texts."""

    circle_id: int
    name: str
    country: str
    week: Week
    teachers: int
    checkins: StatusCounts
    rating_mean: float | None
    rating_count: int


def export_window(first: Week | None, last: Week, *, most: int = MAX_EXPORT_WEEKS) -> WeekWindow:
    """The weeks from ``first`` (default: :data:`TREND_WEEKS` before ``last``) to ``last``."""
    first = first or last.shift(1 - TREND_WEEKS)
    if first > last:
        raise InvalidAnswer(
            N_("The first week {first} comes after the last week {last}."),
            first=str(first),
            last=str(last),
        )
    size = (last.monday - first.monday).days // 7 + 1
    if size > most:
        raise InvalidAnswer(N_("Ask for at most {most} weeks at a time."), most=most)
    return WeekWindow(last, size)


async def circle_weeks(
    session: AsyncSession,
    *,
    scope: Scope,
    window: WeekWindow,
    now: datetime,
    circle_id: int | None = None,
    country: str | None = None,
) -> list[CircleWeek]:
    """Every circle in scope (or one, or a country's) for every week of ``window``.

    Four grouped queries whatever the number of circles and weeks; the teachers with no
    check-in in a week are the teachers who had joined by then (and are not paused now)
    minus those with a check-in in that week.
    """
    scope.require(Permission.read_summaries)
    named = [circle_id, *(scope.circle_ids or ())]
    in_area: ColumnElement[bool] = and_(scope.circle_clause(), real_or_named(named))
    if circle_id is not None:
        await visible_circle(session, scope=scope, circle_id=circle_id)
        in_area = and_(in_area, Circle.id == circle_id)
    if country is not None:
        in_area = and_(in_area, Circle.country == country.upper())
    dialect = _dialect(session)
    circles = await _circles_in(session, in_area)
    offsets = offsets_by_timezone(sorted({c.timezone for c in circles}), window.last)

    def bucket_of(column: ColumnElement) -> ColumnElement:
        return week_bucket(
            column, window=window, dialect=dialect, timezone_column=Circle.timezone, offsets=offsets
        )

    low, high = window.utc_range()
    bucket = bucket_of(CheckIn.scheduled_for).label("bucket")
    in_window = and_(
        CheckIn.scheduled_for >= low,
        CheckIn.scheduled_for < high,
        bucket.between(1, window.size),
    )
    statuses: dict[tuple[int, int], dict[str, int]] = {}
    for cid, b, status, count in (
        await session.execute(
            select(Circle.id, bucket, CheckIn.status, func.count())
            .select_from(CheckIn)
            .join(Circle, Circle.id == CheckIn.circle_id)
            .where(in_area, in_window)
            .group_by(Circle.id, bucket, CheckIn.status)
        )
    ).all():
        statuses.setdefault((cid, int(b)), {})[status.value] = count

    paused = case((Person.paused_until > now, 1), else_=0).label("paused")
    joined = bucket_of(Membership.joined_at).label("joined")
    joins: dict[int, list[tuple[int, int, int]]] = {}
    for cid, joined_bucket, is_paused, count in (
        await session.execute(
            select(Circle.id, joined, paused, func.count())
            .select_from(Membership)
            .join(Person, Person.id == Membership.person_id)
            .join(Circle, Circle.id == Membership.circle_id)
            .where(in_area, Membership.role == Role.teacher, Person.forgotten_at.is_(None))
            .group_by(Circle.id, joined, paused)
        )
    ).all():
        joins.setdefault(cid, []).append((int(joined_bucket), int(is_paused), int(count)))

    with_rows: dict[tuple[int, int], int] = {}
    for cid, b, count in (
        await session.execute(
            select(Circle.id, bucket, func.count(func.distinct(CheckIn.person_id)))
            .select_from(CheckIn)
            .join(Circle, Circle.id == CheckIn.circle_id)
            .join(
                Membership,
                and_(
                    Membership.person_id == CheckIn.person_id,
                    Membership.circle_id == CheckIn.circle_id,
                ),
            )
            .join(Person, Person.id == CheckIn.person_id)
            .where(
                in_area,
                in_window,
                Membership.role == Role.teacher,
                Person.forgotten_at.is_(None),
                Person.paused_until.is_(None) | (Person.paused_until <= now),
            )
            .group_by(Circle.id, bucket)
        )
    ).all():
        with_rows[(cid, int(b))] = count

    ratings: dict[tuple[int, int], tuple[float, int]] = {}
    for cid, b, total, count in (
        await session.execute(
            select(Circle.id, bucket, func.sum(Answer.value_number), func.count(Answer.id))
            .select_from(Answer)
            .join(CheckIn, CheckIn.id == Answer.checkin_id)
            .join(Circle, Circle.id == CheckIn.circle_id)
            .where(
                in_area,
                in_window,
                Answer.question_key == Question.how_well,
                Answer.value_number.is_not(None),
            )
            .group_by(Circle.id, bucket)
        )
    ).all():
        ratings[(cid, int(b))] = (float(total or 0), int(count))

    found = []
    days_off = await holidays_by_circle(session)
    for b, week in enumerate(window.weeks, start=1):
        opened = _opened_circles(circles, week, now, days_off)
        for circle in circles:
            teachers = eligible = 0
            for joined_bucket, is_paused, count in joins.get(circle.id, []):
                if joined_bucket <= b:
                    teachers += count
                    eligible += 0 if is_paused else count
            unopened = (
                max(0, eligible - with_rows.get((circle.id, b), 0)) if circle.id in opened else 0
            )
            total, count = ratings.get((circle.id, b), (0.0, 0))
            found.append(
                CircleWeek(
                    circle_id=circle.id,
                    name=circle.name,
                    country=circle.country,
                    week=week,
                    teachers=teachers,
                    checkins=_counts(statuses.get((circle.id, b), {}), unopened),
                    rating_mean=total / count if count else None,
                    rating_count=count,
                )
            )
    return found
