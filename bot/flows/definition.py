"""Flow definitions: versioned TOML data files, loaded into frozen dataclasses.

A flow is an ordered list of steps. Each step asks one question with an answer type,
may be optional (a Skip button), and may carry a condition on earlier answers
(``when = { tried = ["yes", "partly"] }``); ``end = true`` ends the flow after it.
Prompts and labels are English message ids, translated when shown; they are
extracted for translators by :mod:`bot.flows.extract`.

Files are named ``<flow id>.v<version>.toml``. A run stays on the version it
started with, so an edited flow gets a new file and a higher version.

A flow names the effects it runs (registered in :mod:`bot.flows.effects` by the domain
modules): ``on_complete`` for the flow; ``on_answer`` (applied right after the answer is
stored), ``check`` (validates typed text), ``suggest`` (extra answer buttons) and
``current`` (the choice in effect, ticked), ``recall`` (what the person said before,
shown above the question) and ``prefill`` (an answer the person already gave elsewhere,
offered with "Keep" / "Change" instead of asking it again) for a step. These names were added to the
existing version files when the engine's switchboard became the registry: that did not
change any version's behaviour (the same code runs at the same points), which is the
only reason an existing version file may be edited. A flow whose effects change gets a
new version.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from circles.services.showcase import GRADE_BAND_LABELS
from circles.services.summaries import STRATEGY_LABELS

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"
_FILENAME = re.compile(r"^(?P<id>[a-z][a-z0-9_]*)\.v(?P<version>[1-9][0-9]*)\.toml$")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
_VALUE = re.compile(r"^[A-Za-z0-9_]{1,20}$")
_STEP_EFFECTS = ("on_answer", "check", "suggest", "current", "recall", "prefill")


class AnswerType(StrEnum):
    """What a step accepts."""

    short_text = "short_text"  # one line, up to 200 characters
    long_text = "long_text"  # up to 2,000 characters, or a voice note
    single_choice = "single_choice"
    multi_choice = "multi_choice"
    scale = "scale"  # 1–5 buttons
    number = "number"  # typed, within min..max
    media = "media"  # a photo or document, with optional caption
    yes_no = "yes_no"


#: Longest accepted answers, in characters.
SHORT_TEXT_LIMIT = 200
LONG_TEXT_LIMIT = 2000


class FlowDefinitionError(ValueError):
    """A flow file is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Choice:
    """One button of a choice step: a stable value and a translatable label."""

    value: str
    label: str


