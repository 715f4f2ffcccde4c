"""A printable booklet of published practices: one HTML file or Markdown, with an index.

Practices are grouped by their main strategy or by country, groups in a fixed order
(strategies as the five are usually taught; countries by their name in the reader's
language), practices in a group by title. Headings and labels are in the reader's
language; each practice keeps the language it was written in (with a note when it
differs). Everything teachers wrote is escaped in HTML and in Markdown, so a practice's
text can never become markup or a link. The HTML has its own small style sheet and no
scripts or outside resources, so it prints and reads offline.

The booklet is made as a stream (:func:`booklet_chunks`), so that a repository of
thousands of practices neither fills the memory nor stalls the event loop: a first query
reads only the ids, titles, strategies and countries (for the index and the order), then
the practices are read :data:`BATCH` at a time as plain rows and rendered in the render
thread (:mod:`circles.services.offload`), their JSON parsed there too. Memory grows with
the index, not with the practices' text.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.i18n import _, current_language, format_datetime, format_number, ngettext, use_language
from circles.models import Circle, Person, Practice, PracticeStatus
from circles.services import repository, showcase
from circles.services.offload import off_loop
from circles.services.summaries import STRATEGY_LABELS

#: Practices read and rendered at a time.
BATCH = 50
_T = TypeVar("_T")


class Grouping(StrEnum):
    """How the booklet is divided."""

    strategy = "strategy"
    country = "country"


class BookletFormat(StrEnum):
    """The booklet's file format."""

    html = "html"
    markdown = "markdown"


_STYLE = """
body{font-family:Georgia,serif;max-width:46em;margin:2em auto;padding:0 1em;line-height:1.45}
h1,h2,h3{font-family:Helvetica,Arial,sans-serif}
.meta{color:#555;font-size:.95em}
.practice{border-top:1px solid #ccc;margin-top:1.5em;padding-top:.5em}
@media print{.practice{break-inside:avoid-page}h2{break-before:page}nav{break-after:page}}
"""


@dataclass(frozen=True)
class Entry:
    """A line of the index: what the order and the grouping need, and no more."""

    id: int
    title: str
    strategy: str | None
    country: str


@dataclass(frozen=True)
class Group:
    """A numbered group of the booklet, its entries in order."""

    number: int
    name: str
    entries: list[Entry]


def _group_key(grouping: Grouping) -> Callable[[Entry], tuple[int, str, str]]:
    order = list(STRATEGY_LABELS)

    def key(entry: Entry) -> tuple[int, str, str]:
        if grouping is Grouping.country:
            name = str(showcase.country_name(entry.country))
            return (0, name.casefold(), name)
        if entry.strategy in STRATEGY_LABELS:
            return (order.index(entry.strategy), "", _(STRATEGY_LABELS[entry.strategy]))
        return (len(order), "", _("Other practices"))

    return key


async def index(session: AsyncSession, *, reader: repository.Reader) -> list[Entry]:
    """Every published practice the reader may read, as index entries (by id)."""
    rows = await session.execute(
        select(Practice.id, Practice.title, Practice.strategy, Practice.country)
        .where(Practice.status == PracticeStatus.published, repository.visible(reader))
        .order_by(Practice.id)
    )
    return [
        Entry(id, title, strategy.value if strategy else None, country)
        for id, title, strategy, country in rows.all()
    ]


def groups(entries: list[Entry], grouping: Grouping) -> list[Group]:
    """The entries in groups, groups in their fixed order, entries by title."""
    key = _group_key(grouping)
    grouped: dict[tuple[int, str, str], list[Entry]] = {}
    for entry in entries:
        grouped.setdefault(key(entry), []).append(entry)
    return [
        Group(n, k[2], sorted(v, key=lambda e: (e.title.casefold(), e.id)))
        for n, (k, v) in enumerate(sorted(grouped.items()), 1)
    ]


