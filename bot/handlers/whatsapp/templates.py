"""WhatsApp message templates: what a queued message becomes outside the 24-hour window.

WhatsApp lets a business write freely to a person only within 24 hours of that person's
last message; outside that window it may send only a template Meta approved. Every
message the bot starts itself (an outbox row: invitations, nudges, meeting news and
reminders, reflection invitations, review results, the practice digest, broadcasts, the
facilitator's digest) has a **utility** template, in every supported language.

The texts are data: ``templates/<name>.toml``, one file per template with its eight
languages (``templates/README.md`` says how to write one). What they stand for is code:
:mod:`bot.handlers.whatsapp.template_purposes` maps an outbox key to its template, its
parameters and its quick replies.

The sender calls :func:`for_purpose` with a row's key, its payload and the reader's
language when the window is closed (or WhatsApp answered 131047), and sends
:meth:`Filled.template`. ``Filled.complete`` is False when the template could not carry
the whole message (a long broadcast, a file): the sender keeps the message and sends it
as it is once the person writes again. :func:`check` is ``circles whatsapp templates
check``; :mod:`bot.handlers.whatsapp.template_sync` talks to Meta.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bot.flows.buttons import encode
from bot.flows.events import Event, Photo
from bot.flows.invitations import load_queued
from bot.handlers.whatsapp.template_purposes import (
    GROUP_KEY,
    PARAMETERS,
    PURPOSES,
    Purpose,
    purposes_of,
)
from circles.services.outbox import queued_event
from circles.settings import SUPPORTED_LANGUAGES
from circles.text import render

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

#: Meta's limits: characters of a body (also once its parameters are filled in), quick
#: replies the bot offers in one template, characters of a button's text.
BODY_LIMIT = 1024
BUTTONS_LIMIT = 3
BUTTON_TEXT_LIMIT = 20
#: The shortest a parameter is cut to when a body would be too long.
SHORTEST = 40
#: Meta's template names: lower case letters, digits and underscores.
NAME = re.compile(r"[a-z0-9_]{1,512}")
_PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")


# --- the catalog: the templates' texts -------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """One template in one language, as Meta stores it."""

    name: str
    language: str
    category: str
    body: str
    buttons: tuple[str, ...] = ()
    #: A sample value per parameter (Meta asks for them when a template is created).
    examples: tuple[str, ...] = ()

    def placeholders(self) -> list[int]:
        """The numbers of the body's ``{{n}}``, in order."""
        return [int(n) for n in _PLACEHOLDER.findall(self.body)]

    def fixed_length(self) -> int:
        """Characters of the body without its placeholders."""
        return len(_PLACEHOLDER.sub("", self.body))


@dataclass(frozen=True)
class Catalog:
    """Every template by (name, language), and what was wrong reading the files."""

    templates: dict[tuple[str, str], Template]
    params: dict[str, tuple[str, ...]]
    problems: tuple[str, ...] = ()

    def get(self, name: str, language: str) -> Template | None:
        return self.templates.get((name, language))


def load_catalog(directory: Path | None = None) -> Catalog:
    """Read every ``<name>.toml`` of ``directory`` (the repository's by default);
    unreadable parts become problems."""
    directory = directory or TEMPLATES_DIR
    templates: dict[tuple[str, str], Template] = {}
    params: dict[str, tuple[str, ...]] = {}
    problems: list[str] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            problems.append(f"{path.name}: not valid TOML: {exc}")
            continue
        name = data.get("name")
        if name != path.stem:
            problems.append(f"{path.name}: name is {name!r}, expected {path.stem!r}")
            continue
        params[name] = tuple(str(p) for p in data.get("params", []))
        languages = data.get("languages")
        if not isinstance(languages, dict):
            problems.append(f"{path.name}: no [languages.<code>] tables")
            continue
        for language, entry in languages.items():
            where = f"{name} ({language})"
            if not isinstance(entry, dict) or not isinstance(entry.get("body"), str):
                problems.append(f"{where}: no body")
                continue
            buttons, examples = entry.get("buttons", []), entry.get("examples", [])
            if not (isinstance(buttons, list) and isinstance(examples, list)) or not all(
                isinstance(v, str) for v in [*buttons, *examples]
            ):
                problems.append(f"{where}: buttons and examples must be lists of text")
                continue
            templates[(name, language)] = Template(
                name=name,
                language=language,
                category=str(data.get("category", "")),
                body=entry["body"],
                buttons=tuple(buttons),
                examples=tuple(examples),
            )
    return Catalog(templates, params, tuple(problems))


@cache
def catalog() -> Catalog:
    """The repository's templates (read once)."""
    return load_catalog()


