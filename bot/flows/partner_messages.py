"""Messages between partners in different circles, and the end of a partnership.

Messages between partners are never typed into the chat as such: *Write to …* (and
*Reply* under a relayed message, :class:`WritePartner`) opens the one-question flow
``partner_message``, whose answer is relayed with the writer's name and country only —
never a phone number or username — as ``partner-message-<partnership>-<id>``, so a
check-in or any other open question is never taken over. At most
:data:`~circles.services.partnerships.MESSAGES_A_DAY` a day. ``/partner stop`` lists the
partnerships to end (:class:`EndPartner`); the partner is told. Every id in a button is
checked against the presser by the service.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import engine, queued
from bot.flows.actions import Pressed, on
from bot.flows.buttons import EndPartner, WritePartner
from bot.flows.effects import Completion, Context, effect
from bot.flows.events import Button, Done, Notice, Say
from bot.flows.hooks import answer_text
from bot.flows.visit import Replies
from circles.errors import InvalidAnswer, NotFound
from circles.i18n import N_
from circles.models import Circle, Inquiry, OutboxPriority, Partnership, Person
from circles.questions import Question
from circles.services import partnerships
from circles.services.outbox import enqueue
from circles.services.peers import first_name
from circles.services.schedule import sendable_from
from circles.services.showcase import country_name
from circles.services.summaries import STRATEGY_LABELS
from circles.text import Part, lines, number, quoted, t, tn

REPLY_LABEL = N_("Reply")
WRITE_LABEL = N_("Write to {name}")
_END_LABEL = N_("End with {name}")


def name_of(person: Person | None) -> Part:
    """How a partner is named: the name they chose in the bot, never an app's handle."""
    return (person.display_name or "").strip() if person and person.display_name else t("(no name)")


def short_name(person: Person | None) -> Part:
    """The first word of that name, for a button."""
    return first_name(person) or t("(no name)")


def strategy_of(partnership_or_inquiry: Partnership | Inquiry) -> Part:
    """The strategy's label, in the reader's language."""
    strategy = partnership_or_inquiry.strategy
    return t(STRATEGY_LABELS[strategy]) if strategy is not None else ""


async def circle_of(session: AsyncSession, partnership: Partnership, person_id: int) -> Circle:
    """The circle of ``person_id``'s side of the partnership."""
    circle_id = (
        partnership.requester_circle_id
        if partnership.requester_id == person_id
        else partnership.partner_circle_id
    )
    return await session.get_one(Circle, circle_id)


async def send(
    session: AsyncSession,
    *,
    to: Person,
    circle: Circle,
    message: Say,
    key: str,
    now: datetime,
    priority: OutboxPriority = OutboxPriority.reply,
) -> bool:
    """Queue ``message`` for ``to``, held until their circle's quiet hours end."""
    later = sendable_from(now, to.timezone, circle.quiet_from, circle.quiet_until)
    return await enqueue(
        session,
        to=to,
        payload=queued.payload(message),
        key=key,
        now=now,
        priority=priority,
        not_before=later,
    )


def partner_lines(pairs: list[tuple[Partnership, Person, Circle]]) -> Part:
    """One line per partner: name, circle, country."""
    return lines(
        *(
            t(
                "{name}, {circle} ({country})",
                name=name_of(partner),
                circle=circle.name,
                country=country_name(circle.country),
            )
            for _partnership, partner, circle in pairs
        )
    )


async def partners_with_circles(
    session: AsyncSession, person: Person
) -> list[tuple[Partnership, Person, Circle]]:
    """The person's active partnerships, each with the partner and the partner's circle."""
    return [
        (partnership, partner, await circle_of(session, partnership, partner.id))
        for partnership, partner in await partnerships.partners_of(session, person_id=person.id)
    ]


# --- writing to a partner -------------------------------------------------------------------------


def _enough_for_today() -> Part:
    return tn(
        "You have written {count} message to your partners in the last 24 hours. Please "
        "write again tomorrow.",
        "You have written {count} messages to your partners in the last 24 hours. Please "
        "write again tomorrow.",
        partnerships.MESSAGES_A_DAY,
        count=number(partnerships.MESSAGES_A_DAY),
    )


