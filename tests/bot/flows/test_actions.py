"""Every button the codec can carry has one handler, registered by the module that owns it."""

from __future__ import annotations

import pytest
from support.fresh import fresh_python

from bot.flows import actions
from bot.flows.actions import Pressed, on
from bot.flows.buttons import ForgetConfirm, KeepData, Pause
from bot.flows.engine import Outcome

_UNHANDLED = (
    "from bot.flows import {door}\n"
    "from bot.flows import actions\n"
    "from bot.flows.buttons import ACTIONS\n"
    "print(sorted(a.__name__ for a in set(ACTIONS) - actions.handled()))\n"
)


@pytest.mark.parametrize("door", ["door", "actions", "engine"])
def test_every_action_of_the_codec_has_a_handler_whichever_module_a_door_imports(
    door: str,
) -> None:
    assert fresh_python(_UNHANDLED.format(door=door)) == "[]"


def test_an_action_cannot_get_a_second_handler() -> None:
    async def another(pressed: Pressed, action: Pause) -> Outcome:
        return Outcome()

    with pytest.raises(ValueError, match="Pause has a handler already"):
        on(Pause)(another)


def test_before_consent_only_the_erasure_answers_and_flow_answers_are_taken() -> None:
    before = {kind.__name__ for kind in actions.open_before_consent()}
    assert before == {
        ForgetConfirm.__name__,
        KeepData.__name__,
        "FlowAnswer",
        "FlowSuggestion",
        "FlowToggle",
        "FlowDone",
        "FlowSkip",
    }
