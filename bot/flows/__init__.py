"""Channel-agnostic conversations: take what a person sent, return messages to show.

Nothing here imports ``telegram``: a flow returns :class:`~bot.flows.messages.Reply`
objects that a door (Telegram today, a web simulator later) renders.

The modules imported below register the effects the flow definitions name (see
:mod:`bot.flows.effects`), so every door that imports a flow module has a full registry.
"""

from bot.flows import coordinator, hooks, meetings, practices  # noqa: F401  (register effects)
