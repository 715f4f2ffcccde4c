"""The bot's commands, described once for /help and Telegram's command menu."""

from __future__ import annotations

from dataclasses import dataclass

from circles.i18n import N_
from circles.models import Role


@dataclass(frozen=True)
class Command:
    """A slash command with a translatable one-line description."""

    name: str
    description: str
    roles: frozenset[Role] | None = None  # None: everyone, members or not


COMMANDS: tuple[Command, ...] = (
    Command("start", N_("join a circle with the invite code from your facilitator")),
    Command("help", N_("what you can do here")),
)


def commands_for(roles: set[Role]) -> list[Command]:
    """The commands open to someone with ``roles`` (an empty set: not a member yet)."""
    return [c for c in COMMANDS if c.roles is None or c.roles & roles]
