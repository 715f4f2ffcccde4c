"""Exports of answers and weekly summaries as CSV or XLSX, scoped like everything else.

Answers are exported one row per answer, oldest check-in first. A **pseudonymised**
export (for researchers) replaces people by stable random ids, ``p_`` and twelve hex
digits of an HMAC-SHA256 of their id under ``CIRCLES_PSEUDONYM_KEY``: the same person
gets the same id in every export while the key stays the same, and nobody without the
key can link an id to a person. It leaves out names, person and check-in ids and exact
times (the week stays), and free text (text answers, captions) unless
``include_text`` allows it. Voice notes are shown as "voice" with their length.

Summaries are exported one row per circle and week with the numbers of a circle
summary (:func:`circles.services.summaries.circle_weeks`); they hold no names.

Spreadsheet safety: text that a spreadsheet would run as a formula (starting with
``=``, ``+``, ``-``, ``@``) is prefixed with an apostrophe in CSV and stored as plain
text in XLSX; control characters XLSX cannot hold are dropped.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import Conflict
from circles.i18n import N_
from circles.models import Answer, AnswerKind, CheckIn, Circle, Person
from circles.services.access import Permission, Scope, visible_circle
from circles.services.sandbox import real_or_named
from circles.services.summaries import circle_weeks, export_window
from circles.services.weeks import Week, WeekWindow, week_of


class ExportFormat(StrEnum):
    """The file formats an export comes in."""

    csv = "csv"
    xlsx = "xlsx"


MEDIA_TYPES = {
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

ANSWER_COLUMNS = (
    "circle_id",
    "circle",
    "country",
    "week",
    "checkin_id",
    "scheduled_for",
    "status",
    "phase",
    "iteration",
    "person_id",
    "name",
    "question",
    "kind",
    "text",
    "choice",
    "number",
    "voice_seconds",
    "answered_at",
)
PSEUDONYMOUS_COLUMNS = (
    "participant",
    "circle_id",
    "country",
    "week",
    "status",
    "phase",
    "iteration",
    "question",
    "kind",
    "choice",
    "number",
    "voice_seconds",
)
SUMMARY_COLUMNS = (
    "circle_id",
    "circle",
    "country",
    "week",
    "teachers",
    "answered",
    "missed",
    "open",
    "skipped",
    "not_opened",
    "response_rate",
    "rating_mean",
    "rating_count",
)
_FORMULA_STARTS = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Export:
    """A file to hand out."""

    filename: str
    media_type: str
    content: bytes
    rows: int


def pseudonym(key: bytes, person_id: int) -> str:
    """The stable pseudonym of a person under ``key``."""
    digest = hmac.new(key, f"person:{person_id}".encode(), hashlib.sha256).hexdigest()
    return f"p_{digest[:12]}"


def _csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            ["'" + v if isinstance(v, str) and v.startswith(_FORMULA_STARTS) else v for v in row]
        )
    return buffer.getvalue().encode("utf-8")


def _xlsx(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(list(columns))
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
                cell.data_type = "s"  # never a formula
                cells.append(cell)
            elif isinstance(value, datetime):
                cells.append(value.replace(tzinfo=None))  # XLSX has no timezones: UTC
            else:
                cells.append(value)
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _file(
    name: str, fmt: ExportFormat, columns: Sequence[str], rows: list[Sequence[Any]]
) -> Export:
    content = _csv(columns, rows) if fmt is ExportFormat.csv else _xlsx(name, columns, rows)
    return Export(f"{name}.{fmt.value}", MEDIA_TYPES[fmt], content, len(rows))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export_answers(
    session: AsyncSession,
    *,
    scope: Scope,
    fmt: ExportFormat,
    now: datetime,
    circle_id: int | None = None,
    country: str | None = None,
    first: Week | None = None,
    last: Week | None = None,
    pseudonymise: bool = False,
    include_text: bool = False,
    pseudonym_key: bytes | None = None,
) -> Export:
    """The check-in answers of the circles in scope, one row per answer."""
    scope.require(Permission.read_details)
    if pseudonymise and not pseudonym_key:
        raise Conflict(
            N_("Pseudonymised exports need CIRCLES_PSEUDONYM_KEY to be set on the server.")
        )
    query = (
        select(Answer, CheckIn, Circle.name, Circle.country, Circle.timezone, Person.display_name)
        .join(CheckIn, CheckIn.id == Answer.checkin_id)
        .join(Circle, Circle.id == CheckIn.circle_id)
        .join(Person, Person.id == Answer.person_id)
        .where(scope.circle_clause(), real_or_named([circle_id, *(scope.circle_ids or ())]))
        .order_by(CheckIn.scheduled_for, CheckIn.id, Answer.id)
    )
    if circle_id is not None:
        await visible_circle(session, scope=scope, circle_id=circle_id)
        query = query.where(Circle.id == circle_id)
    if country is not None:
        query = query.where(Circle.country == country.upper())
    if first is not None or last is not None:
        window = export_window(first, last or week_of(now, "UTC"), most=10_000)
        low, high = window.utc_range()
        query = query.where(and_(CheckIn.scheduled_for >= low, CheckIn.scheduled_for < high))
    else:
        window = None
    rows: list[Sequence[Any]] = []
    for answer, checkin, circle_name, circle_country, timezone, name in (
        await session.execute(query)
    ).all():
        week = week_of(checkin.scheduled_for, timezone)
        if window is not None and not window.first <= week <= window.last:
            continue
        seconds = answer.file_duration if answer.kind is AnswerKind.voice else None
        if pseudonymise:
            assert pseudonym_key is not None
            row: list[Any] = [
                pseudonym(pseudonym_key, answer.person_id),
                checkin.circle_id,
                circle_country,
                str(week),
                checkin.status.value,
                checkin.phase.value,
                checkin.iteration,
                answer.question_key,
                answer.kind.value,
                answer.value_choice,
                answer.value_number,
                seconds,
            ]
            if include_text:
                row.append(answer.value_text)
            rows.append(row)
            continue
        rows.append(
            [
                checkin.circle_id,
                circle_name,
                circle_country,
                str(week),
                checkin.id,
                _iso(checkin.scheduled_for),
                checkin.status.value,
                checkin.phase.value,
                checkin.iteration,
                answer.person_id,
                name,
                answer.question_key,
                answer.kind.value,
                answer.value_text,
                answer.value_choice,
                answer.value_number,
                seconds,
                _iso(answer.created_at),
            ]
        )
    if pseudonymise:
        columns = PSEUDONYMOUS_COLUMNS + (("text",) if include_text else ())
        return _file("answers-pseudonymised", fmt, columns, rows)
    return _file("answers", fmt, ANSWER_COLUMNS, rows)


async def export_summaries(
    session: AsyncSession,
    *,
    scope: Scope,
    fmt: ExportFormat,
    now: datetime,
    circle_id: int | None = None,
    country: str | None = None,
    first: Week | None = None,
    last: Week | None = None,
) -> Export:
    """One row per circle in scope and week: check-ins by status, response rate, rating."""
    window: WeekWindow = export_window(first, last or week_of(now, "UTC"))
    lines = await circle_weeks(
        session, scope=scope, window=window, now=now, circle_id=circle_id, country=country
    )
    rows: list[Sequence[Any]] = [
        [
            line.circle_id,
            line.name,
            line.country,
            str(line.week),
            line.teachers,
            line.checkins.answered,
            line.checkins.missed,
            line.checkins.open,
            line.checkins.skipped,
            line.checkins.not_opened,
            None if line.checkins.response_rate is None else round(line.checkins.response_rate, 4),
            None if line.rating_mean is None else round(line.rating_mean, 3),
            line.rating_count,
        ]
        for line in lines
    ]
    return _file("summaries", fmt, SUMMARY_COLUMNS, rows)
