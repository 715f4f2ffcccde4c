"""Translations and locale-aware formatting.

The language of the current update, request or job lives in a ``ContextVar``; nothing
installs gettext globally. Translate first, then fill named placeholders::

    _("Welcome to {circle}!").format(circle=name)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_time
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from circles.settings import SUPPORTED_LANGUAGES, normalize_language

DOMAIN = "messages"


def _locales_dir() -> Path:
    """The catalogs: packaged in an installed wheel (see setup.py), else the repository's."""
    packaged = Path(__file__).resolve().parent / "locales"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[1] / "locales"


LOCALES_DIR = _locales_dir()

_language: ContextVar[str] = ContextVar("circles_language", default="en")


@cache
def translations(language: str) -> NullTranslations:
    """Return the compiled catalog for ``language`` (an empty one for English)."""
    if language == "en":
        return NullTranslations()
    return Translations.load(str(LOCALES_DIR), [language], DOMAIN)


def current_language() -> str:
    """The language of whatever is being handled now."""
    return _language.get()


@contextmanager
def use_language(language: str | None, fallback: str = "en") -> Iterator[str]:
    """Make ``language`` (or the nearest supported one, else ``fallback``) current in a block."""
    chosen = (language and normalize_language(language)) or fallback
    token = _language.set(chosen)
    try:
        yield chosen
    finally:
        _language.reset(token)


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate with the plural form the current language uses for ``n``."""
    return translations(current_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (for data and errors)."""
    return message


def translate(message: str, language: str | None = None, **params: object) -> str:
    """Translate ``message`` into ``language`` (default: current) and fill its placeholders."""
    if language is None:
        text = _(message)
    else:
        with use_language(language):
            text = _(message)
    return text.format(**params) if params else text


def format_datetime(when: datetime, timezone: str, language: str | None = None) -> str:
    """Weekday, date and time in the reader's timezone and language, without seconds.

    ``Mon, Sep 14, 2026, 4:00 PM`` in English, ``2026년 9월 14일 (월) PM 4:00`` in Korean.
    """
    locale = Locale.parse(language or current_language())
    local = when.astimezone(ZoneInfo(timezone))
    date = format_skeleton("yMMMEd", local, locale=locale)
    clock = format_time(local, "short", locale=locale)
    return str(locale.datetime_formats["medium"]).replace("{1}", date).replace("{0}", clock)


def format_number(value: float, language: str | None = None) -> str:
    """Format a number with the reader's decimal and grouping signs."""
    return format_decimal(value, locale=Locale.parse(language or current_language()))


def language_name(language: str) -> str:
    """The language's own name for itself (``pt_BR`` → ``português (Brasil)``)."""
    return Locale.parse(language).get_display_name(Locale.parse(language)) or language


__all__ = [
    "N_",
    "SUPPORTED_LANGUAGES",
    "_",
    "current_language",
    "format_datetime",
    "format_number",
    "language_name",
    "ngettext",
    "translate",
    "use_language",
]
