"""A school year's frozen summary (``SchoolYear.snapshot``), and a person's part in it.

:func:`freeze` builds it when :func:`circles.services.years.close_year` closes the year:
the weekly numbers of :func:`circles.services.summaries.circle_weeks` (anonymous), one
line per member of the year under their person id (name, role, check-ins by status, the
latest inquiry's phase and practice), and the practices the circle made that year (id,
title, status, author id). Stored as it was, it does not change when people later edit
or erase their answers — except that :func:`forget` (``/forgetme``) removes the person's
line and unpublished practices from every year; :func:`export` is their part for
``/mydata``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.models import (
    CheckIn,
    Circle,
    Inquiry,
    Person,
    Practice,
    PracticeStatus,
    SchoolYear,
    SchoolYearMember,
    TokenRole,
)
from circles.services import summaries
from circles.services.access import Scope
from circles.services.weeks import Week, week_of_date


def weeks_of(year: SchoolYear, now: datetime) -> tuple[Week, Week]:
    """The first and last week of ``year`` to read (not past this week, at most 53)."""
    last = week_of_date(max(year.starts_on, min(year.ends_on, now.date())))
    return max(week_of_date(year.starts_on), last.shift(1 - summaries.MAX_EXPORT_WEEKS)), last


def _window(year: SchoolYear, circle: Circle, now: datetime) -> tuple[datetime, datetime]:
    """The year's first and last instant in UTC (the last: not after now)."""
    zone = ZoneInfo(circle.timezone)
    low = datetime.combine(year.starts_on, time(0), zone)
    high = datetime.combine(year.ends_on + timedelta(days=1), time(0), zone)
    return low, min(high, now)


async def freeze(
    session: AsyncSession, *, circle: Circle, year: SchoolYear, now: datetime
) -> dict[str, Any]:
    """The year's summary as it stands: weekly numbers, one line per member, practices."""
    low, high = _window(year, circle, now)
    first, last = weeks_of(year, now)
    window = summaries.export_window(first, last)
    weeks = await summaries.circle_weeks(
        session,
        scope=Scope("system", TokenRole.admin),
        window=window,
        now=now,
        circle_id=circle.id,
    )
    counts = await session.execute(
        select(CheckIn.person_id, CheckIn.status, func.count())
        .where(
            CheckIn.circle_id == circle.id,
            CheckIn.scheduled_for >= low,
            CheckIn.scheduled_for < high,
        )
        .group_by(CheckIn.person_id, CheckIn.status)
    )
    by_person: dict[int, dict[str, int]] = {}
    for person_id, status, count in counts.all():
        by_person.setdefault(person_id, {})[status.value] = count
    latest: dict[int, Inquiry] = {
        inquiry.person_id: inquiry
        for inquiry in await session.scalars(
            select(Inquiry).where(Inquiry.circle_id == circle.id).order_by(Inquiry.id)
        )
    }
    members = await session.execute(
        select(SchoolYearMember, Person)
        .join(Person, Person.id == SchoolYearMember.person_id)
        .where(SchoolYearMember.year_id == year.id, Person.forgotten_at.is_(None))
        .order_by(SchoolYearMember.id)
    )
    lines = []
    for member, person in members.all():
        inquiry = latest.get(person.id)
        lines.append(
            {
                "person_id": person.id,
                "name": person.display_name,
                "role": member.role.value,
                "checkins": by_person.get(person.id, {}),
                "phase": inquiry.phase.value if inquiry is not None else None,
                "practice": inquiry.practice if inquiry is not None else None,
            }
        )
    practices = await session.scalars(
        select(Practice)
        .where(
            Practice.circle_id == circle.id,
            Practice.created_at >= low,
            Practice.created_at < high,
        )
        .order_by(Practice.id)
    )
    return {
        "frozen_at": now.isoformat(),
        "weeks": [
            {
                "week": str(w.week),
                "teachers": w.teachers,
                "answered": w.checkins.answered,
                "missed": w.checkins.missed,
                "open": w.checkins.open,
                "skipped": w.checkins.skipped,
                "not_opened": w.checkins.not_opened,
                "rating_mean": w.rating_mean,
                "rating_count": w.rating_count,
            }
            for w in weeks
        ],
        "members": lines,
        "practices": [
            {
                "id": p.id,
                "title": p.title,
                "status": p.status.value,
                "author_id": p.author_id,
            }
            for p in practices
        ],
    }


async def export(session: AsyncSession, *, person_id: int) -> list[dict[str, Any]]:
    """The person's years: circle, label, role, choice, and their line of each snapshot."""
    rows = await session.execute(
        select(SchoolYear, SchoolYearMember)
        .join(SchoolYearMember, SchoolYearMember.year_id == SchoolYear.id)
        .where(SchoolYearMember.person_id == person_id)
        .order_by(SchoolYear.id)
    )
    found = []
    for year, member in rows.all():
        line = next(
            (m for m in (year.snapshot or {}).get("members", []) if m["person_id"] == person_id),
            None,
        )
        found.append(
            {
                "circle_id": year.circle_id,
                "year": year.label,
                "role": member.role.value,
                "choice": member.choice.value if member.choice else None,
                "chosen_at": member.chosen_at.isoformat() if member.chosen_at else None,
                "summary_line": line,
            }
        )
    return found


async def forget(session: AsyncSession, *, person_id: int) -> None:
    """Remove the person from every year: their rows, their snapshot lines, their
    unpublished practices (a published one stays, without its author)."""
    years = await session.scalars(
        select(SchoolYear).where(
            SchoolYear.id.in_(
                select(SchoolYearMember.year_id).where(SchoolYearMember.person_id == person_id)
            ),
            SchoolYear.snapshot.is_not(None),
        )
    )
    for year in years:
        snapshot = dict(year.snapshot or {})
        snapshot["members"] = [
            m for m in snapshot.get("members", []) if m.get("person_id") != person_id
        ]
        snapshot["practices"] = [
            p if p.get("author_id") != person_id else {**p, "author_id": None}
            for p in snapshot.get("practices", [])
            if p.get("author_id") != person_id or p.get("status") == PracticeStatus.published
        ]
        year.snapshot = snapshot
    await session.flush()
    await session.execute(delete(SchoolYearMember).where(SchoolYearMember.person_id == person_id))
