"""Translations and locale-aware formatting.

The language of the current update, request or job lives in a ``ContextVar``; nothing
installs gettext globally. Translate first, then fill named placeholders::

    _("Welcome to {circle}!").format(circle=name)
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
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
        return fill(_(message), current_language(), params)
    with use_language(language):
        return fill(_(message), language, params)


def fill(template: str, language: str, params: Mapping[str, object]) -> str:
    """Fill a translated template's placeholders; in Korean, choose the particles written
    both ways after a placeholder (``‘{title}’을(를)``) for the word put there."""
    if not params:
        return template
    text = template.format(**params)
    return korean_particles(text) if language.startswith("ko") else text


#: Korean particles that depend on whether the word before ends in a consonant (batchim):
#: as translators write them both ways, and the form after a consonant / after a vowel.
_PARTICLES = {
    "을(를)": ("을", "를"),
    "를(을)": ("을", "를"),
    "이(가)": ("이", "가"),
    "가(이)": ("이", "가"),
    "은(는)": ("은", "는"),
    "는(은)": ("은", "는"),
    "과(와)": ("과", "와"),
    "와(과)": ("과", "와"),
    "(으)로": ("으로", "로"),
    "(이)나": ("이나", "나"),
    "(이)에요": ("이에요", "예요"),
    "(이)라는": ("이라는", "라는"),
}
_BOTH_WAYS = re.compile(
    r"(.)([’”\"'»)\]」』]*)(" + "|".join(re.escape(p) for p in _PARTICLES) + ")"
)
_RIEUL = 8  # the final ㄹ: "(으)로" reads "로" after it, as after a vowel
#: The final consonant of a digit or a Latin letter as Koreans read it (0: none).
_READ_FINALS = {
    **dict(zip("0123456789", (21, 8, 0, 16, 0, 0, 1, 8, 8, 0), strict=True)),
    **dict.fromkeys("bcdgkpt", 1),
    "l": _RIEUL,
    "m": 16,
    "n": 4,
}


def _final(character: str) -> int:
    """The final consonant (jongseong index) of ``character`` as read in Korean; 0: none."""
    code = ord(character) - 0xAC00
    if 0 <= code < 11172:  # a Hangul syllable
        return code % 28
    return _READ_FINALS.get(character.lower(), 0)


def korean_particles(text: str) -> str:
    """Each particle written both ways, chosen for the word before it: ``‘수업’을(를)`` →
    ``‘수업’을``, ``‘퀴즈’을(를)`` → ``‘퀴즈’를``, ``영어(으)로`` → ``영어로``."""

    def choose(match: re.Match[str]) -> str:
        before, closing, both = match.groups()
        after_consonant, after_vowel = _PARTICLES[both]
        final = _final(before)
        if both == "(으)로":
            chosen = after_vowel if final in (0, _RIEUL) else after_consonant
        else:
            chosen = after_consonant if final else after_vowel
        return before + closing + chosen

    return _BOTH_WAYS.sub(choose, text)


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
    "fill",
    "format_datetime",
    "format_number",
    "korean_particles",
    "language_name",
    "ngettext",
    "translate",
    "use_language",
]
