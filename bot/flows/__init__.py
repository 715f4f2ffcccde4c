"""Channel-agnostic conversations: take what a person sent, return messages to show.

Nothing here imports ``telegram``: a flow returns :class:`~bot.flows.messages.Reply`
objects that a door (Telegram today, a web simulator later) renders.
"""
