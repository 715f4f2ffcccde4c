"""Dependencies point one way: the core knows no door, the flows know no channel.

The rules of DESIGN.md, checked on every Python file of the product: ``circles/`` imports
neither ``bot`` nor ``api``; ``bot/flows/`` imports no messaging app or web framework and
nothing from ``bot/handlers/``; ``api/`` and ``scheduler/`` may use ``bot/flows/`` but
never ``bot/handlers/``; one messaging app's folder (``bot/handlers/<app>/``) never imports
another's, and only the Telegram folder imports ``telegram``; no import cycles between
packages.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("circles", "bot", "api", "scheduler", "circles_cli")

#: Messaging apps' libraries: only their own folder under bot/handlers/ may import them.
APP_LIBRARIES = {"telegram": "telegram"}

#: (who, what it must not import). A module is "who" when its name is "who" or below it.
FORBIDDEN: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "circles",
        frozenset({"bot", "api", "scheduler", "circles_cli", "telegram", "fastapi", "starlette"}),
    ),
    (
        "bot.flows",
        frozenset(
            {"bot.handlers", "api", "scheduler", "circles_cli", "telegram", "fastapi", "starlette"}
        ),
    ),
    ("api", frozenset({"bot.handlers", "telegram", "circles_cli"})),
    ("scheduler", frozenset({"bot.handlers", "telegram", "circles_cli"})),
)

#: Module-level import cycles known today, each a strongly connected set of modules. Each
#: is closed by a function-local import, which hides it at import time but not in the
#: design. The one left is ``access.practice_for_reader``, which reads through the
#: repository, itself built on access's scopes. A new cycle, or a known one that grows,
#: fails the test; drop an entry when its cycle is gone.
KNOWN_MODULE_CYCLES: frozenset[frozenset[str]] = frozenset(
    {
        frozenset({"circles.services.access", "circles.services.repository"}),
    }
)


@dataclass(frozen=True)
class Import:
    """One imported name, absolute, whether it only serves type checking, and for
    ``from name import a, b`` the names taken from it."""

    name: str
    typing_only: bool = False
    members: tuple[str, ...] = ()


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(module: str, source: str, *, is_package: bool = False) -> list[Import]:
    """Every name ``source`` imports, relative imports resolved against ``module``.

    ``from a import b`` yields ``a`` and ``a.b`` (``b`` may be a module); imports inside
    functions count too, since a function-local import is still a dependency.
    """
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, typing_only)
            return
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, typing_only) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            members = tuple(a.name for a in node.names)
            found.append(Import(base, typing_only, members))
            found.extend(
                Import(f"{base}.{a.name}", typing_only) for a in node.names if a.name != "*"
            )
        for child in ast.iter_child_nodes(node):
            visit(child, typing_only)

    visit(ast.parse(source), False)
    return found


def broken_rules(module: str, source: str, *, is_package: bool = False) -> list[str]:
    """The dependency rules that ``module`` (with this ``source``) breaks, one line each."""
    names = {i.name for i in imports_of(module, source, is_package=is_package)}
    broken: set[str] = set()
    for who, banned in FORBIDDEN:
        if _under(module, who):
            broken.update(
                f"{module} imports {name} ({who} must not import {b})"
                for name in names
                for b in banned
                if _under(name, b)
            )
    parts = module.split(".")
    app = parts[2] if len(parts) > 2 and parts[:2] == ["bot", "handlers"] else None
    for name in names:
        target = name.split(".")
        if target[:2] == ["bot", "handlers"] and len(target) > 2 and app and target[2] != app:
            broken.add(f"{module} imports {name} (one app's folder never imports another's)")
        library = APP_LIBRARIES.get(target[0])
        if library is not None and app != library:
            broken.add(f"{module} imports {name} (only bot/handlers/{library}/ may import it)")
    return sorted(broken)


def product_modules() -> dict[str, Path]:
    """Module name -> file, for every Python file of the product."""
    modules: dict[str, Path] = {}
    for top in PRODUCT:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


MODULES = product_modules()


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _depends_on(i: Import, modules: dict[str, Path]) -> bool:
    """Whether ``i`` is a dependency on a product module (``from pkg import submodule``
    depends on the submodule, not on the package's ``__init__``)."""
    if i.typing_only or i.name not in modules:
        return False
    return not i.members or any(f"{i.name}.{m}" not in modules for m in i.members)


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the product modules it imports at run time (type-only imports left out)."""
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        found = imports_of(module, path.read_text(), is_package=_is_package(path))
        graph[module] = {i.name for i in found if _depends_on(i, modules)} - {module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.add(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


#: The top level's parts. ``bot/`` is the home of two layers, the channel-neutral flows
#: and the doors, rather than one: each counts as a part of its own.
TOP_PARTS = ("bot.flows", "bot.handlers")


def part_of(module: str, package: str) -> str | None:
    """The part of ``package`` (a direct submodule or subpackage, or the package's own
    ``__init__``) that holds ``module``; ``package`` "" is the top level."""
    if not package:
        return next((p for p in TOP_PARTS if _under(module, p)), module.split(".")[0])
    if not _under(module, package):
        return None
    rest = module[len(package) + 1 :].split(".")
    return f"{package}.{rest[0]}" if rest[0] else package


def package_cycles(graph: dict[str, set[str]], packages: Iterable[str]) -> list[frozenset[str]]:
    """Cycles through a subpackage between the parts of each package (and of the top level)."""
    found: list[frozenset[str]] = []
    for package in ("", *packages):
        folded: dict[str, set[str]] = {}
        for module, targets in graph.items():
            source = part_of(module, package)
            if source is None:
                continue
            for target in targets:
                part = part_of(target, package)
                if part is not None and part != source:
                    folded.setdefault(source, set()).add(part)
        # A cycle of plain modules is a module cycle (the next test); here only those
        # through a subpackage count.
        found.extend(
            c for c in cycles(folded) if any(_is_package_name(p) for p in c) and c not in found
        )
    return found


def _is_package_name(module: str) -> bool:
    path = MODULES.get(module)
    return path is None or _is_package(path)


def _packages() -> list[str]:
    return sorted(m for m, path in MODULES.items() if _is_package(path))


def _describe(components: Iterable[frozenset[str]]) -> list[str]:
    return [" <-> ".join(sorted(c)) for c in components]


def test_the_product_has_the_folders_the_rules_speak_of() -> None:
    """Guards against rules that pass because a folder moved away from under them."""
    for package in ("circles", "bot.flows", "bot.handlers.telegram", "api", "scheduler"):
        assert package in MODULES, package
    telegram = [m for m in MODULES if _under(m, "bot.handlers.telegram")]
    assert len(telegram) > 5, telegram


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_keeps_to_the_dependency_rules(module: str) -> None:
    path = MODULES[module]
    assert broken_rules(module, path.read_text(), is_package=_is_package(path)) == []


def test_no_import_cycle_between_packages() -> None:
    """``bot.flows`` -> ``bot.handlers`` -> ``bot.flows`` and the like: none, at any level."""
    assert _describe(package_cycles(import_graph(MODULES), _packages())) == []


def test_no_import_cycle_between_modules_beyond_the_known_ones() -> None:
    found = set(cycles(import_graph(MODULES)))
    assert _describe(found - KNOWN_MODULE_CYCLES) == []


VIOLATIONS = {
    "core imports the bot": ("circles.services.people", "from bot.flows import door"),
    "core imports the API": ("circles.services.people", "import api.problems"),
    "core imports Telegram": ("circles.models", "from telegram import User"),
    "core imports FastAPI": ("circles.errors", "from fastapi import HTTPException"),
    "core imports the CLI": ("circles.db", "from circles_cli import run"),
    "core imports the scheduler, in a function": (
        "circles.services.outbox",
        "def f():\n    from scheduler import jobs\n",
    ),
    "core imports Telegram for types only": (
        "circles.services.access",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import telegram\n",
    ),
    "flows import a door": ("bot.flows.engine", "from bot.handlers.telegram.common import x"),
    "flows import the doors' package": ("bot.flows.engine", "from bot import handlers"),
    "flows import a door relatively": ("bot.flows.engine", "from ..handlers import telegram"),
    "flows import Telegram": ("bot.flows.door", "import telegram.ext"),
    "flows import Starlette": ("bot.flows.door", "from starlette.requests import Request"),
    "flows import the API": ("bot.flows.meetings", "from api.problems import problem"),
    "flows import the scheduler": ("bot.flows.prompts", "import scheduler.jobs"),
    "API imports a door": ("api.routers.meetings", "from bot.handlers.telegram import sender"),
    "API imports Telegram": ("api.web.simulator", "from telegram import Update"),
    "scheduler imports a door": ("scheduler.jobs", "import bot.handlers.telegram.sender"),
    "scheduler imports Telegram": ("scheduler.jobs", "from telegram.error import RetryAfter"),
    "one app imports another's folder": (
        "bot.handlers.whatsapp.sender",
        "from bot.handlers.telegram.ratelimit import TelegramLimits",
    ),
    "one app imports another's folder relatively": (
        "bot.handlers.telegram.app",
        "from ..whatsapp import renderer",
    ),
    "another app imports Telegram": ("bot.handlers.whatsapp.client", "import telegram"),
    "the CLI imports Telegram": ("circles_cli.main", "from telegram import Bot"),
    "the bot's root imports Telegram": ("bot", "import telegram"),
}


@pytest.mark.parametrize(
    ("module", "source"), list(VIOLATIONS.values()), ids=list(VIOLATIONS.keys())
)
def test_each_rule_catches_a_file_that_breaks_it(module: str, source: str) -> None:
    assert broken_rules(module, source) != []


ALLOWED = {
    "Telegram door uses Telegram, the flows and the API's problems": (
        "bot.handlers.telegram.webhook",
        "from telegram import Update\nfrom bot.flows import door\nfrom api.problems import problem",
    ),
    "Telegram door imports its own folder relatively": (
        "bot.handlers.telegram.app",
        "from . import register\nfrom .ratelimit import TelegramLimits",
    ),
    "API uses the flows": ("api.web.simulator", "from bot.flows.engine import Outcome"),
    "scheduler uses the flows": ("scheduler.jobs", "from bot.flows import prompts"),
    "flows use the core": ("bot.flows.engine", "from circles.services import runs"),
    "core uses itself": ("circles.services.runs", "from ..models import Run"),
}


@pytest.mark.parametrize(("module", "source"), list(ALLOWED.values()), ids=list(ALLOWED.keys()))
def test_the_rules_let_the_allowed_directions_through(module: str, source: str) -> None:
    assert broken_rules(module, source) == []


def test_the_cycle_checks_find_flows_and_handlers_importing_each_other() -> None:
    graph = {
        "bot.handlers.telegram.common": {"bot.flows.engine", "api.problems"},
        "bot.flows.door": {"bot.flows.engine"},
        "bot.flows.engine": {"circles.db"},
        "api.problems": {"circles.db"},
        "circles.db": set(),
    }
    assert cycles(graph) == []
    assert package_cycles(graph, ["bot", "bot.handlers"]) == []
    graph["bot.flows.engine"].add("bot.handlers.telegram.common")
    assert cycles(graph) == [frozenset({"bot.flows.engine", "bot.handlers.telegram.common"})]
    assert package_cycles(graph, ["bot", "bot.handlers"]) == [
        frozenset({"bot.flows", "bot.handlers"})
    ]


def test_a_package_cycle_inside_a_door_is_found_too() -> None:
    graph = {
        "api.app": {"api.routers.circles"},
        "api.routers.circles": {"api.web.pages"},
        "api.web.pages": {"api.routers.circles"},
    }
    assert package_cycles(graph, ["api", "api.routers", "api.web"]) == [
        frozenset({"api.routers", "api.web"})
    ]


#: The most lines a module of ``bot/flows`` may have: past it, a module is usually two.
FLOW_MODULE_LINES = 400
#: Modules of ``bot/flows`` still past that while issue #19 splits them. A new long
#: module fails the test, and so does an entry that got short: drop it then.
LONG_FLOW_MODULES = frozenset({"bot.flows.buttons", "bot.flows.engine"})


def test_no_module_of_the_flows_is_longer_than_a_reader_can_hold() -> None:
    long = {
        module
        for module, path in MODULES.items()
        if _under(module, "bot.flows") and len(path.read_text().splitlines()) > FLOW_MODULE_LINES
    }
    assert long - LONG_FLOW_MODULES == set()
    assert LONG_FLOW_MODULES - long == set(), "shorter now: drop it from LONG_FLOW_MODULES"


#: Every module of the flows returns events with lazy text (``circles.text``), rendered by
#: the door in the reader's language: none translates or formats in the current language.
FLOW_MODULES = tuple(sorted(m for m in MODULES if _under(m, "bot.flows")))
#: What such a module must not call: eager translation and formatting in the current
#: language, hand-encoded button data.
EAGER_CALLS = frozenset(
    {
        "_",
        "ngettext",
        "use_language",
        "format_datetime",
        "format_number",
        "translate",
        "encode",
    }
)
#: The modules that write button data: the codec, and the renderers that hand it to a
#: channel (``fit`` for replies, ``queued`` for the outbox at send time, ``events`` when
#: an event is stored in the outbox).
ENCODERS = frozenset({"bot.flows.buttons", "bot.flows.fit", "bot.flows.queued", "bot.flows.events"})


def eager_calls(source: str, *, encodes: bool = False) -> list[str]:
    """The calls of ``source`` to a name of :data:`EAGER_CALLS` (imported, or taken from
    the module that defines it: ``i18n._``), as ``name (line n)``; ``encode`` is let
    through where ``encodes``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func, name = node.func, None
        if isinstance(func, ast.Name):
            name = func.id
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            name = func.attr if func.value.id in ("buttons", "i18n") else None
        if name in EAGER_CALLS and not (encodes and name == "encode"):
            found.append(f"{name} (line {node.lineno})")
    return found


@pytest.mark.parametrize("module", FLOW_MODULES)
def test_the_flows_leave_translation_to_the_door(module: str) -> None:
    source = MODULES[module].read_text()
    assert eager_calls(source, encodes=module in ENCODERS) == []


@pytest.mark.parametrize(
    "source",
    [
        'with use_language(person.language):\n    text = _("Paused.")\n',
        "Button(t('Pause'), encode(Pause(7)))\n",
        'Say(i18n.ngettext("{n} day", "{n} days", n))\n',
        "Say(format_number(3.5))\n",
    ],
)
def test_the_translation_check_finds_eager_text(source: str) -> None:
    assert eager_calls(source) != []


def test_the_flows_are_all_checked() -> None:
    assert {"bot.flows.engine", "bot.flows.practices", "bot.flows.sharing"} <= set(FLOW_MODULES)


def test_no_module_imports_the_old_reply() -> None:
    """What the bot says is events (``bot.flows.events``): the legacy ``Reply`` is gone."""
    found = [
        f"{module} imports {alias.name}"
        for module, path in MODULES.items()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name == "Reply"
    ]
    assert found == []


def test_the_test_only_hooks_live_in_one_named_place() -> None:
    """The file clock and the SIGUSR1 sweep are in circles/testmode.py and nowhere else."""
    hooks = ("SIGUSR1", "class FileClock", "fake_clock_file")
    found = {
        (path.relative_to(ROOT).as_posix(), hook)
        for folder in ("circles", "circles_cli", "bot", "api", "scheduler")
        for path in (ROOT / folder).rglob("*.py")
        for hook in hooks
        if hook in path.read_text(encoding="utf-8")
    }
    assert found == {
        ("circles/testmode.py", "SIGUSR1"),
        ("circles/testmode.py", "class FileClock"),
        ("circles/testmode.py", "fake_clock_file"),
        ("circles/settings.py", "SIGUSR1"),  # the setting's comment says what it enables
        ("circles/settings.py", "fake_clock_file"),
    }
