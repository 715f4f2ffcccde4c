"""Babel extractor for flow files: prompts, intros, outros and choice labels.

Registered in ``babel.cfg`` as ``flows = bot.flows.extract:extract_flows``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import Any, BinaryIO


def _line_of(text: str, message: str) -> int:
    first = message.splitlines()[0] if message else ""
    for number, line in enumerate(text.splitlines(), start=1):
        if first and first in line:
            return number
    return 0


def extract_flows(
    fileobj: BinaryIO, keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Yield ``(line, funcname, message, comments)`` for every translatable flow text."""
    text = fileobj.read().decode("utf-8")
    data = tomllib.loads(text)
    flow = f"{data.get('id')} v{data.get('version')}"
    for name in ("title", "intro", "outro"):
        if data.get(name):
            yield _line_of(text, data[name]), "_", data[name], [f"Translators: flow {flow}, {name}"]
    for step in data.get("steps", []):
        where = f"Translators: flow {flow}, question {step.get('key')}"
        yield _line_of(text, step["prompt"]), "_", step["prompt"], [where]
        if step.get("skip_label"):
            label = step["skip_label"]
            yield _line_of(text, label), "_", label, [f"{where}, the Skip button"]
        # a shared list (``choices = "school_levels"``) is extracted where it is defined
        if step.get("translate_labels", True) and not isinstance(step.get("choices"), str):
            for choice in step.get("choices", []):
                yield _line_of(text, choice["label"]), "_", choice["label"], [f"{where}, a button"]
