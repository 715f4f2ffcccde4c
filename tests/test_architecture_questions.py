"""A question key the code reads is declared once, in circles/questions.py: no module of the
product reads an answer by a key spelled as a string.

The reads recognised are the shapes the code uses: ``Answer.question_key == "…"`` and
``.in_((…))``, ``question_key="…"`` when an answer is built, ``answers.get("…")`` and
``answers["…"]`` on a mapping of answers by key (``answers``, ``ctx.answers``, the codify
``fields``), a helper called with such a mapping and a key, and a comprehension over a
tuple of keys that reads such a mapping. Only strings that some shipped flow asks as a key
count, so ``fields["evidence_photos"]`` (not a question) is not one.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.flows.definition import library

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("api", "bot", "circles", "circles_cli", "scheduler")
DECLARATIONS = "circles/questions.py"
#: Mappings of answers by question key, by the name of the variable or attribute.
_ANSWER_MAP = re.compile(r"(^|\.)(answers|fields)$")
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _is_answer_map(node: ast.AST) -> bool:
    return bool(_ANSWER_MAP.search(_dotted(node)))


def _is_question_key(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "question_key"


def _strings(node: ast.AST) -> list[ast.Constant]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _reads_answer_map(node: ast.AST) -> bool:
    """Whether ``node`` contains ``<answers>.get(…)`` or ``<answers>[…]``."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Subscript) and _is_answer_map(inner.value):
            return True
        if (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Attribute)
            and inner.func.attr == "get"
            and _is_answer_map(inner.func.value)
        ):
            return True
    return False


def _module_constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``NAME = …`` assignments (``BLOCKER_KEYS = ("why_not", "help")``)."""
    found: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            found[node.target.id] = node.value
    return found


def spelled_keys(tree: ast.Module) -> list[ast.Constant]:
    """The string constants ``tree`` reads answers by (any string: filtered by the caller)."""
    constants = _module_constants(tree)
    found: list[ast.Constant] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_is_question_key(operand) for operand in operands):
                found += [s for operand in operands for s in _strings(operand)]
        elif isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "in_"
                and _is_question_key(func.value)
            ):
                for arg in node.args:
                    found += _strings(arg)
                    for name in ast.walk(arg):
                        if isinstance(name, ast.Name) and name.id in constants:
                            found += _strings(constants[name.id])
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "get"
                and _is_answer_map(func.value)
            ):
                found += [arg for arg in node.args[:1] if isinstance(arg, ast.Constant)]
            if any(_is_answer_map(arg) for arg in node.args):
                found += [arg for arg in node.args if isinstance(arg, ast.Constant)]
            found += [
                keyword.value
                for keyword in node.keywords
                if keyword.arg == "question_key" and isinstance(keyword.value, ast.Constant)
            ]
        elif isinstance(node, ast.Subscript) and _is_answer_map(node.value):
            found += [node.slice] if isinstance(node.slice, ast.Constant) else []
        elif isinstance(node, _COMPREHENSIONS):
            body = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            if any(_reads_answer_map(part) for part in body):
                found += [s for generator in node.generators for s in _strings(generator.iter)]
    return [c for c in found if isinstance(c.value, str)]


def _asked_keys() -> set[str]:
    return {step.key for flow in library().flows.values() for step in flow.steps}


def _modules() -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.relative_to(ROOT).as_posix() != DECLARATIONS
    ]


def test_no_module_reads_an_answer_by_a_key_spelled_as_a_string() -> None:
    asked = _asked_keys()
    spelled = sorted(
        {
            (path.relative_to(ROOT).as_posix(), constant.lineno, constant.value)
            for path in _modules()
            for constant in spelled_keys(ast.parse(path.read_text(encoding="utf-8")))
            if constant.value in asked
        }
    )
    lines = [f"{path}:{line}: {key!r}" for path, line, key in spelled]
    assert lines == [], "use circles.questions.Question for these keys:\n" + "\n".join(lines)


def test_the_guard_sees_every_shape_of_reading_an_answer_by_its_key() -> None:
    """Each read below is one the code used before the keys were declared."""
    source = """
BLOCKER_KEYS = ("why_not", "help")
a = select(Answer).where(Answer.question_key == "how_well")
b = select(Answer).where(Answer.question_key.in_(("tried", *BLOCKER_KEYS)))
c = Answer(question_key="challenge")
d = ctx.answers.get("comment")
e = answers["title"]
f = _choice(ctx.answers, "strategy")
g = [ctx.answers.get(k) for k in ("confirm", "audience")]
h = {key: fields.get(key) for key in ("steps", "lessons")}
i = fields.get("name")
j = fields["evidence_photos"]
k = Answer.question_key == Question.how_well
"""
    found = [c.value for c in spelled_keys(ast.parse(source)) if c.value in _asked_keys()]
    expected = ["why_not", "help", "how_well", "tried", "challenge", "comment", "title"]
    expected += ["strategy", "confirm", "audience", "steps", "lessons", "name"]
    assert sorted(found) == sorted(expected)
