"""One person on two apps: the conversation that links a second app to a member.

:func:`offer` asks someone unknown who joins with a member's invite from the other app
whether they are that member (:mod:`circles.services.links` finds the member). Until
the attempt ends, everything they send comes to :func:`answer`: "Yes" sends a one-time
code to the member's first app, through the outbox; typing it here links; "No", three
wrong codes or the time running out end it and change nothing.
"""

from __future__ import annotations

import re

from bot.flows.actions import Pressed, closed, on
from bot.flows.buttons import LinkAnswer, decode
from bot.flows.engine import Outcome
from bot.flows.events import Button, Say
from bot.flows.inputs import Input, InputKind
from bot.flows.queued import payload
from bot.flows.visit import Replies, Visit
from circles.models import Channel, Identity, IdentityLink, OutboxPriority
from circles.services import links, outbox
from circles.services.links import Candidate, Checked
from circles.text import Part, lines, t, tn

#: The apps by name (brand names, the same in every language).
APPS = {Channel.telegram: "Telegram", Channel.whatsapp: "WhatsApp"}

YES = t("Yes, link them")
NO = t("No")
_CODE = re.compile(r"\s*(\d{6})\s*")
_BUTTONS = ((Button(YES, LinkAnswer(1)),), (Button(NO, LinkAnswer(0)),))


def _app(channel: Channel) -> str:
    return APPS.get(channel, channel.value)


async def offer(visit: Visit, found: Candidate) -> Replies:
    """Ask whether the person joining is the member ``found`` on the other app."""
    await links.offer(
        visit.session,
        person=found.person,
        channel=visit.sender.channel,
        address=visit.sender.address,
        now=visit.now,
    )
    text = t(
        "Someone who joined {circle} with this invite uses {first}. Is that you? If you link "
        "this {here} account to it, you can use both apps and your answers stay one "
        "history. I will send a code to your {first} to check.",
        circle=found.circle.name,
        first=_app(found.identity.channel),
        here=_app(visit.sender.channel),
    )
    return [Say(text, _BUTTONS)]


async def pending(visit: Visit) -> IdentityLink | None:
    """The linking attempt of the sender, if they are in the middle of one."""
    sender = visit.sender
    return await links.pending(
        visit.session, channel=sender.channel, address=sender.address, now=visit.now
    )


async def answer(
    visit: Visit, link: IdentityLink, *, data: str | None, message: Input | None
) -> Replies:
    """What someone in the middle of linking sent: a tap, the code, anything else."""
    first = await links.first_identity(visit.session, link=link)
    if first is None:  # the member left meanwhile
        await links.end(visit.session, link=link)
        return [Say(t("Linking ended: nothing was changed."))]
    action = decode(data) if data is not None else None
    if isinstance(action, LinkAnswer):
        return await (_yes(visit, link, first) if action.yes else _no(visit, link, first))
    text = message.text if message and message.kind is InputKind.text else None
    typed = _CODE.fullmatch(text or "")
    if typed is not None and link.code_hash is not None:
        return await _code(visit, link, typed.group(1), first.channel)
    if link.code_hash is None:
        text = t(
            "Are you the member who uses {first}? Tap Yes to get a code there, or No.",
            first=_app(first.channel),
        )
        return [Say(text, _BUTTONS)]
    return [
        Say(
            t(
                "Please type the 6-digit code I sent to you on {first}, or tap No.",
                first=_app(first.channel),
            ),
            ((Button(NO, LinkAnswer(0)),),),
        )
    ]


async def _yes(visit: Visit, link: IdentityLink, first: Identity) -> Replies:
    """Send a code to the first app."""
    session, now = visit.session, visit.now
    if not links.may_write_to(first, now):
        # A code is no utility template: on WhatsApp it goes only within the window.
        return [
            Say(
                t(
                    "WhatsApp lets me write to you there only within a day of your last "
                    "message. Send me any message on WhatsApp, then tap Yes here again."
                ),
                _BUTTONS,
            )
        ]
    code = await links.issue_code(session, link=link, now=now)
    text = t(
        "Your code to link {here}: {code}. It expires in 15 minutes. If you did not ask for "
        "it, ignore this message: nothing changes without it.",
        here=_app(link.channel),
        code=code,
    )
    await outbox.enqueue(
        session,
        to=first,
        payload=payload(Say(text)),
        key=links.code_key(link, now),
        now=now,
        priority=OutboxPriority.reply,
    )
    return [
        Say(
            t(
                "I sent a 6-digit code to you on {first}. Type it here within 15 minutes.",
                first=_app(first.channel),
            ),
            ((Button(NO, LinkAnswer(0)),),),
        )
    ]


async def _no(visit: Visit, link: IdentityLink, first: Identity) -> Replies:
    """End the attempt; nothing changes."""
    await links.end(visit.session, link=link)
    return [
        Say(
            t(
                "Nothing was changed. Please go on using {first}, where you are already a "
                "member. If that is not you, ask your facilitator for an invite of your own.",
                first=_app(first.channel),
            )
        )
    ]


async def _code(visit: Visit, link: IdentityLink, code: str, first: Channel) -> Replies:
    """Check the typed code."""
    tries = links.tries_left(link) - 1
    checked = await links.try_code(visit.session, link=link, code=code, now=visit.now)
    if checked is Checked.linked:
        return [
            Say(
                lines(
                    t(
                        "Linked! You can now use {here} as well; your answers stay one history.",
                        here=_app(link.channel),
                    ),
                    t("Send /help to see what you can do."),
                )
            )
        ]
    if checked is Checked.ended:
        return [
            Say(
                t(
                    "That code was wrong three times, so linking ended and nothing was "
                    "changed. Please go on using {first}.",
                    first=_app(first),
                )
            )
        ]
    wrong: Part = tn(
        "That is not the code. You can try {count} more time.",
        "That is not the code. You can try {count} more times.",
        tries,
        count=tries,
    )
    return [Say(wrong, ((Button(NO, LinkAnswer(0)),),))]


@on(LinkAnswer)
async def pressed_later(pressed: Pressed, action: LinkAnswer) -> Outcome:
    """A link question tapped by a member (linked already, or someone else): closed."""
    return closed()
