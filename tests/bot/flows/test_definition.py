"""Flow files are validated: a broken flow is caught by ``circles flows check``, not a teacher."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.flows.check import check_structure
from bot.flows.definition import AnswerType, FlowDefinitionError, load_library, parse_flow


def _write(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text(body, encoding="utf-8")
    return path


def test_every_shipped_flow_loads_and_is_structurally_sound() -> None:
    library = load_library()
    assert {"onboarding", "identify", "pilot", "codify", "reflection"} <= {
        flow_id for flow_id, _ in library.flows
    }
    for flow in library.flows.values():
        assert check_structure(flow) == [], flow.source


def test_a_run_keeps_its_version_when_a_new_one_ships(tmp_path: Path) -> None:
    body = (
        'id = "demo"\nversion = {v}\ntitle = "Demo"\n'
        '[[steps]]\nkey = "a"\ntype = "short_text"\nprompt = "{p}"\n'
    )
    _write(tmp_path, "demo.v1.toml", body.format(v=1, p="Old question"))
    _write(tmp_path, "demo.v2.toml", body.format(v=2, p="New question"))
    library = load_library(tmp_path)
    assert library.latest("demo").version == 2
    assert library.get("demo", 1).steps[0].prompt == "Old question"


HEAD = 'id = "x"\nversion = 1\ntitle = "X"\n'
STEP = '[[steps]]\nkey = "a"\n'


HEAD = 'id = "x"\nversion = 1\ntitle = "X"\n'
STEP = '[[steps]]\nkey = "a"\n'


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (HEAD + STEP + 'type = "essay"\nprompt = "?"', "unknown type 'essay'"),
        (
            HEAD + STEP + 'type = "single_choice"\nprompt = "?"\n'
            'choices = [{ value = "y", label = "Y" }]',
            "at least two choices",
        ),
        (HEAD + STEP + 'type = "number"\nprompt = "?"', "min < max"),
        (
            HEAD.replace("1", "2") + STEP + 'type = "scale"\nprompt = "?"',
            "must match the file name",
        ),
        (HEAD + STEP + 'type = "scale"\nprompt = "?"\ncolour = "red"', "unknown field(s) colour"),
        (HEAD + "steps = []", "at least one step"),
        ('id = "x"\nversion = 1\ntitle = "X\n', "x.v1.toml:"),
    ],
)
def test_malformed_files_are_refused_with_the_reason(
    tmp_path: Path, body: str, problem: str
) -> None:
    with pytest.raises(FlowDefinitionError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_flow(_write(tmp_path, "x.v1.toml", body))


def test_conditions_on_unknown_or_impossible_answers_and_unreachable_steps(tmp_path: Path) -> None:
    flow = parse_flow(
        _write(
            tmp_path,
            "pilot.v9.toml",
            """
id = "pilot"
version = 9
title = "Broken"
[[steps]]
key = "tried"
type = "yes_no"
prompt = "Tried?"
when = { later = "x" }
[[steps]]
key = "stop"
type = "short_text"
prompt = "Why?"
end = true
[[steps]]
key = "never"
type = "short_text"
prompt = "Unreachable"
[[steps]]
key = "maybe"
type = "short_text"
prompt = "Impossible"
when = { tried = "perhaps" }
[[steps]]
key = "later"
type = "short_text"
prompt = "Later"
when = { tried = "yes" }
""",
        )
    )
    assert flow.steps[0].type is AnswerType.yes_no
    problems = check_structure(flow)
    assert any("condition on unknown or later step 'later'" in p for p in problems)
    assert any("step never: unreachable, stop always ends the flow" in p for p in problems)
    assert any("step maybe: unreachable, tried can never be perhaps" in p for p in problems)
