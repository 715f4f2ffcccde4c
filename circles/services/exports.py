"""Exports of answers and weekly summaries as CSV or XLSX, scoped like everything else.

Answers are exported one row per answer, oldest check-in first. A **pseudonymised**
export (for researchers) replaces people by stable random ids, ``p_`` and twelve hex
digits of an HMAC-SHA256 of their id under ``CIRCLES_PSEUDONYM_KEY``: the same person
gets the same id in every export while the key stays the same, and nobody without the
key can link an id to a person. It leaves out names, person and check-in ids and exact
times (the week stays), and free text (text answers, captions) unless
``include_text`` allows it. Voice notes are shown as "voice" with their length.

Answer exports can be large (a country's pilot is millions of answers), so they are made
in two steps: :func:`plan_answers` checks the request and counts the rows (for the
``X-Row-Count`` header) in the request's transaction, then :func:`answer_chunks` reads
the rows :data:`BATCH` at a time from a cursor and turns each batch into CSV in the
render thread (:mod:`circles.services.offload`): memory stays within a batch, and the
event loop stays free. XLSX is written the same way into openpyxl's write-only workbook,
saved into a temporary file (in memory up to :data:`SPOOL_BYTES`, then on disk) and read
back in pieces.

Summaries are exported one row per circle and week with the numbers of a circle
summary (:func:`circles.services.summaries.circle_weeks`); they hold no names, and
their size is bounded by the circles and the weeks asked for.

Spreadsheet safety: text that a spreadsheet would run as a formula (starting with
``=``, ``+``, ``-``, ``@``) is prefixed with an apostrophe in CSV and stored as plain
text in XLSX; control characters XLSX cannot hold are dropped.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from tempfile import SpooledTemporaryFile
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import Conflict
from circles.i18n import N_
from circles.models import Answer, AnswerKind, CheckIn, Circle, Person
from circles.services.access import Permission, Scope, visible_circle
from circles.services.offload import off_loop
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
#: Answers read from the database and rendered at a time.
BATCH = 250
#: An XLSX file stays in memory up to this size, then goes to a temporary file on disk.
SPOOL_BYTES = 4 * 1024 * 1024
#: Pieces of an XLSX file handed to the client at a time.
READ_BYTES = 256 * 1024
#: The columns an answer row is made of, in the order :func:`_answer_row` reads them.
_ANSWER_SELECT = (
    CheckIn.circle_id,
    Circle.name,
    Circle.country,
    Circle.timezone,
    CheckIn.id,
    CheckIn.scheduled_for,
    CheckIn.status,
    CheckIn.phase,
    CheckIn.iteration,
    Answer.person_id,
    Person.display_name,
    Answer.question_key,
    Answer.kind,
    Answer.value_text,
    Answer.value_choice,
    Answer.value_number,
    Answer.file_duration,
    Answer.created_at,
)


@dataclass(frozen=True)
class Export:
    """A file to hand out."""

    filename: str
    media_type: str
    content: bytes
    rows: int


@dataclass(frozen=True)
class AnswersPlan:
    """An answer export that was checked and counted, ready to be streamed."""

    scope: Scope
    fmt: ExportFormat
    circle_id: int | None
    country: str | None
    window: WeekWindow | None
    pseudonymise: bool
    include_text: bool
    pseudonym_key: bytes | None
    rows: int

    @property
    def name(self) -> str:
        return "answers-pseudonymised" if self.pseudonymise else "answers"

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.fmt.value}"

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.fmt]

    @property
    def columns(self) -> tuple[str, ...]:
        if not self.pseudonymise:
            return ANSWER_COLUMNS
        return PSEUDONYMOUS_COLUMNS + (("text",) if self.include_text else ())


def pseudonym(key: bytes, person_id: int) -> str:
    """The stable pseudonym of a person under ``key``."""
    digest = hmac.new(key, f"person:{person_id}".encode(), hashlib.sha256).hexdigest()
    return f"p_{digest[:12]}"


def _csv(columns: Sequence[str] | None, rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV lines of ``rows`` (after a header line of ``columns`` if given), formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if columns is not None:
        writer.writerow(columns)
    for row in rows:
        writer.writerow(
            ["'" + v if isinstance(v, str) and v.startswith(_FORMULA_STARTS) else v for v in row]
        )
    return buffer.getvalue().encode("utf-8")


class _Sheet:
    """An XLSX file written a batch of rows at a time (openpyxl's write-only mode)."""

    def __init__(self, title: str, columns: Sequence[str]) -> None:
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(title)
        self.sheet.append(list(columns))

    def add(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            cells: list[Any] = []
            for value in row:
                if isinstance(value, str):
                    cell = WriteOnlyCell(self.sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
                    cell.data_type = "s"  # never a formula
                    cells.append(cell)
                elif isinstance(value, datetime):
                    cells.append(value.replace(tzinfo=None))  # XLSX has no timezones: UTC
                else:
                    cells.append(value)
            self.sheet.append(cells)

    def save(self) -> IO[bytes]:
        """The finished file, rewound."""
        file: IO[bytes] = SpooledTemporaryFile(max_size=SPOOL_BYTES)
        self.book.save(file)
        file.seek(0)
        return file


def _xlsx(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    sheet = _Sheet(title, columns)
    sheet.add(rows)
    with sheet.save() as file:
        return file.read()


def _file(
    name: str, fmt: ExportFormat, columns: Sequence[str], rows: list[Sequence[Any]]
) -> Export:
    content = _csv(columns, rows) if fmt is ExportFormat.csv else _xlsx(name, columns, rows)
    return Export(f"{name}.{fmt.value}", MEDIA_TYPES[fmt], content, len(rows))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _answer_query(plan: AnswersPlan, *columns: Any) -> Select[Any]:
    """The answers of ``plan`` (``columns`` of them), without the exact cut of the window."""
    query = (
        select(*columns)
        .select_from(Answer)
        .join(CheckIn, CheckIn.id == Answer.checkin_id)
        .join(Circle, Circle.id == CheckIn.circle_id)
        .join(Person, Person.id == Answer.person_id)
        .where(
            plan.scope.circle_clause(),
            real_or_named([plan.circle_id, *(plan.scope.circle_ids or ())]),
        )
    )
    if plan.circle_id is not None:
        query = query.where(Circle.id == plan.circle_id)
    if plan.country is not None:
        query = query.where(Circle.country == plan.country.upper())
    if plan.window is not None:
        low, high = plan.window.utc_range()
        query = query.where(and_(CheckIn.scheduled_for >= low, CheckIn.scheduled_for < high))
    return query


def _in_window(plan: AnswersPlan, scheduled_for: datetime, timezone: str) -> bool:
    """The exact cut: the check-in's local week is one of the window's."""
    if plan.window is None:
        return True
    return plan.window.first <= week_of(scheduled_for, timezone) <= plan.window.last


async def _count(session: AsyncSession, plan: AnswersPlan) -> int:
    """How many rows the export has: counted in SQL, but near the window's edges.

    :meth:`WeekWindow.utc_range` is wider than the window by the largest UTC offset on
    each side; only check-ins within twice that offset of an edge may fall outside it in
    their circle's timezone, so only those are read and cut exactly.
    """
    total = _answer_query(plan, func.count())
    if plan.window is None:
        return await session.scalar(total) or 0
    low, high = plan.window.utc_range()
    margin = high - low - timedelta(weeks=plan.window.size)  # twice the largest offset
    inner = await session.scalar(
        total.where(CheckIn.scheduled_for >= low + margin, CheckIn.scheduled_for < high - margin)
    )
    edges = await session.execute(
        _answer_query(plan, CheckIn.scheduled_for, Circle.timezone).where(
            (CheckIn.scheduled_for < low + margin) | (CheckIn.scheduled_for >= high - margin)
        )
    )
    return (inner or 0) + sum(1 for when, tz in edges.all() if _in_window(plan, when, tz))


async def plan_answers(
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
) -> AnswersPlan:
    """Check an answer export (role, circle, weeks, key) and count its rows."""
    scope.require(Permission.read_details)
    if pseudonymise and not pseudonym_key:
        raise Conflict(
            N_("Pseudonymised exports need CIRCLES_PSEUDONYM_KEY to be set on the server.")
        )
    if circle_id is not None:
        await visible_circle(session, scope=scope, circle_id=circle_id)
    window = None
    if first is not None or last is not None:
        window = export_window(first, last or week_of(now, "UTC"), most=10_000)
    plan = AnswersPlan(
        scope, fmt, circle_id, country, window, pseudonymise, include_text, pseudonym_key, 0
    )
    return replace(plan, rows=await _count(session, plan))


def _answer_row(plan: AnswersPlan, row: Sequence[Any]) -> list[Any] | None:
    """One line of the export from one row of :data:`_ANSWER_SELECT` (None: not in window)."""
    (
        circle_id,
        circle_name,
        circle_country,
        timezone,
        checkin_id,
        scheduled_for,
        status,
        phase,
        iteration,
        person_id,
        name,
        question,
        kind,
        text,
        choice,
        number,
        duration,
        created_at,
    ) = row
    week = week_of(scheduled_for, timezone)
    if plan.window is not None and not plan.window.first <= week <= plan.window.last:
        return None
    seconds = duration if kind is AnswerKind.voice else None
    if plan.pseudonymise:
        assert plan.pseudonym_key is not None
        line = [
            pseudonym(plan.pseudonym_key, person_id),
            circle_id,
            circle_country,
            str(week),
            status.value,
            phase.value,
            iteration,
            question,
            kind.value,
            choice,
            number,
            seconds,
        ]
        return [*line, text] if plan.include_text else line
    return [
        circle_id,
        circle_name,
        circle_country,
        str(week),
        checkin_id,
        _iso(scheduled_for),
        status.value,
        phase.value,
        iteration,
        person_id,
        name,
        question,
        kind.value,
        text,
        choice,
        number,
        seconds,
        _iso(created_at),
    ]


def _lines(plan: AnswersPlan, rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    return [line for row in rows if (line := _answer_row(plan, row)) is not None]


async def _batches(session: AsyncSession, plan: AnswersPlan) -> AsyncIterator[list[tuple]]:
    """The export's rows, :data:`BATCH` at a time, as plain tuples, from a cursor."""
    query = _answer_query(plan, *_ANSWER_SELECT).order_by(
        CheckIn.scheduled_for, CheckIn.id, Answer.id
    )
    result = await session.stream(query.execution_options(yield_per=BATCH))
    async for partition in result.partitions():
        yield [tuple(row) for row in partition]


async def answer_chunks(session: AsyncSession, plan: AnswersPlan) -> AsyncIterator[bytes]:
    """The file of ``plan``, piece by piece; rendering runs in a worker thread."""
    if plan.fmt is ExportFormat.csv:
        yield _csv(plan.columns, ())
        async for rows in _batches(session, plan):
            yield await off_loop(lambda rows=rows: _csv(None, _lines(plan, rows)))
        return
    sheet = await off_loop(_Sheet, plan.name, plan.columns)
    async for rows in _batches(session, plan):
        await off_loop(lambda rows=rows: sheet.add(_lines(plan, rows)))
    file = await off_loop(sheet.save)
    try:
        while piece := await off_loop(file.read, READ_BYTES):
            yield piece
    finally:
        file.close()


async def export_answers(session: AsyncSession, **request: Any) -> Export:
    """The whole answer export as one file (small exports, the CLI, tests).

    Takes the arguments of :func:`plan_answers`; the API streams :func:`answer_chunks`.
    """
    plan = await plan_answers(session, **request)
    content = b"".join([piece async for piece in answer_chunks(session, plan)])
    return Export(plan.filename, plan.media_type, content, plan.rows)


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
    return await off_loop(_file, "summaries", fmt, SUMMARY_COLUMNS, rows)
