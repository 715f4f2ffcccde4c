"""Flows name their effects; the domain modules register them; nothing named is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.fresh import fresh_python

from bot.flows import effects
from bot.flows.check import check_flows
from bot.flows.definition import library, parse_flow

_MISSING = (
    "from bot.flows import {door}\n"
    "from bot.flows import effects\n"
    "from bot.flows.definition import library\n"
    "used = {{n for f in library().flows.values() for n in f.effects}}\n"
    "print(sorted(used - effects.names()))\n"
)


def test_every_effect_a_shipped_flow_version_names_is_registered() -> None:
    used = {name for flow in library().flows.values() for name in flow.effects}
    assert used, "the shipped flows name their effects"
    assert used - effects.names() == set()


@pytest.mark.parametrize("door", ["engine", "door", "check"])
def test_a_door_importing_only_the_engine_gets_the_full_registry(door: str) -> None:
    """The Telegram door, the simulator, the scheduler and ``circles flows check`` each
    import some flow module first; whichever it is, the registry is full before the
    first update."""
    assert fresh_python(_MISSING.format(door=door)) == "[]"


def test_an_operator_is_told_when_a_flow_names_an_unknown_effect(tmp_path: Path) -> None:
    (tmp_path / "mystery.v1.toml").write_text(
        'id = "mystery"\nversion = 1\ntitle = "M"\non_complete = "launch_rockets"\n'
        '[[steps]]\nkey = "a"\ntype = "short_text"\nprompt = "?"\ncheck = "read_minds"\n',
        encoding="utf-8",
    )
    problems = check_flows(tmp_path, locales=tmp_path)
    assert "mystery.v1.toml: unknown effect 'launch_rockets'" in problems
    assert "mystery.v1.toml: unknown effect 'read_minds'" in problems


def test_a_flow_that_names_no_effect_only_stores_its_answers(tmp_path: Path) -> None:
    path = tmp_path / "plain.v1.toml"
    path.write_text(
        'id = "plain"\nversion = 1\ntitle = "P"\n[[steps]]\nkey = "a"\ntype = "scale"\n'
        'prompt = "?"\n',
        encoding="utf-8",
    )
    flow = parse_flow(path)
    assert flow.on_complete is None
    assert flow.effects == ()
    assert not any("effect" in p for p in check_flows(tmp_path, locales=tmp_path))


async def test_running_an_unregistered_effect_fails_loudly() -> None:
    with pytest.raises(effects.UnknownEffect):
        await effects.run_effect("launch_rockets")


def test_a_name_cannot_be_registered_for_two_functions() -> None:
    async def first() -> None: ...

    async def second() -> None: ...

    effects.effect("test_only_effect")(first)
    try:
        with pytest.raises(ValueError, match="registered twice"):
            effects.effect("test_only_effect")(second)
    finally:
        effects._REGISTRY.pop("test_only_effect")


def test_an_operator_is_told_when_a_prefill_cannot_be_kept(tmp_path: Path) -> None:
    """A prefill is kept as one answer, beside "Keep" / "Change" buttons."""
    (tmp_path / "odd.v1.toml").write_text(
        'id = "odd"\nversion = 1\ntitle = "O"\n'
        '[[steps]]\nkey = "tags"\ntype = "multi_choice"\nprompt = "?"\n'
        'prefill = "strategy_chosen"\nchoices = "strategies"\n'
        '[[steps]]\nkey = "sure"\ntype = "single_choice"\nprompt = "?"\n'
        'prefill = "strategy_chosen"\n'
        'choices = [{ value = "keep", label = "K" }, { value = "drop", label = "D" }]\n'
        '[[steps]]\nkey = "why"\ntype = "long_text"\nprompt = "?"\nskip_label = "None"\n',
        encoding="utf-8",
    )
    problems = check_flows(tmp_path, locales=tmp_path)
    assert "odd.v1.toml: step tags: a multi_choice step cannot be prefilled" in problems
    assert "odd.v1.toml: step sure: a prefilled step has a choice 'keep'" in problems
    assert "odd.v1.toml: step why: a skip_label needs optional = true" in problems
