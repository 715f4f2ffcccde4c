"""Partnerships between teachers of different circles: ``/partner``, proposals, requests.

``/partner`` shows a teacher in pilot (or later) one candidate at a time from
:func:`circles.services.partnerships.candidates` — the circle, its country, the shared
strategy and whether they share a subject or level; no name before both agree — with
*Ask to be introduced* (:class:`AskPartner`) and *Show another* (:class:`ShowCandidate`).
The request goes to the other teacher (outbox ``partner-request-<id>``, after their
quiet hours) with *Accept* and *Decline*; on *Accept* both get the introduction in their
own language (name, circle, country, the practice in a few lines), on *Decline* the
teacher who asked is told without a reason. A teacher with partners gets them listed
with *Write to …* instead. ``/partner off`` / ``on`` says whether one may be proposed;
``/partner stop`` and the messages themselves are :mod:`bot.flows.partner_messages`.
Every id in a button is checked against the presser by the service.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import engine
from bot.flows.actions import Pressed, on
from bot.flows.buttons import (
    AcceptPartner,
    AskPartner,
    DeclinePartner,
    ShowCandidate,
    WritePartner,
)
from bot.flows.events import Button, Done, Notice, Say
from bot.flows.partner_messages import (
    WRITE_LABEL,
    circle_of,
    name_of,
    partner_lines,
    partners_with_circles,
    send,
    short_name,
    strategy_of,
    to_end,
)
from bot.flows.visit import Replies, Visit, members_only
from circles.errors import Conflict, NotFound
from circles.i18n import N_
from circles.models import Circle, Inquiry, OutboxPriority, Partnership, Person
from circles.services import partnerships
from circles.services.showcase import country_name
from circles.text import lines, number, quoted, shorten, t

#: How much of a practice an introduction quotes ("a few lines").
PRACTICE_QUOTE = 300

ASK_LABEL = N_("Ask to be introduced")
ANOTHER_LABEL = N_("Show another")
ACCEPT_LABEL = N_("Accept")
DECLINE_LABEL = N_("Decline")
_FIND_LABEL = N_("Find another partner")
_USAGE = N_(
    "/partner shows teachers of other circles who pilot the same strategy as you. "
    "/partner stop ends a partnership. /partner off: you are not proposed to other teachers "
    "any more; /partner on undoes it."
)


# --- proposing ---------------------------------------------------------------------------------


async def _proposal(session: AsyncSession, person: Person, index: int, now: datetime) -> Replies:
    """The candidate at ``index`` (from the start again after the last one)."""
    inquiry = await partnerships.piloted_inquiry(session, person_id=person.id)
    if inquiry is None:
        return [Say(t(partnerships.NOT_PILOTING))]
    if await partnerships.open_count(session, person_id=person.id) >= partnerships.ACTIVE_LIMIT:
        return [Say(t(partnerships.TOO_MANY, limit=number(partnerships.ACTIVE_LIMIT)))]
    found = await partnerships.candidates(session, person=person, inquiry=inquiry, now=now)
    if not found:
        return [
            Say(
                t(
                    "No teacher of another circle who pilots “{strategy}” can be proposed to "
                    "you right now. Send /partner again in a few weeks.",
                    strategy=strategy_of(inquiry),
                )
            )
        ]
    place = index % len(found)
    candidate = found[place]
    text = lines(
        t(
            "A teacher of {circle} ({country}) also pilots a practice of “{strategy}”.",
            circle=candidate.circle.name,
            country=country_name(candidate.circle.country),
            strategy=strategy_of(inquiry),
        ),
        t("They teach the same subject as you.") if candidate.same_subject else None,
        t("They teach at the same school level as you.") if candidate.same_level else None,
        t(
            "If you ask, they are asked whether they agree. Once you both do, the bot "
            "introduces you and passes on your messages, without phone numbers or usernames."
        ),
    )
    assert candidate.person.id is not None
    buttons = [(Button(t(ASK_LABEL), AskPartner(candidate.person.id)),)]
    if len(found) > 1:
        buttons.append((Button(t(ANOTHER_LABEL), ShowCandidate(place + 1)),))
    return [Say(text, tuple(buttons))]


@members_only
async def partner(visit: Visit, person: Person, argument: str = "") -> Replies:
    """``/partner``: your partners, or a teacher of another circle to be introduced to;
    ``/partner stop``, ``/partner off``, ``/partner on``."""
    word = argument.strip().casefold()
    if word == "stop":
        return await to_end(visit.session, person)
    if word in ("off", "on"):
        person.partner_proposals = word == "on"
        if person.partner_proposals:
            return [Say(t("Good: you may be proposed as a partner to teachers of other circles."))]
        return [
            Say(
                t(
                    "You will not be proposed as a partner any more. Your partnerships go on; "
                    "/partner on allows it again."
                )
            )
        ]
    if word:
        return [Say(t(_USAGE))]
    pairs = await partners_with_circles(visit.session, person)
    if not pairs:
        return await _proposal(visit.session, person, 0, visit.now)
    buttons = [
        (Button(t(WRITE_LABEL, name=short_name(partner)), WritePartner(p.id)),)
        for p, partner, _circle in pairs
    ]
    if (
        await partnerships.open_count(visit.session, person_id=person.id)
        < partnerships.ACTIVE_LIMIT
    ):
        buttons.append((Button(t(_FIND_LABEL), ShowCandidate(0)),))
    text = lines(t("Your partners:"), partner_lines(pairs), t("/partner stop ends a partnership."))
    return [Say(text, tuple(buttons))]


@on(ShowCandidate)
async def show_candidate(pressed: Pressed, action: ShowCandidate) -> engine.Outcome:
    """*Show another* (or *Find another partner*): the next candidate."""
    events = await _proposal(pressed.session, pressed.person, action.index, pressed.now)
    return engine.Outcome(events)


def request_message(
    partnership: Partnership, requester: Person, circle: Circle, inquiry: Inquiry | None
) -> Say:
    """A request as the teacher asked reads it, with Accept and Decline."""
    head = t(
        "{name}, a teacher of {circle} ({country}), also pilots a practice of “{strategy}” "
        "and would like to be introduced to you:",
        name=name_of(requester),
        circle=circle.name,
        country=country_name(circle.country),
        strategy=strategy_of(partnership),
    )
    practice = (
        quoted(shorten(inquiry.practice, PRACTICE_QUOTE)) if inquiry and inquiry.practice else None
    )
    return Say(
        lines(
            head,
            practice,
            t(
                "If you accept, the bot introduces you to each other and passes on your "
                "messages, without your phone number or username."
            ),
        ),
        (
            (
                Button(t(ACCEPT_LABEL), AcceptPartner(partnership.id)),
                Button(t(DECLINE_LABEL), DeclinePartner(partnership.id)),
            ),
        ),
    )


@on(AskPartner)
async def ask(pressed: Pressed, action: AskPartner) -> engine.Outcome:
    """*Ask to be introduced*: the request goes to that teacher, if they are still one of
    the presser's candidates."""
    session, person, now = pressed.session, pressed.person, pressed.now
    try:
        partnership, candidate = await partnerships.ask(
            session, requester=person, partner_id=action.person_id, now=now
        )
    except (NotFound, Conflict) as refused:
        return engine.Outcome([Notice(t(refused.message, **refused.params))])
    circle = await session.get_one(Circle, partnership.requester_circle_id)
    inquiry = await partnerships.piloted_inquiry(session, person_id=person.id)
    await send(
        session,
        to=candidate.person,
        circle=candidate.circle,
        message=request_message(partnership, person, circle, inquiry),
        key=partnerships.request_key(partnership.id),
        now=now,
        priority=OutboxPriority.bulk,
    )
    told = t(
        "Asked. If they agree, you will both get an introduction here. Meanwhile /partner "
        "shows other teachers."
    )
    return engine.Outcome([Done(t(ASK_LABEL)), Say(told)])


