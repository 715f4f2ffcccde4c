"""Every update's sender is resolved once, by the door (issue #19, item 7).

``bot/flows/visit.py`` reads the sender's identity and person, marks the identity
reachable and says the reply language; no dialogue, door or simulator looks the sender up
again (``people.find_person``, ``reader_language``, ``mark_reachable``), and no door
calls a dialogue around the door (it hands an ``Inbound`` to ``door.handle``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: What only the visit may call: finding the sender, their language, marking them reachable.
SENDER_LOOKUPS = frozenset({"find_person", "reader_language", "mark_reachable"})
VISIT = "bot/flows/visit.py"
#: The one lookup besides the visit's: the WhatsApp worker asks whether the sender of a
#: photo consented before downloading it, outside the message's transaction (a download
#: must not hold SQLite's one writer).
BEFORE_THE_DOOR = {"bot/handlers/whatsapp/worker.py": ["find_person"]}
#: The doors onto the flows: each app's folder and the web simulator.
DOORS = ("bot/handlers", "api/web/simulator.py")
#: Dialogues a door must reach through ``door.handle``, not directly. (A door may still
#: call what only it has: Telegram's group answers in ``joining`` and ``meetings``, the
#: simulator's demo join and "the circle met" as ``answer`` of ``door.handle``.)
DIALOGUE_MODULES = frozenset(
    {
        "checkins",
        "journey",
        "practices",
        "revisions",
        "settings",
        "privacy",
        "coordinator",
        "circle",
        "nudge",
        "review",
        "actions",
    }
)


def _sources(*places: str) -> list[Path]:
    found: list[Path] = []
    for place in places:
        path = ROOT / place
        found += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return found


def sender_lookups(source: str) -> list[str]:
    """The names of SENDER_LOOKUPS that ``source`` imports or calls."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            names += [alias.name for alias in node.names if alias.name in SENDER_LOOKUPS]
        elif isinstance(node, ast.Attribute) and node.attr in SENDER_LOOKUPS:
            names.append(node.attr)
    return names


def dialogue_calls(source: str) -> list[str]:
    """Dialogue modules of bot/flows that ``source`` imports (a door goes through the door)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "bot.flows":
            names += [alias.name for alias in node.names if alias.name in DIALOGUE_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module:
            module = node.module.removeprefix("bot.flows.")
            if node.module.startswith("bot.flows.") and module in DIALOGUE_MODULES:
                names.append(module)
    return names


def test_only_the_visit_looks_up_who_sent_an_update() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sender_lookups(path.read_text())
        for path in _sources("bot", "api")
        if str(path.relative_to(ROOT)) != VISIT
    }
    assert {path: names for path, names in offenders.items() if names} == BEFORE_THE_DOOR


def test_doors_hand_updates_to_the_door_not_to_dialogues() -> None:
    offenders = {
        str(path.relative_to(ROOT)): dialogue_calls(path.read_text()) for path in _sources(*DOORS)
    }
    assert {path: names for path, names in offenders.items() if names} == {}


@pytest.mark.parametrize(
    "source",
    [
        "from circles.services.people import find_person\n",
        "async def f(people, s):\n    await people.reader_language(s)\n",
        "async def f(people, s):\n    await people.mark_reachable(s)\n",
    ],
)
def test_the_lookup_check_catches_a_second_lookup(source: str) -> None:
    assert sender_lookups(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "from bot.flows import checkins\n",
        "from bot.flows.actions import press\n",
        "from bot.flows import door, review\n",
    ],
)
def test_the_door_check_catches_a_door_calling_a_dialogue(source: str) -> None:
    assert dialogue_calls(source) != []


def test_the_door_check_lets_rendering_and_the_door_through() -> None:
    source = "from bot.flows import door, joining, meetings\nfrom bot.flows.fit import fit\n"
    assert dialogue_calls(source) == []
