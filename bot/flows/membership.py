"""Who is asking: the sender as a member, and whether they may use member commands.

Every member command starts here: someone the bot knows nothing about (or has forgotten)
is told how to join, someone who has not consented is sent back to their onboarding.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import engine
from bot.flows.events import Event, Say
from bot.flows.messages import Sender
from circles.models import Consent, Person
from circles.services.people import find_person
from circles.text import t

#: What a dialogue returns: events.
Replies: TypeAlias = list[Event]

NOT_MEMBER = t(
    "You are not in a circle yet. Open the invite link from your facilitator, or send "
    "/start followed by the invite code."
)
NO_CONSENT = t(
    "You have not agreed to let me store your answers, so there is nothing I can do here yet. "
    "Send /start to see the question again."
)


async def member(session: AsyncSession, sender: Sender) -> Person | None:
    """The person behind ``sender``, unless the bot does not know them or forgot them."""
    person = await find_person(session, channel=sender.channel, address=sender.address)
    if person is None or person.forgotten_at is not None:
        return None
    return person


async def consented(
    session: AsyncSession, sender: Sender, now: datetime
) -> tuple[Person | None, Replies]:
    """The person if they may use member commands, else the reply explaining why not."""
    person = await member(session, sender)
    if person is None:
        return None, [Say(NOT_MEMBER)]
    if person.consent is not Consent.given:
        running = await engine.active_run(session, person_id=person.id)
        if running is not None and running.flow_id == "onboarding":
            return None, [await engine.ask(session, run=running, person=person, now=now)]
        return None, [Say(NO_CONSENT)]
    return person, []