# --- answering a request ------------------------------------------------------------------------


async def introduction(session: AsyncSession, partnership: Partnership, *, about: Person) -> Say:
    """The introduction of ``about`` to their new partner, with *Write to …*."""
    assert about.id is not None
    circle = await circle_of(session, partnership, about.id)
    inquiry = await partnerships.piloted_inquiry(session, person_id=about.id)
    practice = (
        quoted(shorten(inquiry.practice, PRACTICE_QUOTE)) if inquiry and inquiry.practice else None
    )
    text = lines(
        t(
            "Meet your partner {name}, a teacher of {circle} ({country}). Their practice of "
            "“{strategy}”:",
            name=name_of(about),
            circle=circle.name,
            country=country_name(circle.country),
            strategy=strategy_of(partnership),
        ),
        practice,
        t(
            "Write to them with the button below; the bot passes your messages on with your "
            "name only. /partner stop ends the partnership."
        ),
    )
    return Say(
        text, ((Button(t(WRITE_LABEL, name=short_name(about)), WritePartner(partnership.id)),),)
    )


@on(AcceptPartner)
async def accept(pressed: Pressed, action: AcceptPartner) -> engine.Outcome:
    """*Accept*: both are introduced (the presser here, the teacher who asked by message)."""
    session, person, now = pressed.session, pressed.person, pressed.now
    try:
        partnership = await partnerships.request_for(
            session, person_id=person.id, partnership_id=action.partnership_id
        )
        await partnerships.accept(session, partnership=partnership, now=now)
    except (NotFound, Conflict) as refused:
        return engine.Outcome([Notice(t(refused.message, **refused.params))])
    requester = await session.get_one(Person, partnership.requester_id)
    await send(
        session,
        to=requester,
        circle=await circle_of(session, partnership, requester.id),
        message=await introduction(session, partnership, about=person),
        key=partnerships.intro_key(partnership.id),
        now=now,
    )
    return engine.Outcome(
        [Done(t(ACCEPT_LABEL)), await introduction(session, partnership, about=requester)]
    )


@on(DeclinePartner)
async def decline(pressed: Pressed, action: DeclinePartner) -> engine.Outcome:
    """*Decline*: the teacher who asked is told, without a reason."""
    session, person, now = pressed.session, pressed.person, pressed.now
    try:
        partnership = await partnerships.request_for(
            session, person_id=person.id, partnership_id=action.partnership_id
        )
    except NotFound as gone:
        return engine.Outcome([Notice(t(gone.message))])
    await partnerships.decline(session, partnership=partnership, now=now)
    requester = await session.get_one(Person, partnership.requester_id)
    told = t(
        "The teacher you asked to be introduced to cannot take a partner now. Send /partner "
        "to see other teachers."
    )
    await send(
        session,
        to=requester,
        circle=await circle_of(session, partnership, requester.id),
        message=Say(told),
        key=partnerships.declined_key(partnership.id),
        now=now,
    )
    reply = t("Declined. They will not be proposed to you again, nor you to them.")
    return engine.Outcome([Done(t(DECLINE_LABEL)), Say(reply)])