def check(found: Catalog | None = None) -> list[str]:
    """Every problem of the catalog: coverage, parameters, buttons and Meta's limits."""
    found = found or catalog()
    problems = list(found.problems)
    expected = {p.name: p for p in PURPOSES}
    for name in sorted(found.params):
        if name not in expected:
            problems.append(f"{name}: no business-initiated message uses it (see PURPOSES)")
    for name, purpose in expected.items():
        if purpose.longer is not None and purpose.longer not in expected:
            problems.append(f"{name}: its longer form {purpose.longer!r} is no purpose")
        if name not in found.params:
            problems.append(f"{name}: no template file templates/{name}.toml")
            continue
        if found.params[name] != purpose.params:
            problems.append(
                f"{name}: params are {list(found.params[name])}, "
                f"the message gives {list(purpose.params)}"
            )
        for language in SUPPORTED_LANGUAGES:
            template = found.get(name, language)
            if template is None:
                problems.append(f"{name}: no {language} version")
            else:
                problems += _check_template(template, purpose)
    for name, language in sorted(found.templates):
        if name in expected and language not in SUPPORTED_LANGUAGES:
            problems.append(f"{name} ({language}): not a supported language")
    return problems


def _check_template(template: Template, purpose: Purpose) -> list[str]:
    where = f"{template.name} ({template.language})"
    body = template.body
    problems = []
    if template.category != "utility":
        problems.append(f"{where}: category is {template.category!r}, expected 'utility'")
    if not NAME.fullmatch(template.name):
        problems.append(f"{where}: a name has only a-z, 0-9 and _")
    if not body.strip():
        problems.append(f"{where}: the body is empty")
    if len(body) > BODY_LIMIT:
        problems.append(f"{where}: the body has {len(body)} characters, over {BODY_LIMIT}")
    numbers = template.placeholders()
    if numbers != list(range(1, len(purpose.params) + 1)):
        problems.append(
            f"{where}: the body has parameters {_braced(numbers)}, expected "
            + (_braced(range(1, len(purpose.params) + 1)) if purpose.params else "none")
            + " (each once, in order)"
        )
    if re.search(r"\{\{|\}\}", _PLACEHOLDER.sub("", body)):
        problems.append(f"{where}: a parameter is not written {{{{n}}}}")
    if _PLACEHOLDER.match(body.strip()) or re.search(r"\{\{\d+\}\}$", body.strip()):
        problems.append(f"{where}: a parameter starts or ends the body")
    if re.search(r"\{\{\d+\}\}\s*\{\{\d+\}\}", body):
        problems.append(f"{where}: two parameters are next to each other")
    if "\n\n\n" in body:
        problems.append(f"{where}: more than two line breaks in a row")
    if len(template.examples) != len(purpose.params):
        problems.append(
            f"{where}: {len(template.examples)} example(s) for {len(purpose.params)} parameter(s)"
        )
    for example in template.examples:
        if not example.strip() or re.search(r"[\n\t]| {5}", example):
            problems.append(f"{where}: example {example!r} is empty or has a line break or tab")
    if len(template.buttons) != len(purpose.buttons):
        problems.append(
            f"{where}: {len(template.buttons)} button(s), the message has {len(purpose.buttons)}"
        )
    if len(template.buttons) > BUTTONS_LIMIT:
        problems.append(f"{where}: more than {BUTTONS_LIMIT} buttons")
    for label in template.buttons:
        if not label.strip() or len(label) > BUTTON_TEXT_LIMIT:
            problems.append(
                f"{where}: button {label!r} has {len(label)} characters (1 to {BUTTON_TEXT_LIMIT})"
            )
    if len(set(template.buttons)) != len(template.buttons):
        problems.append(f"{where}: two buttons have the same text")
    return problems


def _braced(numbers: Iterable[int]) -> str:
    return " ".join(f"{{{{{n}}}}}" for n in numbers) or "none"


# --- filling a template for one queued message ---------------------------------------------


@dataclass(frozen=True)
class Filled:
    """A template ready to send in place of one queued message."""

    name: str
    language: str
    #: The body's parameters, plain text on one line each.
    params: tuple[str, ...]
    #: Each quick reply's payload (the codec's data of its action), in button order.
    payloads: tuple[str, ...]
    #: Whether the template says all the message said; if not, send the message itself
    #: once the person writes again.
    complete: bool = True

    def text(self, found: Catalog | None = None) -> str:
        """The body as the person will read it (a preview: the simulator, tests)."""
        template = (found or catalog()).get(self.name, self.language)
        if template is None:
            raise NoTemplate(f"no {self.language} template {self.name!r}")
        return _PLACEHOLDER.sub(lambda m: self.params[int(m[1]) - 1], template.body)

    def template(self) -> dict[str, Any]:
        """The ``template`` object of a Cloud API message."""
        components: list[dict[str, Any]] = []
        if self.params:
            components.append(
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": value} for value in self.params],
                }
            )
        components += [
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": str(index),
                "parameters": [{"type": "payload", "payload": payload}],
            }
            for index, payload in enumerate(self.payloads)
        ]
        template: dict[str, Any] = {"name": self.name, "language": {"code": self.language}}
        if components:
            template["components"] = components
        return template


