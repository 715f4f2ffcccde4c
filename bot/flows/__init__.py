"""Channel-agnostic conversations: take what a person sent, return messages to show.

Nothing here imports ``telegram``: a dialogue returns events (:mod:`bot.flows.events`)
that a door (Telegram, the web simulator) renders for its reader. Every update comes in
through :mod:`bot.flows.door`, which resolves its sender once (:mod:`bot.flows.visit`).

The modules imported below register the effects the flow definitions name (see
:mod:`bot.flows.effects`) and the handlers of the buttons they own (see
:mod:`bot.flows.actions`), so every door that imports a flow module has full registries.
"""

from bot.flows import (  # noqa: F401  (register effects and button handlers)
    checkins,
    codifying,
    coordinator,
    exchange_sessions,
    facilitator,
    hooks,
    journey,
    leadership,
    meetings,
    partner_messages,
    partners,
    peers,
    practices,
    privacy,
    reflections,
    revisions,
    settings,
    years,
)
