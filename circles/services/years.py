"""A circle's school years: close one (its summary frozen), open the next.

A circle has at most one open year; the scheduler works only on a circle whose open
year has begun (:func:`circles.services.scheduling.idle_circles`). Closing a year ends
its open check-ins and conversations (answers already given stay, a check-in with some
is answered), revokes the circle's invites, records who belonged to the circle that
year and stores the year's summary as it was (:mod:`circles.services.yearbook`).
Opening the next year keeps the chosen members (the others' memberships end; their rows
of past years stay readable), sets the new calendar, adds holidays and new invites.
Messages to people (the goodbye to an open check-in, the continuing teachers' question)
are queued by ``bot/flows/years.py``, which calls these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import Conflict, Forbidden, InvalidAnswer, NotFound
from circles.i18n import N_
from circles.models import (
    Answer,
    CheckIn,
    CheckInStatus,
    Circle,
    FlowRun,
    FlowStatus,
    Invite,
    Membership,
    Person,
    Role,
    SchoolYear,
    SchoolYearMember,
    YearChoice,
    YearStatus,
)
from circles.services import holidays as holiday_service
from circles.services import yearbook
from circles.services.access import Permission, Scope, circle_for
from circles.services.audit import record_audit
from circles.services.invites import create_invite
from circles.services.scheduling import idle_circles
from circles.services.weeks import Week, week_of_date

#: The longest school year, in days (a year and a month of overlap at most).
LONGEST = 400
NO_OPEN_YEAR = N_("This circle has no open school year.")
YEAR_NOT_FOUND = N_("This circle has no school year with this id.")
STILL_OPEN = N_("This circle's school year is still open; close it first.")


def require_changes(scope: Scope) -> None:
    """Only coordinators and admins close and open school years."""
    if not scope.may(Permission.manage_circles):
        raise Forbidden(N_("Only coordinators and admins may close or open a school year."))


async def weeks_to_read(
    session: AsyncSession,
    *,
    scope: Scope,
    circle_id: int | None,
    year_id: int,
    now: datetime,
    first: Week | None = None,
    last: Week | None = None,
) -> tuple[Week, Week]:
    """The weeks of one circle's year that a summary or export reads (``?year=``): the
    whole year, or the asked weeks if they lie within it. Scoped as the summaries are."""
    if circle_id is None:
        raise InvalidAnswer(N_("Name the circle whose school year you want (circle=…)."))
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_summaries
    )
    year = await get_year(session, circle=circle, year_id=year_id)
    low, high = yearbook.weeks_of(year, now)
    first, last = first or low, last or high
    if first < week_of_date(year.starts_on) or last > week_of_date(year.ends_on):
        raise InvalidAnswer(
            N_("The weeks asked for are not within the school year {label}."), label=year.label
        )
    return first, last


async def between_years(session: AsyncSession, *, circle_id: int, now: datetime) -> bool:
    """Whether the circle has no begun open year now: no check-in opens there."""
    found = await session.scalar(
        select(Circle.id).where(Circle.id == circle_id, idle_circles(now.date()))
    )
    return found is not None


async def list_years(session: AsyncSession, *, circle: Circle) -> list[SchoolYear]:
    """The circle's school years, newest first."""
    found = await session.scalars(
        select(SchoolYear)
        .where(SchoolYear.circle_id == circle.id)
        .order_by(SchoolYear.starts_on.desc(), SchoolYear.id.desc())
    )
    return list(found)


async def get_year(session: AsyncSession, *, circle: Circle, year_id: int) -> SchoolYear:
    """One of the circle's years (another circle's is :class:`NotFound` too)."""
    year = await session.get(SchoolYear, year_id)
    if year is None or year.circle_id != circle.id:
        raise NotFound(YEAR_NOT_FOUND)
    return year


async def open_year_of(session: AsyncSession, *, circle_id: int) -> SchoolYear | None:
    """The circle's open year, if any."""
    return await session.scalar(
        select(SchoolYear).where(
            SchoolYear.circle_id == circle_id, SchoolYear.status == YearStatus.open
        )
    )


# --- closing ------------------------------------------------------------------------------


@dataclass
class Closed:
    """A closed year and the people whose open check-in or conversation it ended."""

    year: SchoolYear
    interrupted: list[Person] = field(default_factory=list)