@dataclass(frozen=True)
class Step:
    """One question."""

    key: str
    type: AnswerType
    prompt: str
    optional: bool = False
    #: The label of an optional step's Skip button, where "Skip" would be ambiguous
    #: (``/skip``'s reason: "No reason", not a "Skip" that seems to skip the skipping).
    skip_label: str | None = None
    choices: tuple[Choice, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    accept_media: bool = False  # long text that may also be a photo (evidence)
    accept_voice: bool = True  # long text that may also be a voice note
    translate_labels: bool = True  # False for labels in their own language (language names)
    when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    end: bool = False
    on_answer: str | None = None  # effect names, see bot.flows.effects
    check: str | None = None
    suggest: str | None = None
    current: str | None = None
    recall: str | None = None
    prefill: str | None = None

    @property
    def effects(self) -> tuple[str, ...]:
        """The effect names this step uses."""
        named = (self.on_answer, self.check, self.suggest, self.current, self.recall, self.prefill)
        return tuple(name for name in named if name)

    def choice(self, value: str) -> Choice | None:
        """The choice with ``value``, if this step has it."""
        return next((c for c in self.choices if c.value == value), None)

    @property
    def values(self) -> tuple[str, ...]:
        """Every value a button of this step can carry."""
        if self.type is AnswerType.scale:
            return tuple(str(n) for n in range(1, 6))
        if self.type is AnswerType.yes_no:
            return ("yes", "no")
        return tuple(c.value for c in self.choices)


@dataclass(frozen=True)
class Flow:
    """A versioned conversation."""

    id: str
    version: int
    title: str
    intro: str | None
    outro: str | None
    steps: tuple[Step, ...]
    source: str = field(default="", compare=False)
    on_complete: str | None = None  # an effect name, see bot.flows.effects

    @property
    def effects(self) -> tuple[str, ...]:
        """Every effect name this flow and its steps use."""
        own = (self.on_complete,) if self.on_complete else ()
        return own + tuple(name for step in self.steps for name in step.effects)

    def step(self, key: str) -> Step:
        """The step called ``key``."""
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(f"{self.id} v{self.version} has no step {key!r}")

    def index(self, key: str) -> int:
        """The position of step ``key``."""
        return self.steps.index(self.step(key))


@cache
def shared_choices() -> dict[str, list[dict[str, str]]]:
    """Lists of choices that several flows ask, named in a step as ``choices = "<name>"``.

    ``school_levels`` is the one list of school levels: onboarding asks which level a
    teacher teaches, codify which stage of schooling a practice was used with.
    ``strategies`` are the five formative assessment strategies. Their labels are the
    repository's (marked for translation there).
    """
    named = {"school_levels": GRADE_BAND_LABELS, "strategies": STRATEGY_LABELS}
    return {
        name: [{"value": str(value), "label": label} for value, label in labels.items()]
        for name, labels in named.items()
    }


def _text(data: dict[str, Any], name: str, where: str, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise FlowDefinitionError(f"{where}: '{name}' must be a non-empty string")
    return value


def _step(data: dict[str, Any], where: str) -> Step:
    key = _text(data, "key", where)
    assert key is not None
    if not _KEY.match(key):
        raise FlowDefinitionError(f"{where}: key {key!r} must be snake_case, at most 20 chars")
    where = f"{where} ({key})"
    try:
        kind = AnswerType(data.get("type"))
    except ValueError:
        known = ", ".join(AnswerType)
        raise FlowDefinitionError(
            f"{where}: unknown type {data.get('type')!r}; use {known}"
        ) from None
    choices = []
    listed = data.get("choices", [])
    if isinstance(listed, str):
        if listed not in shared_choices():
            known = ", ".join(shared_choices())
            raise FlowDefinitionError(f"{where}: unknown list of choices {listed!r}; use {known}")
        listed = shared_choices()[listed]
    for raw in listed:
        value, label = raw.get("value"), raw.get("label")
        if not isinstance(value, str) or not _VALUE.match(value) or not isinstance(label, str):
            raise FlowDefinitionError(f"{where}: each choice needs a value and a label")
        choices.append(Choice(value, label))
    if kind in (AnswerType.single_choice, AnswerType.multi_choice) and len(choices) < 2:
        raise FlowDefinitionError(f"{where}: a {kind} step needs at least two choices")
    if kind not in (AnswerType.single_choice, AnswerType.multi_choice) and choices:
        raise FlowDefinitionError(f"{where}: only choice steps have choices")
    minimum, maximum = data.get("min"), data.get("max")
    if kind is AnswerType.number and (minimum is None or maximum is None or minimum >= maximum):
        raise FlowDefinitionError(f"{where}: a number step needs min < max")
    when = []
    for other, wanted in (data.get("when") or {}).items():
        values = (wanted,) if isinstance(wanted, str) else tuple(wanted)
        when.append((other, values))
    unknown = set(data) - {
        "key",
        "type",
        "prompt",
        "optional",
        "choices",
        "min",
        "max",
        "accept_media",
        "when",
        "end",
        "translate_labels",
        "accept_voice",
        "skip_label",
        *_STEP_EFFECTS,
    }
    if unknown:
        raise FlowDefinitionError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    prompt = _text(data, "prompt", where)
    assert prompt is not None
    return Step(
        key=key,
        type=kind,
        prompt=prompt,
        optional=bool(data.get("optional", False)),
        skip_label=_text(data, "skip_label", where, required=False),
        choices=tuple(choices),
        minimum=minimum,
        maximum=maximum,
        accept_media=bool(data.get("accept_media", False)),
        translate_labels=bool(data.get("translate_labels", True)),
        accept_voice=bool(data.get("accept_voice", True)),
        when=tuple(when),
        end=bool(data.get("end", False)),
        on_answer=_text(data, "on_answer", where, required=False),
        check=_text(data, "check", where, required=False),
        suggest=_text(data, "suggest", where, required=False),
        current=_text(data, "current", where, required=False),
        recall=_text(data, "recall", where, required=False),
        prefill=_text(data, "prefill", where, required=False),
    )


def parse_flow(path: Path) -> Flow:
    """Read one flow file; raise :class:`FlowDefinitionError` naming what is wrong."""
    match = _FILENAME.match(path.name)
    if match is None:
        raise FlowDefinitionError(f"{path.name}: name flow files '<id>.v<version>.toml'")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise FlowDefinitionError(f"{path.name}: {exc}") from None
    if data.get("id") != match["id"] or data.get("version") != int(match["version"]):
        raise FlowDefinitionError(f"{path.name}: id and version must match the file name")
    steps = tuple(
        _step(raw, f"{path.name} step {n + 1}") for n, raw in enumerate(data.get("steps", []))
    )
    if not steps:
        raise FlowDefinitionError(f"{path.name}: a flow needs at least one step")
    title = _text(data, "title", path.name)
    assert title is not None
    return Flow(
        id=data["id"],
        version=data["version"],
        title=title,
        intro=_text(data, "intro", path.name, required=False),
        outro=_text(data, "outro", path.name, required=False),
        steps=steps,
        source=path.name,
        on_complete=_text(data, "on_complete", path.name, required=False),
    )


@dataclass(frozen=True)
class FlowLibrary:
    """Every version of every flow."""

    flows: dict[tuple[str, int], Flow]

    def get(self, flow_id: str, version: int) -> Flow:
        """One exact version (what a running conversation uses)."""
        return self.flows[(flow_id, version)]

    def latest(self, flow_id: str) -> Flow:
        """The newest version of ``flow_id`` (what a new conversation uses)."""
        versions = [v for (fid, v) in self.flows if fid == flow_id]
        if not versions:
            raise KeyError(f"no flow {flow_id!r}")
        return self.flows[(flow_id, max(versions))]


def load_library(directory: Path = DEFINITIONS_DIR) -> FlowLibrary:
    """Load every ``*.toml`` flow in ``directory``."""
    flows = {}
    for path in sorted(directory.glob("*.toml")):
        flow = parse_flow(path)
        flows[(flow.id, flow.version)] = flow
    return FlowLibrary(flows)


@cache
def library() -> FlowLibrary:
    """The flows shipped with the product (loaded once)."""
    return load_library()
