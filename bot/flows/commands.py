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


_TEACHER = frozenset({Role.teacher})
_FACILITATOR = frozenset({Role.facilitator})
_MEMBER = frozenset(Role)

COMMANDS: tuple[Command, ...] = (
    Command("checkin", N_("open this week's check-in, or continue it"), _TEACHER),
    Command("journey", N_("your practice, pilot weeks and ratings so far"), _TEACHER),
    Command("edit", N_("change an answer of your open check-in"), _TEACHER),
    Command("skip", N_("skip this week's check-in"), _TEACHER),
    Command("ask", N_("ask the other teachers of your circle for help"), _TEACHER),
    Command("peers", N_("receive your peers' questions, or stop them"), _TEACHER),
    Command("partner", N_("a partner in another circle who pilots your strategy"), _TEACHER),
    Command("summary", N_("this week in your circle"), _FACILITATOR | {Role.union_rep}),
    Command("circle", N_("members and their phases"), _FACILITATOR | {Role.union_rep}),
    Command("who", N_("who has not answered yet"), _FACILITATOR),
    Command("nudge", N_("remind those who have not answered (once a day)"), _FACILITATOR),
    Command("review", N_("practices waiting for your review"), _FACILITATOR),
    Command(
        "cofacilitate",
        N_("invite a teacher who codified a practice to co-facilitate"),
        _FACILITATOR,
    ),
    Command("meeting", N_("schedule a circle meeting"), _FACILITATOR),
    Command("meetings", N_("upcoming meetings, who comes; move or cancel"), _FACILITATOR),
    Command(
        "linkgroup", N_("send it in your circle's group to post meeting news there"), _FACILITATOR
    ),
    Command("sessions", N_("exchange sessions across circles you are invited to"), _MEMBER),
    Command("practices", N_("search the practices other teachers published"), _MEMBER),
    Command("mypractices", N_("your practices, their review and revisions"), _TEACHER),
    Command("pause", N_("pause check-ins and reminders for a while"), _MEMBER),
    Command("resume", N_("end a pause"), _MEMBER),
    Command("language", N_("change the language I use with you"), _MEMBER),
    Command("timezone", N_("change your timezone"), _MEMBER),
    Command("mydata", N_("get a file with everything stored about you"), _MEMBER),
    Command("forgetme", N_("erase your data"), _MEMBER),
    Command("cancel", N_("stop the current conversation"), _MEMBER),
    # Coordinators' commands are not listed to members (they link a token first).
    Command("coordinator", N_("link your account to a coordinator token"), frozenset()),
    Command("broadcast", N_("announce something to your circles"), frozenset()),
    Command("broadcasts", N_("how your latest broadcasts went"), frozenset()),
    Command("start", N_("join a circle with the invite code from your facilitator")),
    Command("help", N_("what you can do here")),
)


def commands_for(roles: set[Role]) -> list[Command]:
    """The commands open to someone with ``roles`` (an empty set: not a member yet)."""
    return [c for c in COMMANDS if c.roles is None or c.roles & roles]
