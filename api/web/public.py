"""``/practices``: the public repository of practices, read-only, for anyone.

Off unless ``CIRCLES_PUBLIC_REPOSITORY`` is on; off, every path answers 404. No sign-in,
no cookie. The frame is in the visitor's language (``?lang=``, else ``Accept-Language``),
each practice in its own (:mod:`circles.services.public` says what is shown).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.deps import SessionDep
from api.web.pages import NO_SUCH_PAGE, WebError, language_of, public_page
from circles.i18n import N_, SUPPORTED_LANGUAGES, _, use_language
from circles.models import GradeBand, Strategy
from circles.services import public
from circles.services.repository import Filters
from circles.services.showcase import GRADE_BAND_LABELS, SECTIONS
from circles.services.summaries import STRATEGY_LABELS
from circles.settings import Settings

router = APIRouter(prefix="/practices", include_in_schema=False)

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
#: The longest value of a filter that is read (longer ones are refused).
FILTER_LIMIT = 120
BAD_FILTER = N_("This search cannot be read: “{field}” has a value the repository does not know.")
#: The search form's labels, named in the answer to a value it cannot read.
FIELD_LABELS = {
    "strategy": N_("Strategy"),
    "subject": N_("Subject"),
    "level": N_("Level"),
    "country": N_("Country"),
    "language": N_("Language of the practice"),
    "page": N_("Page"),
}


def _bad(field: str, language: str) -> WebError:
    """A 400 naming the form's field in the visitor's language."""
    with use_language(language):
        label = _(FIELD_LABELS[field])
    return WebError(400, BAD_FILTER, field=label)


def _open(request: Request) -> str:
    """The visitor's language, or 404 when the public repository is switched off."""
    settings: Settings = request.app.state.settings
    lang = request.query_params.get("lang")
    language = lang if lang in SUPPORTED_LANGUAGES else language_of(request)
    request.state.web_language = language
    if not settings.public_repository:
        raise WebError(404, NO_SUCH_PAGE)
    return language


LanguageDep = Annotated[str, Depends(_open)]
Text = Annotated[str, Query()]


def _filters(
    shown_in: str, q: str, strategy: str, subject: str, level: str, country: str, language: str
) -> Filters:
    """The search's filters; a value no practice could have gets a 400 naming the field."""
    for field, value in (("subject", subject), ("country", country), ("language", language)):
        if len(value) > FILTER_LIMIT:
            raise _bad(field, shown_in)
    if strategy and strategy not in {s.value for s in Strategy}:
        raise _bad("strategy", shown_in)
    if level and level not in {g.value for g in GradeBand}:
        raise _bad("level", shown_in)
    return Filters(
        words=q,
        strategy=Strategy(strategy) if strategy else None,
        subject=subject.strip() or None,
        grade_band=GradeBand(level) if level else None,
        country=country.strip() or None,
        language=language.strip() or None,
    )


def _page_number(page: str, shown_in: str) -> int:
    if not page:
        return 1
    if not page.isdigit() or not 1 <= int(page) <= public.MAX_PAGE:
        raise _bad("page", shown_in)
    return int(page)


@router.get("")
async def practices(
    request: Request,
    session: SessionDep,
    visitor_language: LanguageDep,
    q: Text = "",
    strategy: Text = "",
    subject: Text = "",
    level: Text = "",
    country: Text = "",
    language: Text = "",
    page: Text = "",
) -> Response:
    """Search the public practices, with filters, a page at a time."""
    filters = _filters(visitor_language, q, strategy, subject, level, country, language)
    number = _page_number(page, visitor_language)
    found = await public.search_public(session, filters=filters, page=number)
    countries, languages = await public.facets(session)
    asked = {
        "q": q,
        "strategy": strategy,
        "subject": subject,
        "level": level,
        "country": country,
        "language": language,
        "lang": request.query_params.get("lang", ""),
    }
    return public_page(
        request,
        "public_list.html",
        language=visitor_language,
        found=found,
        asked=asked,
        countries=countries,
        practice_languages=languages,
        strategy_labels=STRATEGY_LABELS,
        grade_band_labels=GRADE_BAND_LABELS,
        link=lambda **change: _link(asked, change),
        lang_link=lambda code: _link(asked, {"lang": code}),
    )


