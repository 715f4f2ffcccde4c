"""``circles flows check`` refuses flows that stop asking what the summaries, exports and
journeys read: a question key the code reads is declared once and asked by a live flow."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from bot.flows.check import check_flows, check_questions, readers
from bot.flows.definition import DEFINITIONS_DIR, library, load_library
from circles.i18n import LOCALES_DIR
from circles.questions import Question
from circles_cli.main import app

PILOT = (DEFINITIONS_DIR / "pilot.v1.toml").read_text(encoding="utf-8")
RATING = (
    '[[steps]]\nkey = "how_well"\ntype = "scale"\n'
    'prompt = "How well did it work? (1 = not at all, 5 = very well)"\n'
    'when = { tried = ["yes", "partly"] }\n'
)


def _shipped_flows_and(tmp_path: Path, name: str, body: str) -> Path:
    """A copy of the shipped definitions with one more flow file."""
    directory = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS_DIR, directory)
    (directory / name).write_text(body, encoding="utf-8")
    return directory


def test_the_shipped_flows_ask_every_question_the_code_reads() -> None:
    assert check_questions(library()) == []
    result = CliRunner().invoke(app, ["flows", "check"])
    assert result.exit_code == 0, result.output
    assert "All flows are sound and translated." in result.output


def test_every_declared_question_is_used_outside_its_declaration() -> None:
    """A key nobody reads any more is taken out of circles/questions.py, not kept there."""
    unused = [question.value for question, modules in readers().items() if not modules]
    assert unused == []
    assert "circles/services/summaries.py" in readers()[Question.how_well]


def test_a_pilot_version_that_stops_asking_for_the_rating_is_refused(tmp_path: Path) -> None:
    """Version 1 still asks for the rating, but new check-ins use version 2: the rating
    trends of the summaries and the dashboard would stop the week it ships."""
    assert RATING in PILOT
    without_rating = PILOT.replace("version = 1", "version = 2").replace(RATING, "")
    directory = _shipped_flows_and(tmp_path, "pilot.v2.toml", without_rating)

    problems = check_flows(directory, locales=LOCALES_DIR)

    assert len(problems) == 1, problems
    assert problems[0].startswith("question 'how_well' is used by ")
    assert problems[0].endswith(
        " but asked by no live flow version (declared in circles/questions.py)"
    )
    for reader in ("summaries", "dashboard", "repository", "journeys"):
        assert f"circles/services/{reader}.py" in problems[0]


def test_a_flow_that_asks_a_read_key_with_another_answer_type_is_refused(
    tmp_path: Path,
) -> None:
    """A rating typed as text would be stored where the trends never look."""
    as_text = PILOT.replace("version = 1", "version = 2").replace(
        RATING, RATING.replace('type = "scale"', 'type = "long_text"')
    )
    directory = _shipped_flows_and(tmp_path, "pilot.v2.toml", as_text)

    problems = check_flows(directory, locales=LOCALES_DIR)

    assert len(problems) == 1, problems
    assert problems[0].startswith(
        "pilot.v2.toml: step how_well is long_text, which stores text, "
        "but question 'how_well' is read as number by circles/services/dashboard.py, "
    )


def test_a_new_version_that_renames_a_read_key_is_refused(tmp_path: Path) -> None:
    """Renaming the skip reason would leave the skip effect reading nothing."""
    skip = (DEFINITIONS_DIR / "skip.v1.toml").read_text(encoding="utf-8")
    renamed = skip.replace("version = 1", "version = 2").replace('key = "reason"', 'key = "why"')
    directory = _shipped_flows_and(tmp_path, "skip.v2.toml", renamed)

    assert check_questions(load_library(directory)) == [
        "question 'reason' is used by bot/flows/hooks.py but asked by no live flow version "
        "(declared in circles/questions.py)"
    ]
