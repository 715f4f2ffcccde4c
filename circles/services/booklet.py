"""A printable booklet of published practices: one HTML file or Markdown, with an index.

Practices are grouped by their main strategy or by country, groups in a fixed order
(strategies as the five are usually taught; countries by their name in the reader's
language), practices in a group by title. Headings and labels are in the reader's
language; each practice keeps the language it was written in (with a note when it
differs). Everything teachers wrote is escaped in HTML and in Markdown, so a practice's
text can never become markup or a link. The HTML has its own small style sheet and no
scripts or outside resources, so it prints and reads offline.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.i18n import _, current_language, format_datetime, format_number, ngettext
from circles.models import Practice, PracticeStatus
from circles.services import repository, showcase
from circles.services.summaries import STRATEGY_LABELS


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


def _group_key(grouping: Grouping) -> Callable[[repository.Found], tuple[int, str, str]]:
    order = list(STRATEGY_LABELS)

    def key(found: repository.Found) -> tuple[int, str, str]:
        practice = found.practice
        if grouping is Grouping.country:
            name = showcase.country_name(practice.country)
            return (0, name.casefold(), name)
        strategy = practice.strategy.value if practice.strategy else None
        if strategy in STRATEGY_LABELS:
            return (order.index(strategy), "", _(STRATEGY_LABELS[strategy]))
        return (len(order), "", _("Other practices"))

    return key


async def published(session: AsyncSession, *, reader: repository.Reader) -> list[repository.Found]:
    """Every published practice the reader may read."""
    ids = await session.scalars(
        select(Practice.id)
        .where(Practice.status == PracticeStatus.published, repository.visible(reader))
        .order_by(Practice.id)
    )
    return await repository.found(session, list(ids))


def _groups(
    practices: list[repository.Found], grouping: Grouping
) -> list[tuple[str, list[repository.Found]]]:
    key = _group_key(grouping)
    groups: dict[tuple[int, str, str], list[repository.Found]] = {}
    for found in practices:
        groups.setdefault(key(found), []).append(found)
    return [
        (k[2], sorted(v, key=lambda f: (f.practice.title.casefold(), f.practice.id or 0)))
        for k, v in sorted(groups.items())
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
        parts.append((_("Adoptions"), adoption))
    return [(label, text) for label, text in parts if text]


def _meta(found: repository.Found) -> list[str]:
    practice = found.practice
    lines = [
        " · ".join(showcase.strategies(practice)),
        showcase.facts(practice),
        showcase.byline(found),
    ]
    note = showcase.language_note(practice)
    if note:
        lines.append(note)
    return [line for line in lines if line]


def _count(practices: list[repository.Found]) -> str:
    return ngettext("{count} practice", "{count} practices", len(practices)).format(
        count=format_number(len(practices))
    )


def _anchor(found: repository.Found) -> str:
    return f"practice-{found.practice.id}"


def render_html(
    practices: list[repository.Found], grouping: Grouping, *, now: datetime, timezone: str
) -> str:
    """The booklet as one self-contained HTML document."""
    e = html.escape
    title = _("Promising formative assessment practices")
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{e(current_language().replace("_", "-"))}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f'<p class="meta">{e(_("Made on {date}").format(date=format_datetime(now, timezone)))} · '
        f"{e(_count(practices))}</p>",
    ]
    groups = _groups(practices, grouping)
    out.append(f"<nav><h2>{e(_('Index'))}</h2><ol>")
    for n, (name, items) in enumerate(groups, 1):
        out.append(f'<li><a href="#group-{n}">{e(name)}</a><ol>')
        out += [f'<li><a href="#{_anchor(f)}">{e(f.practice.title)}</a></li>' for f in items]
        out.append("</ol></li>")
    out.append("</ol></nav>")
    for n, (name, items) in enumerate(groups, 1):
        out.append(f'<section><h2 id="group-{n}">{e(name)}</h2>')
        for found in items:
            out.append(f'<article class="practice" id="{_anchor(found)}">')
            out.append(f"<h3>{e(found.practice.title)}</h3>")
            out += [f'<p class="meta">{e(line)}</p>' for line in _meta(found)]
            for label, text in _sections(found):
                body = "<br>".join(e(line) for line in text.splitlines())
                out.append(f"<h4>{e(label)}</h4><p>{body}</p>")
            out.append("</article>")
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def _md(text: str) -> str:
    """Markdown-escape a teacher's text (line by line, keeping line breaks)."""
    return "  \n".join(_MD_SPECIAL.sub(r"\\\1", line) for line in text.splitlines())


def render_markdown(
    practices: list[repository.Found], grouping: Grouping, *, now: datetime, timezone: str
) -> str:
    """The booklet as Markdown with an index of links."""
    title = _("Promising formative assessment practices")
    out = [
        f"# {_md(title)}",
        "",
        _md(_("Made on {date}").format(date=format_datetime(now, timezone)))
        + " · "
        + _md(_count(practices)),
        "",
        f"## {_md(_('Index'))}",
        "",
    ]
    groups = _groups(practices, grouping)
    for n, (name, items) in enumerate(groups, 1):
        out.append(f"{n}. [{_md(name)}](#group-{n})")
        out += [f"    - [{_md(f.practice.title)}](#{_anchor(f)})" for f in items]
    for n, (name, items) in enumerate(groups, 1):
        out += ["", f'<a id="group-{n}"></a>', "", f"## {_md(name)}"]
        for found in items:
            out += [
                "",
                f'<a id="{_anchor(found)}"></a>',
                "",
                f"### {_md(found.practice.title)}",
                "",
            ]
            out += [f"*{_md(line)}*  " for line in _meta(found)]
            for label, text in _sections(found):
                out += ["", f"**{_md(label)}**", "", _md(text)]
    return "\n".join(out) + "\n"


async def booklet(
    session: AsyncSession,
    *,
    reader: repository.Reader,
    grouping: Grouping,
    fmt: BookletFormat,
    now: datetime,
    timezone: str = "UTC",
) -> str:
    """The booklet of every published practice ``reader`` may read."""
    practices = await published(session, reader=reader)
    render = render_html if fmt is BookletFormat.html else render_markdown
    return render(practices, grouping, now=now, timezone=timezone)
