"""Text to be translated later, for whoever reads it.

The bot and the services never hand a door a translated string: they build ``Text``
values — a message id and its parameters — and the door (or the outbox sender, at send
time) renders them in the recipient's language. A reminder queued on Monday and sent on
Tuesday is therefore in the language the teacher chose in between.

Build text with the two extraction keywords and a few helpers::

    t("Welcome to {circle}!", circle=circle.name)      # a message id, translated later
    tn("{n} week", "{n} weeks", n, n=n)                 # with its plural forms
    lines(t("Your practices:"), *names)                 # parts joined by a newline
    when(meeting.starts_at, person.timezone)            # a date, in the reader's locale
    number(3.5)                                         # a number, in the reader's locale

A plain ``str`` among parameters or parts is content (a name, an answer) and is shown as
it is. Every ``Text`` is JSON (``dump``/``load``), so the outbox stores it as it is.
``str(text)`` renders in the current language (the one ``use_language`` set), which
keeps tests and logs readable; doors call ``render(text, language)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, TypeAlias

from circles.i18n import (
    current_language,
    fill,
    format_datetime,
    format_number,
    language_name,
    translations,
    use_language,
)


class Text:
    """Something a person will read, rendered in their language when it is shown."""

    def _render(self) -> str:  # in the current language
        raise NotImplementedError

    def dump(self) -> Any:
        """This text as JSON-able data (see ``load``)."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self._render()

    def __add__(self, other: Part) -> Join:
        return Join((self, other), "")

    def __radd__(self, other: Part) -> Join:
        return Join((other, self), "")


#: What a parameter or a part may be: text to render, or content shown as it is.
Part: TypeAlias = "Text | str | int | float"


#: What may end a cut text before its one "…": spaces, and dots or an ellipsis of its own.
_BEFORE_ELLIPSIS = " .…·,;:"


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with one "…" marking the cut: "Exit tickets…",
    never "Exit tickets...…" (a title that ends in dots of its own loses them first)."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip(_BEFORE_ELLIPSIS) + "…"


def _part(value: Part) -> Any:
    return value._render() if isinstance(value, Text) else value


@dataclass(frozen=True, eq=True)
class Message(Text):
    """A message id with named parameters, and its plural when it has one."""

    msgid: str
    params: Mapping[str, Part] = field(default_factory=dict)
    plural: str | None = None
    n: int | None = None

    def __hash__(self) -> int:
        return hash((self.msgid, self.plural, self.n, tuple(sorted(self.params))))

    def _render(self) -> str:
        catalog = translations(current_language())
        if self.plural is not None:
            template = catalog.ngettext(self.msgid, self.plural, self.n or 0)
        else:
            template = catalog.gettext(self.msgid)
        params = {key: _part(value) for key, value in self.params.items()}
        return fill(template, current_language(), params)

    def dump(self) -> Any:
        data: dict[str, Any] = {"t": self.msgid}
        if self.params:
            data["p"] = {key: _dump(value) for key, value in self.params.items()}
        if self.plural is not None:
            data["pl"], data["n"] = self.plural, self.n
        return data


@dataclass(frozen=True)
class Join(Text):
    """Parts shown one after the other with ``separator`` between them."""

    parts: tuple[Part, ...]
    separator: str = "\n"

    def _render(self) -> str:
        return self.separator.join(str(_part(part)) for part in self.parts)

    def dump(self) -> Any:
        return {"j": [_dump(part) for part in self.parts], "s": self.separator}


@dataclass(frozen=True)
class Number(Text):
    """A number with the reader's decimal and grouping signs."""

    value: float

    def _render(self) -> str:
        return format_number(self.value)

    def dump(self) -> Any:
        return {"num": self.value}


@dataclass(frozen=True)
class When(Text):
    """A moment as weekday, date and time in ``timezone``, in the reader's locale."""

    moment: datetime
    timezone: str

    def _render(self) -> str:
        return format_datetime(self.moment, self.timezone)

    def dump(self) -> Any:
        return {"when": self.moment.astimezone(UTC).isoformat(), "tz": self.timezone}


