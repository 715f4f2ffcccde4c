"""Check-ins and their answers as facilitators read them (admin API, exports).

An answer is shown by what it holds: text, a choice, a number, or a file (photo,
document, voice) with its caption and, for voice notes, the duration. Files are never
fetched and their Telegram file ids are not given out: they only work with the bot's
token.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import NotFound
from circles.i18n import N_
from circles.models import Answer, CheckIn, CheckInStatus, Circle, Person, Phase
from circles.services.pagination import Page, keyset, page_of
from circles.services.weeks import Week


@dataclass(frozen=True)
class CheckInRow:
    """A check-in, whose it is, and its answers in the order they were given."""

    checkin: CheckIn
    person_name: str | None
    answers: list[Answer]


async def _with_answers(
    session: AsyncSession, rows: list[tuple[CheckIn, str | None]]
) -> list[CheckInRow]:
    """Attach answers to check-ins with one query for the whole page."""
    by_checkin: dict[int, list[Answer]] = defaultdict(list)
    ids = [checkin.id for checkin, _name in rows]
    if ids:
        answers = await session.scalars(
            select(Answer).where(Answer.checkin_id.in_(ids)).order_by(Answer.id)
        )
        for answer in answers:
            by_checkin[answer.checkin_id or 0].append(answer)
    return [CheckInRow(checkin, name, by_checkin[checkin.id]) for checkin, name in rows]


def _query(circle: Circle) -> Select[tuple[CheckIn, str | None]]:
    return (
        select(CheckIn, Person.display_name)
        .join(Person, Person.id == CheckIn.person_id)
        .where(CheckIn.circle_id == circle.id)
    )


async def list_checkins(
    session: AsyncSession,
    *,
    circle: Circle,
    cursor: str | None,
    limit: int,
    week: Week | None = None,
    phase: Phase | None = None,
    person_id: int | None = None,
    status: CheckInStatus | None = None,
) -> Page[CheckInRow]:
    """The circle's check-ins, newest first, with their answers; filters combine."""
    query = _query(circle)
    if week is not None:
        start, end = week.bounds(circle.timezone)
        query = query.where(CheckIn.scheduled_for >= start, CheckIn.scheduled_for < end)
    if phase is not None:
        query = query.where(CheckIn.phase == phase)
    if person_id is not None:
        query = query.where(CheckIn.person_id == person_id)
    if status is not None:
        query = query.where(CheckIn.status == status)
    rows = (
        await session.execute(
            keyset(query, CheckIn.id, cursor=cursor, limit=limit, newest_first=True)
        )
    ).all()
    page = page_of([(c, n) for c, n in rows], limit=limit, last_id=lambda row: row[0].id)
    return Page(await _with_answers(session, page.items), page.next_cursor)


async def get_checkin(session: AsyncSession, *, circle: Circle, checkin_id: int) -> CheckInRow:
    """One check-in of the circle with its answers."""
    row = (await session.execute(_query(circle).where(CheckIn.id == checkin_id))).first()
    if row is None:
        raise NotFound(N_("This circle has no check-in with this id."))
    return (await _with_answers(session, [(row[0], row[1])]))[0]