def _sections(found: repository.Found) -> list[tuple[str, str]]:
    content = found.practice.content or {}
    parts = [(_("Summary"), found.practice.summary or "")]
    parts += [(_(label), str(content.get(key) or "")) for key, label in showcase.SECTIONS]
    ratings = content.get("ratings") or []
    if ratings:
        parts.append(
            (_("Ratings over the pilot weeks"), " → ".join(format_number(r) for r in ratings))
        )
    adoption = showcase.adoption_line(found)
    if adoption:
        parts.append((_("Adoptions"), str(adoption)))
    return [(label, text) for label, text in parts if text]


def _meta(found: repository.Found) -> list[str]:
    practice = found.practice
    lines = [
        " · ".join(str(label) for label in showcase.strategies(practice)),
        str(showcase.facts(practice)),
        str(showcase.byline(found)),
        str(showcase.language_note(practice)),  # empty for readers of the practice's language
    ]
    return [line for line in lines if line]


def _count(total: int) -> str:
    return ngettext("{count} practice", "{count} practices", total).format(
        count=format_number(total)
    )


def _anchor(practice_id: int | None) -> str:
    return f"practice-{practice_id}"


class _Html:
    """The HTML booklet, piece by piece."""

    @staticmethod
    def head(groups: list[Group], *, total: int, now: datetime, timezone: str) -> str:
        e = html.escape
        title = _("Promising formative assessment practices")
        made = _("Made on {date}").format(date=format_datetime(now, timezone))
        out = [
            "<!DOCTYPE html>",
            f'<html lang="{e(current_language().replace("_", "-"))}"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{e(title)}</title><style>{_STYLE}</style></head><body>",
            f"<h1>{e(title)}</h1>",
            f'<p class="meta">{e(made)} · {e(_count(total))}</p>',
            f"<nav><h2>{e(_('Index'))}</h2><ol>",
        ]
        for group in groups:
            out.append(f'<li><a href="#group-{group.number}">{e(group.name)}</a><ol>')
            out += [
                f'<li><a href="#{_anchor(entry.id)}">{e(entry.title)}</a></li>'
                for entry in group.entries
            ]
            out.append("</ol></li>")
        out.append("</ol></nav>")
        return "\n".join(out) + "\n"

    @staticmethod
    def group_start(group: Group) -> str:
        return f'<section><h2 id="group-{group.number}">{html.escape(group.name)}</h2>\n'

    @staticmethod
    def practices(practices: Sequence[repository.Found]) -> str:
        e = html.escape
        out = []
        for found in practices:
            out.append(f'<article class="practice" id="{_anchor(found.practice.id)}">')
            out.append(f"<h3>{e(found.practice.title)}</h3>")
            out += [f'<p class="meta">{e(line)}</p>' for line in _meta(found)]
            for label, text in _sections(found):
                body = "<br>".join(e(line) for line in text.splitlines())
                out.append(f"<h4>{e(label)}</h4><p>{body}</p>")
            out.append("</article>")
        return "".join(line + "\n" for line in out)

    @staticmethod
    def group_end(_group: Group) -> str:
        return "</section>\n"

    @staticmethod
    def tail() -> str:
        return "</body></html>\n"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def _md(text: str) -> str:
    """Markdown-escape a teacher's text (line by line, keeping line breaks)."""
    return "  \n".join(_MD_SPECIAL.sub(r"\\\1", line) for line in text.splitlines())


class _Markdown:
    """The Markdown booklet, piece by piece."""

    @staticmethod
    def head(groups: list[Group], *, total: int, now: datetime, timezone: str) -> str:
        title = _("Promising formative assessment practices")
        made = _("Made on {date}").format(date=format_datetime(now, timezone))
        out = [f"# {_md(title)}", "", _md(made) + " · " + _md(_count(total)), ""]
        out += [f"## {_md(_('Index'))}", ""]
        for group in groups:
            out.append(f"{group.number}. [{_md(group.name)}](#group-{group.number})")
            out += [f"    - [{_md(entry.title)}](#{_anchor(entry.id)})" for entry in group.entries]
        return "\n".join(out) + "\n"

    @staticmethod
    def group_start(group: Group) -> str:
        return f'\n<a id="group-{group.number}"></a>\n\n## {_md(group.name)}\n'

    @staticmethod
    def practices(practices: Sequence[repository.Found]) -> str:
        out = []
        for found in practices:
            out += ["", f'<a id="{_anchor(found.practice.id)}"></a>', ""]
            out += [f"### {_md(found.practice.title)}", ""]
            out += [f"*{_md(line)}*  " for line in _meta(found)]
            for label, text in _sections(found):
                out += ["", f"**{_md(label)}**", "", _md(text)]
        return "".join(line + "\n" for line in out)

    @staticmethod
    def group_end(_group: Group) -> str:
        return ""

    @staticmethod
    def tail() -> str:
        return ""