@dataclass(frozen=True)
class Day(Text):
    """A calendar date in the reader's locale (``format`` is a Babel date format)."""

    day: date
    format: str = "medium"

    def _render(self) -> str:
        from babel.dates import format_date

        return format_date(self.day, self.format, locale=current_language())

    def dump(self) -> Any:
        return {"day": self.day.isoformat(), "f": self.format}


@dataclass(frozen=True)
class LanguageName(Text):
    """A language's name for itself (the same in every reader's language)."""

    code: str

    def _render(self) -> str:
        return language_name(self.code)

    def dump(self) -> Any:
        return {"lang": self.code}


@dataclass(frozen=True)
class Headline(Text):
    """The first line of ``text``, cut to ``limit`` characters ("…" marks a cut).

    Measured after translation: a button label made of a question's first line fits
    whatever language it is shown in.
    """

    text: Part
    limit: int

    def _render(self) -> str:
        return shorten(str(_part(self.text)).split("\n")[0], self.limit)

    def dump(self) -> Any:
        return {"head": _dump(self.text), "max": self.limit}


@dataclass(frozen=True)
class Days(Text):
    """A span of days ("Aug 24 – 30") in the reader's locale (``skeleton``: Babel's)."""

    first: date
    last: date
    skeleton: str = "MMMd"

    def _render(self) -> str:
        from babel.dates import format_interval

        return format_interval(self.first, self.last, self.skeleton, locale=current_language())

    def dump(self) -> Any:
        return {"days": [self.first.isoformat(), self.last.isoformat()], "f": self.skeleton}


@dataclass(frozen=True)
class Weekday(Text):
    """A day of the week by its number (Monday is 0), in the reader's language."""

    index: int

    def _render(self) -> str:
        from babel.dates import get_day_names

        return str(get_day_names("wide", locale=current_language())[self.index])

    def dump(self) -> Any:
        return {"weekday": self.index}


@dataclass(frozen=True)
class TimeOfDay(Text):
    """A time of day ("4:00 PM") in the reader's locale."""

    at: time

    def _render(self) -> str:
        from babel.dates import format_time

        return format_time(self.at, "short", locale=current_language())

    def dump(self) -> Any:
        return {"time": self.at.isoformat()}


@dataclass(frozen=True)
class Country(Text):
    """A country's name (ISO code) in the reader's language."""

    code: str

    def _render(self) -> str:
        from babel import Locale

        return str(Locale.parse(current_language()).territories.get(self.code, self.code))

    def dump(self) -> Any:
        return {"country": self.code}


@dataclass(frozen=True)
class Percent(Text):
    """A ratio (0.8) as a percentage ("80%") in the reader's locale."""

    value: float

    def _render(self) -> str:
        from babel.numbers import format_percent

        return format_percent(self.value, locale=current_language())

    def dump(self) -> Any:
        return {"pct": self.value}


@dataclass(frozen=True)
class Capitalized(Text):
    """``text`` with its first letter in capitals ("pilot" → "Pilot"), as ``str.capitalize``."""

    text: Part

    def _render(self) -> str:
        return str(_part(self.text)).capitalize()

    def dump(self) -> Any:
        return {"cap": _dump(self.text)}


@dataclass(frozen=True)
class LanguageInReader(Text):
    """A language's name in the reader's language (``pt_BR``: "Portuguese (Brazil)",
    "portugais (Brésil)", …); the code itself when Babel does not know it."""

    code: str

    def _render(self) -> str:
        from babel import Locale, UnknownLocaleError

        try:
            return Locale.parse(self.code).get_display_name(current_language()) or self.code
        except (ValueError, UnknownLocaleError):
            return self.code

    def dump(self) -> Any:
        return {"langr": self.code}


@dataclass(frozen=True)
class Foreign(Text):
    """``text`` for readers of another language than ``language``; nothing for its own.

    Languages compare by their base (``pt_BR`` readers read ``pt``): a note that a
    teacher's words are in another language is shown only to those who need it.
    """

    language: str
    text: Part

    def _render(self) -> str:
        if self.language.split("_")[0] == current_language().split("_")[0]:
            return ""
        return str(_part(self.text))

    def dump(self) -> Any:
        return {"foreign": self.language, "x": _dump(self.text)}


