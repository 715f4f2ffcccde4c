"""``circles flows check``: every flow definition is sound and translated, and the live
flows ask every question key the code reads (:mod:`circles.questions`)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from bot.flows import effects
from bot.flows.definition import (
    DEFINITIONS_DIR,
    AnswerType,
    Flow,
    FlowDefinitionError,
    FlowLibrary,
    Step,
    load_library,
)
from bot.flows.engine import CHANGE, KEEP
from circles.i18n import LOCALES_DIR
from circles.questions import Holds, Question
from circles.settings import SUPPORTED_LANGUAGES

_CHOICE_TYPES = (AnswerType.single_choice, AnswerType.yes_no, AnswerType.scale)
#: What the engine stores for each answer type, as the readers of a question key see it.
HOLDS = {
    AnswerType.short_text: Holds.text,
    AnswerType.long_text: Holds.text,
    AnswerType.media: Holds.text,
    AnswerType.single_choice: Holds.choice,
    AnswerType.yes_no: Holds.choice,
    AnswerType.multi_choice: Holds.choices,
    AnswerType.scale: Holds.number,
    AnswerType.number: Holds.number,
}
#: The product's packages, under the directory that holds ``circles`` (the repository or
#: site-packages); their modules name the question keys they read as ``Question.<key>``.
PRODUCT_ROOT = Path(__file__).resolve().parents[2]
_PACKAGES = ("api", "bot", "circles", "circles_cli", "scheduler")
_NAMED = re.compile(r"\bQuestion\.([a-z][a-z0-9_]*)\b")


#: The answer types a prefill can be kept as (one text, one choice or one number).
_PREFILLABLE = (
    AnswerType.short_text,
    AnswerType.long_text,
    AnswerType.single_choice,
    AnswerType.yes_no,
    AnswerType.number,
    AnswerType.scale,
)


def _prefill_problems(step: Step, where: str) -> list[str]:
    """A prefilled step offers "Keep" / "Change": it must store one value, and none of its
    own choices may be called like those two buttons."""
    if not step.prefill:
        return []
    if step.type not in _PREFILLABLE:
        return [f"{where}: a {step.type} step cannot be prefilled"]
    clash = {KEEP, CHANGE} & set(step.values)
    return [f"{where}: a prefilled step has a choice {sorted(clash)[0]!r}"] if clash else []


def check_structure(flow: Flow) -> list[str]:
    """Conditions that name unknown or later steps or impossible values; unreachable steps."""
    problems = []
    seen: dict[str, tuple[str, ...]] = {}
    ended_unconditionally = None
    for step in flow.steps:
        where = f"{flow.source}: step {step.key}"
        if step.key in seen:
            problems.append(f"{where}: the key is used twice")
        if ended_unconditionally is not None and not step.when:
            problems.append(f"{where}: unreachable, {ended_unconditionally} always ends the flow")
        for key, wanted in step.when:
            if key not in seen:
                problems.append(f"{where}: condition on unknown or later step {key!r}")
                continue
            if seen[key] and not set(wanted) & set(seen[key]):
                problems.append(f"{where}: unreachable, {key} can never be {'/'.join(wanted)}")
        seen[step.key] = step.values if step.type in _CHOICE_TYPES or step.choices else ()
        if step.end and not step.when:
            ended_unconditionally = step.key
        problems += _prefill_problems(step, where)
        if step.skip_label and not step.optional:
            problems.append(f"{where}: a skip_label needs optional = true")
    registered = effects.names()
    problems += [
        f"{flow.source}: unknown effect {name!r}"
        for name in dict.fromkeys(flow.effects)
        if name not in registered
    ]
    return problems


def readers(root: Path = PRODUCT_ROOT) -> dict[Question, list[str]]:
    """The modules that name each declared question key, as paths from ``root``."""
    found: dict[Question, list[str]] = {question: [] for question in Question}
    for package in _PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            for name in sorted(set(_NAMED.findall(path.read_text(encoding="utf-8")))):
                if name in Question.__members__:
                    found[Question[name]].append(path.relative_to(root).as_posix())
    return found


def check_questions(library: FlowLibrary) -> list[str]:
    """Declared question keys that no live flow version asks, or that a step of any
    version asks with an answer type that does not give what the key's readers take."""
    declared = {question.value: question for question in Question}
    live = [library.latest(flow_id) for flow_id in dict.fromkeys(f for f, _ in library.flows)]
    asked = {step.key for flow in live for step in flow.steps}
    missing = [question for question in Question if question.value not in asked]
    clashes = [
        (flow, step, declared[step.key])
        for flow in library.flows.values()
        for step in flow.steps
        if step.key in declared and HOLDS[step.type] is not declared[step.key].holds
    ]
    if not missing and not clashes:
        return []
    named = readers()

    def used_by(question: Question) -> str:
        return ", ".join(named[question]) or "nothing but circles/questions.py"

    problems = [
        f"question {question.value!r} is used by {used_by(question)} but asked by no live "
        "flow version (declared in circles/questions.py)"
        for question in missing
    ]
    problems += [
        f"{flow.source}: step {step.key} is {step.type}, which stores {HOLDS[step.type]}, "
        f"but question {question.value!r} is read as {question.holds} by {used_by(question)} "
        "(declared in circles/questions.py)"
        for flow, step, question in clashes
    ]
    return problems


def flow_messages(flow: Flow) -> list[str]:
    """Every translatable text of ``flow``."""
    texts = [t for t in (flow.title, flow.intro, flow.outro) if t]
    for step in flow.steps:
        texts.append(step.prompt)
        if step.skip_label:
            texts.append(step.skip_label)
        if step.translate_labels:
            texts += [choice.label for choice in step.choices]
    return texts


def check_translations(flows: list[Flow], locales: Path = LOCALES_DIR) -> list[str]:
    """Flow texts missing, empty or fuzzy in a catalog."""
    problems = []
    for language in SUPPORTED_LANGUAGES:
        if language == "en":
            continue
        path = locales / language / "LC_MESSAGES" / "messages.po"
        if not path.exists():
            problems.append(f"{language}: no catalog at {path}")
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle)
        for flow in flows:
            for text in flow_messages(flow):
                message = catalog.get(text)
                if message is None or not message.string or message.fuzzy:
                    first = text.splitlines()[0][:50]
                    problems.append(f"{language}: {flow.source} not translated: {first!r}")
    return problems


def check_flows(directory: Path = DEFINITIONS_DIR, locales: Path = LOCALES_DIR) -> list[str]:
    """All problems found in the flow files of ``directory``; empty when all is well."""
    try:
        library = load_library(directory)
    except FlowDefinitionError as exc:
        return [str(exc)]
    flows = list(library.flows.values())
    problems = [problem for flow in flows for problem in check_structure(flow)]
    problems += check_questions(library)
    return problems + check_translations(flows, locales)