@on(WritePartner)
async def write(pressed: Pressed, action: WritePartner) -> engine.Outcome:
    """*Write to …* / *Reply*: one message to the partner, if the partnership is the
    presser's and still active."""
    session, person, now = pressed.session, pressed.person, pressed.now
    try:
        partnership = await partnerships.active_for(
            session, person_id=person.id, partnership_id=action.partnership_id
        )
    except NotFound as gone:
        return engine.Outcome([Notice(t(gone.message))])
    if not await partnerships.may_write(session, sender_id=person.id, now=now):
        return engine.Outcome([Say(_enough_for_today())])
    events = await engine.begin(
        session,
        person=person,
        flow_id="partner_message",
        now=now,
        state={"partnership_id": partnership.id},
    )
    return engine.Outcome(events)


async def _partnership_of(ctx: Context) -> Partnership | None:
    try:
        return await partnerships.active_for(
            ctx.session,
            person_id=ctx.person.id,
            partnership_id=int(ctx.run.state.get("partnership_id") or 0),
        )
    except NotFound:
        return None


@effect("partner_written_to")
async def partner_written_to(ctx: Context) -> Part | None:
    """Who the message goes to, above "Type your message"."""
    partnership = await _partnership_of(ctx)
    if partnership is None:
        return None
    partner = await ctx.session.get(Person, partnerships.other_side(partnership, ctx.person.id))
    return t("Your message goes to your partner, {name}:", name=name_of(partner))


def relayed_message(partnership: Partnership, sender: Person, circle: Circle, text: str) -> Say:
    """A partner's message as the other reads it: the writer's name and country, the words
    as written, and *Reply*."""
    head = t(
        "{name} ({country}), your partner, writes:",
        name=name_of(sender),
        country=country_name(circle.country),
    )
    return Say(
        lines(head, quoted(text)),
        ((Button(t(REPLY_LABEL), WritePartner(partnership.id)),),),
    )


@effect("relay_partner_message")
async def relay_partner_message(ctx: Context, edited: bool) -> Completion:
    """Relay the message to the partner, with the writer's name only."""
    partnership = await _partnership_of(ctx)
    if partnership is None:
        return Completion([Say(t(partnerships.GONE))])
    text = answer_text(ctx.answers, Question.reply)
    if edited or not text:
        return Completion()
    if not await partnerships.may_write(ctx.session, sender_id=ctx.person.id, now=ctx.now):
        return Completion([Say(_enough_for_today())])
    try:
        message = await partnerships.relay(
            ctx.session, partnership=partnership, sender=ctx.person, text=text, now=ctx.now
        )
    except InvalidAnswer as refused:
        return Completion([Say(t(refused.message, **refused.params))])
    partner = await ctx.session.get_one(Person, partnerships.other_side(partnership, ctx.person.id))
    await send(
        ctx.session,
        to=partner,
        circle=await circle_of(ctx.session, partnership, partner.id),
        message=relayed_message(
            partnership, ctx.person, await circle_of(ctx.session, partnership, ctx.person.id), text
        ),
        key=partnerships.message_key(partnership.id, message.id),
        now=ctx.now,
    )
    return Completion([Say(t("{name} will get your message.", name=name_of(partner)))])


# --- ending ---------------------------------------------------------------------------------------


async def to_end(session: AsyncSession, person: Person) -> Replies:
    """``/partner stop``: the partnerships, each with its *End with …* button."""
    pairs = await partners_with_circles(session, person)
    if not pairs:
        return [Say(t("You have no partner right now. /partner shows teachers you could meet."))]
    buttons = tuple(
        (Button(t(_END_LABEL, name=short_name(partner)), EndPartner(p.id)),)
        for p, partner, _circle in pairs
    )
    return [Say(lines(t("Which partnership do you want to end?"), partner_lines(pairs)), buttons)]


@on(EndPartner)
async def end(pressed: Pressed, action: EndPartner) -> engine.Outcome:
    """*End with …*: the partnership ends and the partner is told."""
    session, person, now = pressed.session, pressed.person, pressed.now
    try:
        partnership = await partnerships.active_for(
            session, person_id=person.id, partnership_id=action.partnership_id
        )
    except NotFound as gone:
        return engine.Outcome([Notice(t(gone.message))])
    await partnerships.end(session, partnership=partnership, by=person.id, now=now)
    partner = await session.get_one(Person, partnerships.other_side(partnership, person.id))
    told = t(
        "{name} has ended your partnership. Thank you for the exchange! Send /partner to "
        "find another partner.",
        name=name_of(person),
    )
    await send(
        session,
        to=partner,
        circle=await circle_of(session, partnership, partner.id),
        message=Say(told),
        key=partnerships.ended_key(partnership.id),
        now=now,
    )
    reply = t("Your partnership with {name} has ended; they are told.", name=name_of(partner))
    return engine.Outcome([Done(t("End with {name}", name=short_name(partner))), Say(reply)])