async def close_year(session: AsyncSession, *, circle: Circle, actor: str, now: datetime) -> Closed:
    """Close the circle's open year: check-ins and conversations end, the summary freezes."""
    year = await open_year_of(session, circle_id=circle.id)
    if year is None:
        raise Conflict(NO_OPEN_YEAR)
    interrupted = await _end_conversations(session, circle=circle, now=now)
    await session.execute(
        update(Invite)
        .where(Invite.circle_id == circle.id, Invite.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await _record_members(session, year=year, circle=circle)
    year.snapshot = await yearbook.freeze(session, circle=circle, year=year, now=now)
    today = now.astimezone(ZoneInfo(circle.timezone)).date()
    if today < year.ends_on:  # closed early: the year ended today (or on its second day)
        year.ends_on = max(today, year.starts_on + timedelta(days=1))
    year.status = YearStatus.closed
    year.closed_at = now
    await session.flush()
    await _audit(session, "year.close", year, actor=actor, now=now)
    people = (
        list(await session.scalars(select(Person).where(Person.id.in_(interrupted))))
        if interrupted
        else []
    )
    return Closed(year, people)


async def _end_conversations(session: AsyncSession, *, circle: Circle, now: datetime) -> list[int]:
    """Close the circle's open check-ins (answered if any answer came) and end every
    unfinished conversation of its members; the ids of the people interrupted."""
    open_ids = list(
        await session.scalars(
            select(CheckIn.id).where(
                CheckIn.circle_id == circle.id, CheckIn.status == CheckInStatus.open
            )
        )
    )
    members = select(Membership.person_id).where(Membership.circle_id == circle.id)
    runs = select(FlowRun.id, FlowRun.person_id).where(
        FlowRun.person_id.in_(members),
        FlowRun.status.in_([FlowStatus.active, FlowStatus.waiting]),
    )
    interrupted = {person_id for _run, person_id in (await session.execute(runs)).all()}
    interrupted |= set(
        await session.scalars(select(CheckIn.person_id).where(CheckIn.id.in_(open_ids)))
    )
    await session.execute(
        update(FlowRun)
        .where(
            FlowRun.person_id.in_(members),
            FlowRun.status.in_([FlowStatus.active, FlowStatus.waiting]),
        )
        .values(status=FlowStatus.expired, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    with_answers = select(Answer.checkin_id).where(Answer.checkin_id.in_(open_ids))
    await session.execute(
        update(CheckIn)
        .where(CheckIn.id.in_(open_ids), CheckIn.id.in_(with_answers))
        .values(status=CheckInStatus.answered, answered_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(CheckIn)
        .where(CheckIn.id.in_(open_ids), CheckIn.status == CheckInStatus.open)
        .values(status=CheckInStatus.missed)
        .execution_options(synchronize_session=False)
    )
    return sorted(interrupted)


async def _record_members(session: AsyncSession, *, year: SchoolYear, circle: Circle) -> None:
    """Add this year's members who joined during it to the year's members."""
    known = set(
        await session.scalars(
            select(SchoolYearMember.person_id).where(SchoolYearMember.year_id == year.id)
        )
    )
    for membership in await session.scalars(
        select(Membership).where(Membership.circle_id == circle.id)
    ):
        if membership.person_id not in known:
            session.add(
                SchoolYearMember(
                    year_id=year.id, person_id=membership.person_id, role=membership.role
                )
            )
    await session.flush()


# --- opening ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """The new year's check-in day and time (None: as before)."""

    weekday: int | None = None
    at: time | None = None


@dataclass
class Opened:
    """The new year, the teachers to ask about their journey, the new invites."""

    year: SchoolYear
    continuing: list[Person] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)
    invites: list[Invite] = field(default_factory=list)


def _checked(label: str, starts_on: date, ends_on: date) -> str:
    label = label.strip()
    if not label or len(label) > 20:
        raise InvalidAnswer(N_("A school year needs a label of 1 to 20 characters."))
    if starts_on >= ends_on:
        raise InvalidAnswer(
            N_("The school year must start before it ends ({start} is not before {end})."),
            start=starts_on.isoformat(),
            end=ends_on.isoformat(),
        )
    if (ends_on - starts_on).days > LONGEST:
        raise InvalidAnswer(N_("A school year lasts at most {days} days."), days=LONGEST)
    return label


async def open_year(
    session: AsyncSession,
    *,
    circle: Circle,
    label: str,
    starts_on: date,
    ends_on: date,
    actor: str,
    now: datetime,
    keep: Sequence[int] | None = None,
    calendar: Calendar = Calendar(),
    holidays: Sequence[holiday_service.Dates] = (),
    invites: Sequence[tuple[Role, int]] = (),
    meeting_days: Sequence[date] = (),
) -> Opened:
    """Open the circle's next year after the last one closed.

    ``keep``: the person ids of members who continue (None: everyone); the others'
    memberships end. Holidays are checked as :mod:`circles.services.holidays` does;
    ``meeting_days`` (the caller schedules the meetings) must lie within the year.
    """
    label = _checked(label, starts_on, ends_on)
    for day in meeting_days:
        if not starts_on <= day <= ends_on:
            raise InvalidAnswer(
                N_("The meeting on {day} is not within the school year."), day=day.isoformat()
            )
    if await open_year_of(session, circle_id=circle.id) is not None:
        raise Conflict(STILL_OPEN)
    years = await list_years(session, circle=circle)
    if any(y.label == label for y in years):
        raise Conflict(N_("This circle already has a school year called {label}."), label=label)
    if years and starts_on <= years[0].ends_on:
        raise Conflict(
            N_("The new school year must start after the last one ended on {end}."),
            end=years[0].ends_on.isoformat(),
        )
    if calendar.weekday is not None and not 0 <= calendar.weekday <= 6:
        raise InvalidAnswer(N_("The weekday must be between 0 (Monday) and 6 (Sunday)."))
    memberships = list(
        await session.scalars(select(Membership).where(Membership.circle_id == circle.id))
    )
    members = {m.person_id for m in memberships}
    kept = members if keep is None else set(keep)
    strangers = sorted(kept - members)
    if strangers:
        raise InvalidAnswer(
            N_("These people are not members of the circle: {ids}."),
            ids=", ".join(map(str, strangers)),
        )
    ended = sorted(members - kept)
    if ended:
        await session.execute(
            delete(Membership).where(
                Membership.circle_id == circle.id, Membership.person_id.in_(ended)
            )
        )
    year = SchoolYear(
        circle_id=circle.id, label=label, starts_on=starts_on, ends_on=ends_on, opened_at=now
    )
    try:
        async with session.begin_nested():  # another request opened one a moment ago
            session.add(year)
            await session.flush()
    except IntegrityError:
        raise Conflict(STILL_OPEN) from None
    for membership in memberships:
        if membership.person_id in kept:
            session.add(
                SchoolYearMember(
                    year_id=year.id, person_id=membership.person_id, role=membership.role
                )
            )
    if calendar.weekday is not None:
        circle.checkin_weekday = calendar.weekday
    if calendar.at is not None:
        circle.checkin_time = calendar.at
    for dates in holidays:
        await holiday_service.add_holiday(session, circle=circle, dates=dates, actor=actor, now=now)
    created = [
        await create_invite(session, circle=circle, role=role, now=now, max_uses=uses)
        for role, uses in invites
    ]
    await session.flush()
    await _audit(session, "year.open", year, actor=actor, now=now, kept=len(kept), ended=len(ended))
    teachers = [m.person_id for m in memberships if m.person_id in kept and m.role is Role.teacher]
    continuing = (
        list(
            await session.scalars(
                select(Person)
                .where(Person.id.in_(teachers), Person.forgotten_at.is_(None))
                .order_by(Person.id)
            )
        )
        if teachers
        else []
    )
    return Opened(year, continuing, ended, created)


# --- a continuing teacher's choice --------------------------------------------------------


async def record_choice(
    session: AsyncSession, *, year_id: int, person_id: int, choice: YearChoice, now: datetime
) -> tuple[SchoolYear, SchoolYearMember] | None:
    """Record a continuing teacher's choice for the open year, once.

    None when there is nothing to choose: the year is not theirs, not open any more, they
    are no longer a teacher of the circle, or they already chose (an old or twice-pressed
    button).
    """
    row = (
        await session.execute(
            select(SchoolYear, SchoolYearMember)
            .join(SchoolYearMember, SchoolYearMember.year_id == SchoolYear.id)
            .join(
                Membership,
                and_(
                    Membership.circle_id == SchoolYear.circle_id,
                    Membership.person_id == SchoolYearMember.person_id,
                ),
            )
            .where(
                SchoolYear.id == year_id,
                SchoolYear.status == YearStatus.open,
                SchoolYearMember.person_id == person_id,
                SchoolYearMember.role == Role.teacher,
                SchoolYearMember.choice.is_(None),
                Membership.role == Role.teacher,
            )
        )
    ).first()
    if row is None:
        return None
    year, member = row
    claimed = await session.execute(
        update(SchoolYearMember)
        .where(SchoolYearMember.id == member.id, SchoolYearMember.choice.is_(None))
        .values(choice=choice, chosen_at=now)
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:
        return None
    await session.refresh(member)
    return year, member


async def _audit(
    session: AsyncSession,
    action: str,
    year: SchoolYear,
    *,
    actor: str,
    now: datetime,
    **detail: Any,
) -> None:
    await record_audit(
        session,
        actor=actor,
        action=action,
        now=now,
        target_type="school_year",
        target_id=year.id,
        detail={"circle_id": year.circle_id, "label": year.label, **detail},
    )
