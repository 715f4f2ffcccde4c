"""Every catalog is complete, current and well-formed; flows check clean; dates per locale."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.flows.check import check_flows
from circles.i18n import LOCALES_DIR, format_datetime, format_number
from circles.settings import SUPPORTED_LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = [language for language in SUPPORTED_LANGUAGES if language != "en"]
PLACEHOLDER = re.compile(r"\{\w+\}")


def _catalog(language: str):
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def _source_messages() -> set[str]:
    """Every message id in the code, flow files and web templates, extracted now."""
    method_map = [
        ("**.py", "python"),
        ("**.toml", "bot.flows.extract:extract_flows"),
        ("**/templates/**.html", "jinja2.ext:babel_extract"),
    ]
    found: set[str] = set()
    for folder in ("circles", "bot", "api", "scheduler"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder,
            method_map,
            keywords={"_": None, "N_": None, "ngettext": (1, 2), "t": None, "tn": (1, 2)},
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_template_is_current_with_the_code() -> None:
    """Fails when a string was added without running ``make messages``."""
    with (LOCALES_DIR / "messages.pot").open("rb") as handle:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert _source_messages() == template


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_the_same_placeholders(language: str) -> None:
    catalog = _catalog(language)
    with (LOCALES_DIR / "messages.pot").open("rb") as handle:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert translated == template
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert not message.fuzzy, message.id
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for string in strings:
            assert string, f"{language}: {message.id!r} is not translated"
            assert set(PLACEHOLDER.findall(string)) == wanted, (language, message.id, string)
            assert string.format(**{p[1:-1]: "x" for p in wanted})  # formats without errors


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_forms_fit_the_language(language: str) -> None:
    catalog = _catalog(language)
    expected = get_plural(language).num_plurals
    assert catalog.num_plurals == expected
    assert catalog.plural_expr == get_plural(language).plural_expr
    for message in catalog:
        if isinstance(message.id, tuple):
            assert len(message.string) == expected and all(message.string), message.id


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_is_current(language: str) -> None:
    """``make translations`` has compiled what the .po file says."""
    compiled = Translations.load(str(LOCALES_DIR), [language], "messages")
    assert isinstance(compiled, Translations), f"no compiled catalog for {language}"
    for message in _catalog(language):
        if message.id and isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string, message.id


def test_flows_are_sound_and_translated() -> None:
    assert check_flows() == []


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ko", "2026년 9월 14일 (월) 오후 6:00"),
        ("pt_BR", "seg., 14 de set. de 2026 18:00"),
        ("de", "Mo., 14. Sept. 2026, 18:00"),
        ("en", "Mon, Sep 14, 2026, 6:00\u202fPM"),
    ],
)
def test_dates_are_shown_in_the_readers_language_and_timezone(language, expected) -> None:
    when = datetime(2026, 9, 14, 16, 0, tzinfo=UTC)
    assert format_datetime(when, "Europe/Zurich", language) == expected


def test_numbers_follow_the_locale() -> None:
    assert format_number(2000, "en") == "2,000"
    assert format_number(2000, "de") == "2.000"
    assert format_number(2.5, "pt_BR") == "2,5"