@router.get("/feed.atom")
async def feed(request: Request, session: SessionDep, visitor_language: LanguageDep) -> Response:
    """The newest public practices as an Atom feed."""
    entries = await public.newest(session)
    with use_language(visitor_language):
        title = _("Learning Circles: promising practices")
    body = _atom(str(request.base_url).rstrip("/"), title, entries)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/{practice_id}")
async def practice(
    request: Request, session: SessionDep, visitor_language: LanguageDep, practice_id: str
) -> Response:
    """One public practice on its own page, at a stable address."""
    if not practice_id.isdigit() or len(practice_id) > 12:
        raise WebError(404, NO_SUCH_PAGE)
    shown = await public.public_practice(session, practice_id=int(practice_id))
    lang = request.query_params.get("lang", "")
    return public_page(
        request,
        "public_practice.html",
        language=visitor_language,
        practice=shown,
        strategy_labels=STRATEGY_LABELS,
        grade_band_labels=GRADE_BAND_LABELS,
        section_labels=dict(SECTIONS),
        lang_query=f"?{urlencode({'lang': lang})}" if lang in SUPPORTED_LANGUAGES else "",
    )


def _link(asked: dict[str, str], change: dict[str, object]) -> str:
    """``/practices`` with the visitor's search and ``change`` as the query string."""
    params = {**asked, **{k: str(v) for k, v in change.items()}}
    query = urlencode({k: v for k, v in params.items() if v})
    return f"/practices?{query}" if query else "/practices"


def _atom(base: str, title: str, entries: list[public.PublicPractice]) -> bytes:
    """A valid Atom 1.0 document (RFC 4287) of ``entries``."""
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(root, f"{{{ATOM}}}id").text = f"{base}/practices/feed.atom"
    ET.SubElement(root, f"{{{ATOM}}}title").text = title
    newest = max((e.published_at or e.updated_at for e in entries), default=None)
    ET.SubElement(root, f"{{{ATOM}}}updated").text = (
        _stamp(newest) if newest else "1970-01-01T00:00:00Z"
    )
    ET.SubElement(root, f"{{{ATOM}}}link", rel="self", href=f"{base}/practices/feed.atom")
    ET.SubElement(root, f"{{{ATOM}}}link", rel="alternate", href=f"{base}/practices")
    # Atom wants an author for every entry: the repository's, unless the teacher is named.
    author = ET.SubElement(root, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "Learning Circles"
    for entry in entries:
        item = ET.SubElement(root, f"{{{ATOM}}}entry")
        url = f"{base}/practices/{entry.id}"
        ET.SubElement(item, f"{{{ATOM}}}id").text = url
        ET.SubElement(item, f"{{{ATOM}}}title").text = entry.title
        ET.SubElement(item, f"{{{ATOM}}}updated").text = _stamp(
            entry.published_at or entry.updated_at
        )
        if entry.published_at:
            ET.SubElement(item, f"{{{ATOM}}}published").text = _stamp(entry.published_at)
        ET.SubElement(item, f"{{{ATOM}}}link", rel="alternate", href=url)
        if entry.author_name:
            named = ET.SubElement(item, f"{{{ATOM}}}author")
            ET.SubElement(named, f"{{{ATOM}}}name").text = entry.author_name
        if entry.summary:
            summary = ET.SubElement(item, f"{{{ATOM}}}summary", type="text")
            summary.text = entry.summary
            summary.set(XML_LANG, entry.language.replace("_", "-"))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _stamp(when: datetime) -> str:
    """An RFC 3339 time in UTC (naive times from SQLite are UTC)."""
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