#: What a booklet shows of a practice: no search text, no review comment.
_COLUMNS = (
    Practice.id,
    Practice.title,
    Practice.strategy,
    Practice.tags,
    Practice.subject,
    Practice.grade,
    Practice.grade_band,
    Practice.country,
    Practice.language,
    Practice.summary,
    cast(Practice.content, Text),  # as text: parsed in the render thread, not on the loop
    Practice.author_visible,
    Circle.name,
    Person.display_name,
)


async def _rows(session: AsyncSession, ids: list[int]) -> list[tuple[Any, ...]]:
    """The practices ``ids`` as plain rows, each with its adoption figures."""
    rows = await session.execute(
        select(*_COLUMNS)
        .join(Circle, Circle.id == Practice.circle_id)
        .outerjoin(Person, Person.id == Practice.author_id)
        .where(Practice.id.in_(ids))
    )
    figures = await repository.adoption_figures(session, ids)
    return [(*row, figures.get(row[0], (0, None, 0))) for row in rows.all()]


def _found(row: tuple[Any, ...]) -> repository.Found:
    """A row of :func:`_rows` as the practice a reader sees (a transient object)."""
    *fields, visible, circle_name, author, (adoptions, mean, ratings) = row
    names = [column.key for column in _COLUMNS[:10]]
    practice = Practice(**dict(zip(names, fields[:10], strict=True)))
    practice.content = json.loads(fields[10]) if fields[10] else {}
    return repository.Found(
        practice, circle_name, author if visible else None, adoptions, mean, ratings
    )


def _rendered(
    language: str, render: Callable[[Sequence[repository.Found]], str], rows: list[tuple]
) -> bytes:
    """``rows`` rendered in ``language`` as UTF-8 (in the render thread)."""
    with use_language(language):
        return render([_found(row) for row in rows]).encode()


async def _in_language(language: str, work: Callable[..., _T], *args: Any, **kw: Any) -> _T:
    def run() -> _T:
        with use_language(language):
            return work(*args, **kw)

    return await off_loop(run)


async def booklet_chunks(
    session: AsyncSession,
    *,
    reader: repository.Reader,
    grouping: Grouping,
    fmt: BookletFormat,
    now: datetime,
    language: str,
    timezone: str = "UTC",
) -> AsyncIterator[str | bytes]:
    """The booklet of every published practice ``reader`` may read, piece by piece."""
    writer = _Html if fmt is BookletFormat.html else _Markdown
    entries = await index(session, reader=reader)
    parts = await _in_language(language, groups, entries, grouping)
    yield await _in_language(
        language, writer.head, parts, total=len(entries), now=now, timezone=timezone
    )
    del entries
    for group in parts:
        yield writer.group_start(group)
        for start in range(0, len(group.entries), BATCH):
            ids = [entry.id for entry in group.entries[start : start + BATCH]]
            rows = {row[0]: row for row in await _rows(session, ids)}
            ordered = [rows[i] for i in ids if i in rows]
            yield await off_loop(_rendered, language, writer.practices, ordered)
        yield writer.group_end(group)
    yield writer.tail()


async def booklet(
    session: AsyncSession,
    *,
    reader: repository.Reader,
    grouping: Grouping,
    fmt: BookletFormat,
    now: datetime,
    timezone: str = "UTC",
) -> str:
    """The whole booklet as one text, in the current language (for small repositories)."""
    chunks = booklet_chunks(
        session,
        reader=reader,
        grouping=grouping,
        fmt=fmt,
        now=now,
        language=current_language(),
        timezone=timezone,
    )
    pieces = [chunk if isinstance(chunk, str) else chunk.decode() async for chunk in chunks]
    return "".join(pieces)
