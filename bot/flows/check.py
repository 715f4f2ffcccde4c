"""``circles flows check``: every flow definition is sound and translated."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from bot.flows import effects
from bot.flows.definition import (
    DEFINITIONS_DIR,
    AnswerType,
    Flow,
    FlowDefinitionError,
    load_library,
)
from circles.i18n import LOCALES_DIR
from circles.settings import SUPPORTED_LANGUAGES

_CHOICE_TYPES = (AnswerType.single_choice, AnswerType.yes_no, AnswerType.scale)


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
    registered = effects.names()
    problems += [
        f"{flow.source}: unknown effect {name!r}"
        for name in dict.fromkeys(flow.effects)
        if name not in registered
    ]
    return problems


def flow_messages(flow: Flow) -> list[str]:
    """Every translatable text of ``flow``."""
    texts = [t for t in (flow.title, flow.intro, flow.outro) if t]
    for step in flow.steps:
        texts.append(step.prompt)
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
    return problems + check_translations(flows, locales)