@dataclass(frozen=True)
class Cut(Text):
    """``text`` cut to ``limit`` characters ("…" marks a cut), measured after translation."""

    text: Part
    limit: int

    def _render(self) -> str:
        return shorten(str(_part(self.text)), self.limit)

    def dump(self) -> Any:
        return {"cut": _dump(self.text), "max": self.limit}


def t(msgid: str, /, **params: Part) -> Message:
    """``msgid`` (a message for translators), with named ``{placeholders}`` filled later."""
    return Message(msgid, params)


def tn(singular: str, plural: str, n: int, /, **params: Part) -> Message:
    """A message with plural forms, chosen for ``n`` in the reader's language."""
    return Message(singular, params, plural, n)


def quoted(text: Part) -> Message:
    """``text`` between the reader's language's quotation marks (“…”, « … », ‘…’)."""
    return t("“{text}”", text=text)


def lines(*parts: Part | None, separator: str = "\n") -> Join:
    """The parts (``None`` left out) one per line, or joined by ``separator``."""
    return Join(tuple(part for part in parts if part is not None), separator)


def join(parts: Iterable[Part], separator: str = "\n") -> Join:
    """Like ``lines`` for an iterable."""
    return Join(tuple(parts), separator)


def headline(text: Part, limit: int) -> Headline:
    """The first line of ``text`` as the reader sees it, at most ``limit`` characters."""
    return Headline(text, limit)


def number(value: float) -> Number:
    return Number(value)


def when(moment: datetime, timezone: str) -> When:
    return When(moment, timezone)


def render(text: Part, language: str | None = None) -> str:
    """``text`` as the reader of ``language`` (default: the current language) sees it."""
    if not isinstance(text, Text):
        return str(text)
    if language is None:
        return text._render()
    with use_language(language):
        return text._render()


def _dump(value: Part) -> Any:
    if isinstance(value, Text):
        return value.dump()
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError(f"not text: {type(value).__name__}")
    return value


def load(data: Any) -> Part:
    """The text ``dump`` wrote (strings and numbers come back as they are)."""
    if isinstance(data, str | int | float):
        return data
    if not isinstance(data, dict):
        raise ValueError("not dumped text")
    if "t" in data:
        params = {key: load(value) for key, value in data.get("p", {}).items()}
        return Message(data["t"], params, data.get("pl"), data.get("n"))
    if "j" in data:
        return Join(tuple(load(part) for part in data["j"]), data.get("s", "\n"))
    if "num" in data:
        return Number(data["num"])
    if "when" in data:
        return When(datetime.fromisoformat(data["when"]), data["tz"])
    if "day" in data:
        return Day(date.fromisoformat(data["day"]), data.get("f", "medium"))
    if "lang" in data:
        return LanguageName(data["lang"])
    if "head" in data:
        return Headline(load(data["head"]), int(data["max"]))
    if "days" in data:
        first, last = data["days"]
        return Days(date.fromisoformat(first), date.fromisoformat(last), data.get("f", "MMMd"))
    if "weekday" in data:
        return Weekday(data["weekday"])
    if "time" in data:
        return TimeOfDay(time.fromisoformat(data["time"]))
    if "country" in data:
        return Country(data["country"])
    if "pct" in data:
        return Percent(data["pct"])
    if "cap" in data:
        return Capitalized(load(data["cap"]))
    if "langr" in data:
        return LanguageInReader(data["langr"])
    if "foreign" in data:
        return Foreign(data["foreign"], load(data["x"]))
    if "cut" in data:
        return Cut(load(data["cut"]), int(data["max"]))
    raise ValueError("not dumped text")


__all__ = [
    "Capitalized",
    "Country",
    "Cut",
    "Day",
    "Days",
    "Foreign",
    "Headline",
    "Join",
    "LanguageInReader",
    "LanguageName",
    "Message",
    "Number",
    "Part",
    "Percent",
    "Text",
    "TimeOfDay",
    "Weekday",
    "When",
    "headline",
    "join",
    "lines",
    "load",
    "number",
    "render",
    "t",
    "tn",
    "when",
]
