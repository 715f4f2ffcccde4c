"""A weekly check-in's invitation: built from its flow, queued as what it is made of.

The planner queues an invitation as an :class:`bot.flows.events.Invitation` (flow,
check-in id, practice and plan); whoever reads an outbox row reads it with
:func:`load_queued`, which gives the ``Say`` it stands for (:func:`invited`), built from
the flow as it is when the row is sent — the flow the check-in will run.
"""

from __future__ import annotations

from typing import Any

from bot.flows.buttons import OpenCheckIn
from bot.flows.definition import AnswerType, Flow, library
from bot.flows.events import Button, Event, Invitation, Say, load_event
from circles.i18n import N_
from circles.text import Part, join, shorten, t

OPEN_BUTTON = N_("Open my check-in")


def invitation(
    flow: Flow, checkin_id: int, *, practice: str | None = None, plan: str | None = None
) -> Say:
    """The message that opens a check-in: the flow's intro and first question.

    A pilot week's invitation names the practice instead of the intro, and recalls what
    the teacher planned to adjust (what the first question's ``recall`` shows in the flow).
    """
    step = flow.steps[0]
    practice = practice and practice_shown(practice)  # a blank one is none
    plan = plan and plan_shown(plan)
    intro = practice_named(practice) if practice else t(flow.intro) if flow.intro else None
    recalled = planned(plan) if plan and step.recall else None
    text = join([part for part in (intro, recalled, t(step.prompt)) if part is not None], "\n\n")
    if step.type is AnswerType.scale or step.type is AnswerType.yes_no:
        labels: dict[str, Part] = {"yes": t("Yes"), "no": t("No")}
        buttons = (
            tuple(Button(labels.get(v, v), OpenCheckIn(checkin_id, v)) for v in step.values),
        )
    elif step.type is AnswerType.single_choice:
        buttons = tuple(
            (Button(t(c.label), OpenCheckIn(checkin_id, c.value)),) for c in step.choices
        )
    else:
        buttons = ((Button(t(OPEN_BUTTON), OpenCheckIn(checkin_id)),),)
    return Say(text, buttons)


def invited(queued: Invitation) -> Say:
    """The message a queued invitation stands for, built from its flow as it is now.

    Raises ValueError if its flow is gone (as for a stored button that no longer
    decodes)."""
    try:
        flow = library().latest(queued.flow)
    except KeyError as error:
        raise ValueError("a queued invitation's flow is gone") from error
    return invitation(flow, queued.checkin_id, practice=queued.practice, plan=queued.plan)


def load_queued(data: dict[str, Any]) -> Event:
    """The event an outbox row's dumped event stands for (an invitation as its ``Say``)."""
    event = load_event(data)
    return invited(event) if isinstance(event, Invitation) else event


def practice_named(practice: str) -> Part:
    """The weekly invitation's first line, naming the practice being piloted."""
    return t(
        "Time for this week's check-in about your practice: “{practice}”",
        practice=practice_shown(practice),
    )


def practice_shown(practice: str) -> str:
    """A practice as the weekly invitation names it (at most 80 characters)."""
    return shorten(practice.strip(), 80)


def plan_shown(adjustment: str) -> str:
    """A planned adjustment as the weekly invitation recalls it (at most 300 characters)."""
    return shorten(adjustment.strip(), 300)


def planned(adjustment: str) -> Part:
    """What the teacher planned to adjust last time, recalled before this week's question."""
    return t("Last time you planned: “{plan}”", plan=plan_shown(adjustment))
