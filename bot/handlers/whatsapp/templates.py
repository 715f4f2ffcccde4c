"""WhatsApp message templates: what a queued message becomes outside the 24-hour window.

WhatsApp lets a business write freely to a person only within 24 hours of that person's
last message; outside that window it may send only a template Meta approved. Every
message the bot starts itself (an outbox row: invitations, nudges, meeting news and
reminders, reflection invitations, review results, the practice digest, broadcasts, the
facilitator's digest) has a **utility** template here, in every supported language.

The texts are data: ``templates/<name>.toml``, one file per template with its eight
languages (see ``templates/README.md``). What the texts mean is code: :data:`PURPOSES`
says which outbox key (``checkin-<id>-open``, ``broadcast-<id>``, …) a template stands
for, which parameters (``{{1}}``, ``{{2}}``) it takes from the queued event, and what its
quick-reply buttons carry — the codec's data of the action the Telegram button carries,
so a tap opens the same conversation step.

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from bot.flows.buttons import (
    Action,
    AdoptPractice,
    FacilitatorCommand,
    OpenCheckIn,
    ReadPractice,
    Reflect,
    Rsvp,
    StopDigest,
    encode,
)
from bot.flows.events import Event, Photo, Say, load_event
from circles.models import RsvpResponse
from circles.services.outbox import queued_event
from circles.settings import SUPPORTED_LANGUAGES
from circles.text import Join, Message, Part, Text, lines, render

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


# --- purposes: which queued message a template stands for ----------------------------------


def _first_message(text: Part) -> Message | None:
    """The first message id of ``text`` (a Join's first part), if any."""
    if isinstance(text, Message):
        return text
    if isinstance(text, Join) and text.parts:
        return _first_message(text.parts[0])
    return None


def _rest(text: Part) -> tuple[Part, ...]:
    """The parts of a Join after its first one (the details under a headline)."""
    return text.parts[1:] if isinstance(text, Join) else ()


def _param(name: str) -> Callable[[Event], Part]:
    def read(event: Event) -> Part:
        message = _first_message(_text(event))
        return message.params.get(name, "") if message is not None else ""

    return read


def _whole(event: Event) -> Part:
    return _text(event)


def _meeting(event: Event) -> Part:
    """When the meeting is (in the reader's timezone), where, and its agenda."""
    text = _text(event)
    return lines(_param("when")(event), *_rest(text))


def _comment(event: Event) -> Part:
    return lines(*_rest(_text(event)))


def _practice(event: Event) -> Part:
    """The practice card's head (title, strategies, facts, author), without the intro."""
    text = _text(event)
    return _Head(text.parts[-1]) if isinstance(text, Join) and text.parts else text


def _digest_week(event: Event) -> Part:
    text = _text(event)
    return text.parts[1] if isinstance(text, Join) and len(text.parts) > 1 else ""


def _digest_body(event: Event) -> Part:
    text = _text(event)
    return lines(*text.parts[2:]) if isinstance(text, Join) else text


@dataclass(frozen=True)
class _Head(Text):
    """The lines of ``text`` up to its first blank line, as the reader sees them."""

    text: Part

    def _render(self) -> str:
        head = []
        for line in render(self.text).split("\n"):
            if not line.strip():
                if head:
                    break
                continue
            head.append(line)
        return "\n".join(head)


def _text(event: Event) -> Part:
    if isinstance(event, Say):
        return event.text
    if isinstance(event, Photo):
        return event.caption
    return ""


#: What a template's ``{{n}}`` holds, by the name its file gives it.
PARAMETERS: dict[str, Callable[[Event], Part]] = {
    "question": _whole,
    "name": _param("name"),
    "meeting": _meeting,
    "title": _param("title"),
    "comment": _comment,
    "practice": _practice,
    "message": _whole,
    "week": _digest_week,
    "digest": _digest_body,
}

#: A quick reply's action, from the key's ids (``m``) and the queued event.
Payload = Callable[[re.Match[str], Event], Action | None]


def _actions(event: Event) -> Iterable[Action]:
    if isinstance(event, Say):
        for row in event.buttons:
            for button in row:
                yield button.action


def _open_checkin(match: re.Match[str], event: Event) -> Action | None:
    """Open the check-in at its first question (what every invitation button opens)."""
    if "checkin" in match.groupdict():
        return OpenCheckIn(int(match["checkin"]))
    found = next((a for a in _actions(event) if isinstance(a, OpenCheckIn)), None)
    return replace(found, value="") if found is not None else None


def _rsvp(answer: RsvpResponse) -> Payload:
    return lambda match, _event: Rsvp(int(match["meeting"]), answer)


def _has_open_button(event: Event) -> bool:
    return any(isinstance(a, OpenCheckIn) for a in _actions(event))


@dataclass(frozen=True)
class Purpose:
    """A kind of message the bot starts itself, and the template that carries it."""

    #: The template's name (its file is ``templates/<name>.toml``).
    name: str
    #: The outbox keys of such messages (``idempotency_key``), with their ids as groups.
    key: re.Pattern[str]
    #: Names of the parameters ``{{1}}``, ``{{2}}``… (keys of :data:`PARAMETERS`).
    params: tuple[str, ...] = ()
    #: Each quick reply's action, in the order of the template's buttons.
    buttons: tuple[Payload, ...] = ()
    #: Among purposes of the same key, whether this one is the event's.
    fits: Callable[[Event], bool] = lambda _event: True
    #: What an example key of such a message looks like (for the tests and ``check``).
    example: str = ""


def _purpose(name: str, key: str, example: str, *params: str, **more: Any) -> Purpose:
    return Purpose(name, re.compile(key), params, example=example, **more)


_MEETING = r"meeting-(?P<meeting>\d+)"
_RSVP = (
    _rsvp(RsvpResponse.yes),
    _rsvp(RsvpResponse.maybe),
    _rsvp(RsvpResponse.no),
)

#: Every message the bot starts itself, by its outbox key. Keys of messages to a group
#: (``…-group``) are not here: groups are Telegram's only.
PURPOSES: tuple[Purpose, ...] = (
    _purpose(
        "checkin_invitation",
        r"checkin-(?P<checkin>\d+)-open",
        "checkin-7-open",
        "question",
        buttons=(_open_checkin,),
    ),
    _purpose(
        "checkin_reminder",
        r"checkin-(?P<checkin>\d+)-nudge-\d+",
        "checkin-7-nudge-1",
        buttons=(_open_checkin,),
    ),
    _purpose(
        "facilitator_nudge",
        r"nudge-\d{4}-\d\d-\d\d",
        "nudge-2026-09-01",
        "name",
        buttons=(_open_checkin,),
        fits=_has_open_button,
    ),
    _purpose("facilitator_nudge_start", r"nudge-\d{4}-\d\d-\d\d", "nudge-2026-09-01", "name"),
    _purpose(
        "meeting_new", rf"{_MEETING}-new-\d+", "meeting-3-new-1790000000", "meeting", buttons=_RSVP
    ),
    _purpose(
        "meeting_moved",
        rf"{_MEETING}-moved-\d+",
        "meeting-3-moved-1790000000",
        "meeting",
        buttons=_RSVP,
    ),
    _purpose(
        "meeting_cancelled", rf"{_MEETING}-cancelled-\d+", "meeting-3-cancelled-1790000000", "meeting"
    ),
    _purpose("meeting_reminder_day", rf"{_MEETING}-24h-\d+", "meeting-3-24h-1790000000", "meeting"),
    _purpose("meeting_reminder_hour", rf"{_MEETING}-1h-\d+", "meeting-3-1h-1790000000", "meeting"),
    _purpose(
        "reflection_invitation",
        rf"{_MEETING}-reflect",
        "meeting-3-reflect",
        buttons=(lambda match, _event: Reflect(int(match["meeting"])),),
    ),
    _purpose(
        "review_published",
        r"practice-review-(?P<practice>\d+)-\d+",
        "practice-review-5-1",
        "title",
        # Approval is one sentence; a request for changes carries the comment below it.
        fits=lambda event: isinstance(_text(event), Message),
    ),
    _purpose(
        "review_changes",
        r"practice-review-(?P<practice>\d+)-\d+",
        "practice-review-5-2",
        "title",
        "comment",
    ),
    _purpose(
        "practice_digest",
        r"practice-share-\d+-(?P<practice>\d+)",
        "practice-share-2-5",
        "practice",
        buttons=(
            lambda match, _event: ReadPractice(int(match["practice"])),
            lambda match, _event: AdoptPractice(int(match["practice"])),
            lambda _match, _event: StopDigest(),
        ),
    ),
    _purpose("broadcast", r"broadcast-\d+", "broadcast-4", "message"),
    # The same broadcast when the template cannot hold it whole (see for_purpose).
    _purpose("broadcast_long", r"broadcast-\d+", "broadcast-4", "message", fits=lambda _e: False),
    _purpose(
        "facilitator_digest",
        r"digest-\d{4}-\d\d-\d+",
        "digest-2026-36-0",
        "week",
        "digest",
        buttons=(
            lambda _match, _event: FacilitatorCommand("summary"),
            lambda _match, _event: FacilitatorCommand("who"),
        ),
    ),
)

#: Messages to a group: no person's window, no template (WhatsApp groups are not used).
GROUP_KEY = re.compile(r"meeting-\d+-.+-group")


def purposes_of(key: str) -> list[Purpose]:
    """The purposes whose key ``key`` is (several when the event decides between them)."""
    return [p for p in PURPOSES if p.key.fullmatch(key)]


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


def load_catalog(directory: Path = TEMPLATES_DIR) -> Catalog:
    """Read every ``<name>.toml`` of ``directory``; unreadable parts become problems."""
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
            if not all(isinstance(v, str) for v in [*buttons, *examples]):
                problems.append(f"{where}: buttons and examples must be text")
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
            f"{where}: the body has parameters {['{{%d}}' % n for n in numbers]}, "
            f"expected {{{{1}}}}…{{{{{len(purpose.params)}}}}} once each, in order"
            if purpose.params
            else f"{where}: the body has parameters {['{{%d}}' % n for n in numbers]}, "
            "expected none"
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
                f"{where}: button {label!r} has {len(label)} characters "
                f"(1 to {BUTTON_TEXT_LIMIT})"
            )
    if len(set(template.buttons)) != len(template.buttons):
        problems.append(f"{where}: two buttons have the same text")
    return problems


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
    event = load_event(data)
    found = found or catalog()
    if language not in SUPPORTED_LANGUAGES:
        language = SUPPORTED_LANGUAGES[0]
    candidates = purposes_of(key)
    if not candidates:
        raise NoTemplate(f"no template for messages keyed {key!r}")
    purpose = next((p for p in candidates if p.fits(event)), candidates[-1])
    match = purpose.key.fullmatch(key)
    assert match is not None
    texts = [flatten(render(PARAMETERS[name](event), language)) for name in purpose.params]
    template = found.get(purpose.name, language)
    if template is None:
        raise NoTemplate(f"no {language} template {purpose.name!r}")
    params, whole = fit(texts, BODY_LIMIT - template.fixed_length())
    complete = whole and not isinstance(event, Photo)
    if purpose.name == "broadcast" and not complete:
        return for_long_broadcast(key, event, language, found)
    payloads = []
    for build in purpose.buttons:
        action = build(match, event)
        if action is None:
            raise NoTemplate(f"the message keyed {key!r} lacks the button its template has")
        payloads.append(encode(action))
    return Filled(purpose.name, language, tuple(params), tuple(payloads), complete)


def for_long_broadcast(key: str, event: Event, language: str, found: Catalog) -> Filled:
    """A broadcast too long for a template, or with a file: its beginning, and the rest later."""
    template = found.get("broadcast_long", language)
    if template is None:
        raise NoTemplate(f"no {language} template 'broadcast_long'")
    text = flatten(render(_whole(event), language))
    params, _whole_text = fit([text], BODY_LIMIT - template.fixed_length())
    return Filled("broadcast_long", language, tuple(params), (), complete=False)


#: What stands for an empty parameter (Meta refuses empty ones).
EMPTY = "…"


def flatten(text: str) -> str:
    """``text`` on one line: lines joined by " · " (after a colon, by a space), no tabs,
    no runs of spaces (Meta refuses line breaks, tabs and more than four spaces)."""
    out = ""
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        if out:
            out += " " if out.endswith((":", "：")) else " · "
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
    return cut.rstrip(" ·,;:") + "…"


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
    "Catalog",
    "Filled",
    "NoTemplate",
    "PURPOSES",
    "Purpose",
    "Template",
    "catalog",
    "check",
    "flatten",
    "for_purpose",
    "load_catalog",
    "purposes_of",
]
