"""Someone who writes to a bot or number that does not serve their circle.

A deployment may run several Telegram bots and WhatsApp numbers (``circles channel``);
each circle is served by one of each app (:mod:`circles.services.channels`). A member who
writes to another one is told, in their language, which bot or number their circle uses,
and nothing else happens: their answers, buttons and commands belong to that chat.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.flows.events import Say
from bot.flows.visit import Visit
from circles.models import Channel
from circles.services.channels import account_for_person, chat_link
from circles.text import t


@dataclass(frozen=True)
class Arrival:
    """The channel account an update came in on, as its door knows it."""

    #: The :class:`~circles.models.ChannelAccount` id; None: the default account.
    account: int | None = None
    #: The default account's bot username or number, for the link to it.
    default_handle: str | None = None


async def elsewhere(visit: Visit, arrival: Arrival) -> Say | None:
    """The pointer to the member's own bot or number, or None when this one serves them."""
    person = visit.member
    if person is None:
        return None
    app = visit.sender.channel
    found = await account_for_person(
        visit.session, app=app, person_id=person.id, account_id=arrival.account
    )
    if found is None:
        return None
    handle = found.handle if found.handle is not None else arrival.default_handle
    if handle is None:
        return Say(
            t(
                "Your circle talks with me through another account. Your facilitator can "
                "tell you which one; please write to me there."
            )
        )
    link = chat_link(app, handle)
    if app is Channel.whatsapp:
        return Say(
            t(
                "Your circle talks with me on another number: {link}. Please write to me there.",
                link=link,
            )
        )
    return Say(
        t(
            "Your circle talks with me through another bot: {link}. Please write to me there.",
            link=link,
        )
    )
