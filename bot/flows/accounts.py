"""Someone who writes to a bot or number that does not serve their circle.

A deployment may run several Telegram bots and WhatsApp numbers (``circles channel``);
each circle is served by one of each app (:mod:`circles.services.channels`). A member who
writes to another one is told, in their language, which bot or number their circle uses,
and nothing else happens: their answers, buttons and commands belong to that chat.
Someone who brings an invite of a circle that another one serves gets the invite's link
there and does not join here: their circle's messages would come from the other bot or
number, which (on Telegram) may not write to someone who never wrote to it.
"""

from __future__ import annotations

from bot.flows.events import Say
from bot.flows.messages import Arrival
from bot.flows.visit import Visit
from circles.models import Channel
from circles.services.channels import (
    Elsewhere,
    account_for_person,
    chat_link,
    invite_elsewhere,
    join_link,
)
from circles.text import t


async def elsewhere(visit: Visit) -> Say | None:
    """The pointer to the member's own bot or number, or None when this one serves them
    (or the door did not say which one the update came in on)."""
    person, arrival = visit.member, visit.arrival
    if person is None or arrival is None:
        return None
    app = visit.sender.channel
    found = await account_for_person(
        visit.session, app=app, person_id=person.id, account_id=arrival.account
    )
    if found is None:
        return None
    handle = _handle(found, arrival)
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


async def invite_pointer(visit: Visit, code: str) -> Say | None:
    """For an invite of a circle another bot or number serves: its link there, so that
    the person joins where their circle's messages will come from; else None."""
    arrival = visit.arrival
    if arrival is None:
        return None
    app = visit.sender.channel
    found = await invite_elsewhere(visit.session, app=app, code=code, account_id=arrival.account)
    if found is None:
        return None
    handle = _handle(found, arrival)
    if handle is None:
        return Say(
            t(
                "This invite is for a circle that talks with me through another account. "
                "Please use the link your facilitator sent."
            )
        )
    link = join_link(app, handle, code)
    if app is Channel.whatsapp:
        return Say(
            t(
                "This invite is for a circle that talks with me on another number. "
                "Join there: {link}",
                link=link,
            )
        )
    return Say(
        t(
            "This invite is for a circle that talks with me through another bot. Join there: "
            "{link}",
            link=link,
        )
    )


def _handle(found: Elsewhere, arrival: Arrival) -> str | None:
    return found.handle if found.handle is not None else arrival.default_handle