class NoTemplate(LookupError):
    """A queued message that should have a template has none (``check`` would fail)."""


def for_purpose(
    key: str,
    payload: dict[str, Any] | None,
    language: str,
    found: Catalog | None = None,
) -> Filled | None:
    """The template that stands for the queued message ``payload`` with ``key``.

    None for a message no person's window concerns (a group's) and for rows queued before
    events (version 1), which wait for the window. Raises :class:`NoTemplate` for a key
    no purpose knows, or a purpose without a template (``check`` catches both).
    """
    if GROUP_KEY.fullmatch(key):
        return None
    data = queued_event(payload)
    if data is None:
        return None
    event = load_queued(data)
    if language not in SUPPORTED_LANGUAGES:
        language = SUPPORTED_LANGUAGES[0]
    candidates = purposes_of(key)
    if not candidates:
        raise NoTemplate(f"no template for messages keyed {key!r}")
    purpose = next((p for p in candidates if p.fits(event)), candidates[-1])
    return _fill(purpose, key, event, language, found or catalog())


def _fill(purpose: Purpose, key: str, event: Event, language: str, found: Catalog) -> Filled:
    template = found.get(purpose.name, language)
    if template is None:
        raise NoTemplate(f"no {language} template {purpose.name!r}")
    texts = [flatten(render(PARAMETERS[name](event), language)) for name in purpose.params]
    params, whole = fit(texts, BODY_LIMIT - template.fixed_length())
    # A file cannot ride in a text template: it follows once the person writes.
    complete = whole and not isinstance(event, Photo)
    if not complete and purpose.longer:
        longer = next(p for p in PURPOSES if p.name == purpose.longer)
        return _fill(longer, key, event, language, found)
    match = purpose.key.fullmatch(key)
    assert match is not None
    payloads = []
    for build in purpose.buttons:
        action = build(match, event)
        if action is None:
            raise NoTemplate(f"the message keyed {key!r} lacks the button its template has")
        payloads.append(encode(action))
    return Filled(purpose.name, language, tuple(params), tuple(payloads), complete)


#: Tabs and runs of spaces (a locale's no-break spaces in dates and numbers stay).
_SPACES = re.compile(r"[ \t]+")
#: Marks that end a sentence or introduce what follows, in the supported languages.
_SENTENCE_ENDS = (".", "!", "?", ":", ";", "…", "。", "？", "！", "：")
#: What stands for an empty parameter (Meta refuses empty ones).
EMPTY = "…"


def flatten(text: str) -> str:
    """``text`` on one line (Meta refuses line breaks, tabs and more than four spaces in a
    row): a line that ends a sentence or opens a list (".", "?", ":" …) is followed by a
    space, any other (a name, a heading, an item) by " · "; blank lines go."""
    out = ""
    for raw in text.splitlines():
        line = _SPACES.sub(" ", raw).strip()
        if not line:
            continue
        if out:
            out += " " if out.endswith(_SENTENCE_ENDS) else " · "
        out += line
    return out or EMPTY


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word's end, "…" marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 1)]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ·,;:.…") + "…"


def fit(texts: list[str], room: int) -> tuple[list[str], bool]:
    """The parameters cut so that together they take at most ``room`` characters, the
    longest first (a name or a date stays whole while a long text gives way); and whether
    nothing was cut."""
    values = list(texts)
    while sum(map(len, values)) > room:
        longest = max(range(len(values)), key=lambda i: len(values[i]))
        excess = sum(map(len, values)) - room
        target = max(len(values[longest]) - excess, SHORTEST)
        if target >= len(values[longest]):
            break  # every parameter is already as short as it may be
        values[longest] = shorten(values[longest], target)
    return values, values == texts


__all__ = [
    "BODY_LIMIT",
    "BUTTON_TEXT_LIMIT",
    "PURPOSES",
    "Catalog",
    "Filled",
    "NoTemplate",
    "Purpose",
    "Template",
    "catalog",
    "check",
    "flatten",
    "for_purpose",
    "load_catalog",
    "purposes_of",
]
