"""The member commands by name, and the entries the doors call for messages and buttons.

The dialogues live by domain (:mod:`~bot.flows.checkins`, :mod:`~bot.flows.journey`,
:mod:`~bot.flows.practices`, :mod:`~bot.flows.revisions`,
:mod:`~bot.flows.settings`, :mod:`~bot.flows.privacy`);
this module only names them for the doors, which still import it: the Telegram handlers
and the web simulator share :data:`COMMANDS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from bot.flows import (
    actions,
    checkins,
    journey,
    practices,
    privacy,
    reflections,
    revisions,
    settings,
)
from bot.flows.membership import Replies

#: The one entry of a pressed button (see :func:`bot.flows.actions.press`).
button = actions.press
#: A message that is not a command, and an edited one.
message = checkins.message
edited_message = checkins.edited_message
#: ``/practices [words]`` takes its words; the doors call it apart from :data:`COMMANDS`.
search_practices = practices.search_practices
#: A reflection asked for after a meeting (the scheduler and the simulator).
start_reflection = reflections.start_reflection

#: The commands of a teacher (and of every member: pause, language, data, …); the Telegram
#: handlers and the web simulator share this map.
COMMANDS: dict[str, Callable[..., Awaitable[Replies]]] = {
    "checkin": checkins.checkin,
    "journey": journey.journey,
    "edit": checkins.edit,
    "skip": checkins.skip,
    "pause": settings.pause,
    "resume": settings.resume_reminders,
    "language": partial(settings.settings_flow, flow_id="language"),
    "timezone": partial(settings.settings_flow, flow_id="timezone"),
    "mypractices": revisions.my_practices,
    "mydata": privacy.mydata,
    "forgetme": privacy.forgetme,
    "cancel": settings.cancel,
}
