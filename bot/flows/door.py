"""The one door every update takes, whatever app it came from.

A messaging app's folder in ``bot/handlers/`` (and the web simulator) turns what arrived
into an :class:`Inbound` (a command with its argument, a message, an edited message, a
pressed button's data) and calls :func:`take` inside the update's transaction: it claims
the update id and counts the update, then calls :func:`handle` (the simulator, whose
updates have no id, calls :func:`handle` itself). :func:`handle` opens the
:class:`~bot.flows.visit.Visit` (the sender, their person, their identity marked
reachable: once per update), sends the inbound to the dialogue that answers it, and says
in which language to show the events.
The door's app then renders the events with its own capabilities, after the commit.

What stays with an app's folder is only what that app alone has: a group chat (Telegram
sends commands from groups; they are answered with a pointer to a private chat, and
``/linkgroup`` links one), deleting the message that carried a coordinator token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import (
    accounts,
    actions,
    checkins,
    circle,
    coordinator,
    exchange_sessions,
    joining,
    journey,
    leadership,
    linking,
    meetings,
    nudge,
    partners,
    peers,
    practices,
    privacy,
    review,
    revisions,
    settings,
)
from bot.flows.engine import Outcome
from bot.flows.events import Event, File, Photo, Say
from bot.flows.inputs import Input, InputKind
from bot.flows.messages import Arrival, Sender
from bot.flows.visit import Replies, Visit, enter
from circles import metrics
from circles.models import Channel
from circles.services import media
from circles.services.offload import off_loop
from circles.services.updates import claim_update
from circles.settings import Settings
from circles.text import t

#: A command's dialogue: the visit and the words after the command.
Command = Callable[[Visit, str], Awaitable[Replies]]


def _plain(dialogue: Callable[[Visit], Awaitable[Replies]]) -> Command:
    """A command that takes no argument (words after it are ignored, as Telegram does)."""

    async def command(visit: Visit, _argument: str) -> Replies:
        return await dialogue(visit)

    command.__doc__ = dialogue.__doc__
    return command


async def _start(visit: Visit, argument: str) -> Replies:
    # The simulator joins only demo circles: a real invite code is refused there.
    demo_only = visit.sender.channel is Channel.simulator
    code = argument.strip() or None
    if code and visit.member is None and (pointer := await accounts.invite_pointer(visit, code)):
        return [pointer]  # joined here, their circle's messages could not reach them
    return await joining.start(visit, code, demo_only=demo_only)


async def _practices(visit: Visit, argument: str) -> Replies:
    return await practices.search_practices(visit, argument)


async def _coordinator(visit: Visit, argument: str) -> Replies:
    return await coordinator.link(visit, argument.strip() or None)


#: Every command of a private chat, by name (without the slash): the members' own, then
#: the facilitators' and the coordinators'. ``/help`` lists those open to the reader
#: (:mod:`bot.flows.commands`).
COMMANDS: dict[str, Command] = {
    "start": _start,
    "help": _plain(joining.help_text),
    "practices": _practices,
    "coordinator": _coordinator,
    "checkin": _plain(checkins.checkin),
    "journey": _plain(journey.journey),
    "edit": _plain(checkins.edit),
    "skip": _plain(checkins.skip),
    "pause": _plain(settings.pause),
    "resume": _plain(settings.resume_reminders),
    # WhatsApp's "STOP" (and /stop anywhere): a pause until /resume, without asking.
    "stop": _plain(settings.stop),
    "language": _plain(partial(settings.settings_flow, flow_id="language")),
    "timezone": _plain(partial(settings.settings_flow, flow_id="timezone")),
    "ask": _plain(peers.ask),
    "peers": _plain(peers.settings),
    "partner": partners.partner,
    "mypractices": _plain(revisions.my_practices),
    "mydata": _plain(privacy.mydata),
    "forgetme": _plain(privacy.forgetme),
    "cancel": _plain(settings.cancel),
    "summary": _plain(circle.summary),
    "who": _plain(circle.who),
    "nudge": _plain(nudge.nudge),
    "circle": _plain(circle.circle),
    "review": _plain(review.review),
    "broadcast": _plain(coordinator.broadcast),
    "broadcasts": _plain(coordinator.overview),
    "meeting": _plain(meetings.schedule),
    "meetings": _plain(meetings.overview),
    "cofacilitate": _plain(leadership.cofacilitate),
    "sessions": _plain(exchange_sessions.upcoming),
}


@dataclass(frozen=True)
class Inbound:
    """What arrived, as the flows see it: exactly one of a command, a message, a press."""

    #: A command's name, lower case, without the slash or a ``@botname``.
    command: str | None = None
    #: The words after the command.
    argument: str = ""
    #: A message that is not a command (text, photo, voice …).
    message: Input | None = None
    #: A pressed button's data (:mod:`bot.flows.buttons`).
    data: str | None = None
    #: The message is an edit of one sent earlier.
    edited: bool = False

    @classmethod
    def of(cls, message: Input) -> Inbound:
        """A message: a text that starts with ``/`` is a command, anything else an answer."""
        command = cls.command_of(message.text or "") if message.kind is InputKind.text else None
        return command or cls(message=message)

    @classmethod
    def command_of(cls, text: str) -> Inbound | None:
        """``/name words…`` as a command (``@botname`` after the name dropped, the words
        as typed, line breaks kept), or None when ``text`` is no command."""
        words = text.strip()[1:].split(maxsplit=1) if text.strip().startswith("/") else []
        if not words:
            return None
        argument = words[1].strip() if len(words) > 1 else ""
        return cls(command=words[0].split("@")[0].lower(), argument=argument)


@dataclass(frozen=True)
class Handled:
    """What an update came to: the events to show, and in which language."""

    outcome: Outcome
    language: str
    #: This update erased its sender (``/forgetme`` confirmed).
    erased: bool = False


async def dispatch(visit: Visit, inbound: Inbound) -> Outcome:
    """The dialogue that answers ``inbound``, and what it answered."""
    if visit.member is None and (link := await linking.pending(visit)) is not None:
        # Someone asked whether they are a member on another app answers that first.
        answered = await linking.answer(visit, link, data=inbound.data, message=inbound.message)
        return Outcome(answered)
    if inbound.data is not None:
        return await actions.press(visit, inbound.data)
    if inbound.command is not None:
        command = COMMANDS.get(inbound.command)
        if command is None:
            return Outcome([unknown_command("/" + inbound.command)])
        return Outcome(await command(visit, inbound.argument))
    if inbound.message is None:
        return Outcome([])
    if inbound.edited:
        return Outcome(await checkins.edited_message(visit, inbound.message))
    return Outcome(await checkins.message(visit, inbound.message))


def unknown_command(command: str) -> Say:
    """The answer to a command the bot does not have."""
    return Say(
        t(
            "I do not know the command {command}. Send /help to see what you can do.",
            command=command[:64],
        )
    )


async def handle(
    session: AsyncSession,
    *,
    sender: Sender,
    inbound: Inbound,
    settings: Settings,
    now: datetime,
    answer: Callable[[Visit], Awaitable[Replies]] | None = None,
    arrival: Arrival | None = None,
) -> Handled:
    """Open the visit of one update, answer it, and say how to show the answer.

    ``answer`` replaces the dispatch for what only one app has (a Telegram group's
    ``/linkgroup``); it still gets the visit, so the sender is resolved once. ``arrival``
    is the bot or number the update came in on: a member whose circle another one serves
    is only told which (:mod:`bot.flows.accounts`).
    """
    visit = await enter(
        session,
        sender=sender,
        settings=settings,
        now=now,
        account=arrival.account if arrival is not None else None,
    )
    visit.arrival = arrival
    pointer = await accounts.elsewhere(visit) if not answer else None
    if pointer is not None:
        outcome = Outcome([pointer])
    else:
        outcome = Outcome(await answer(visit)) if answer else await dispatch(visit, inbound)
    outcome.events = await _with_stored_media(outcome.events, settings.media_dir)
    language = await visit.language()
    erased = visit.person is not None and visit.person.forgotten_at is not None
    return Handled(outcome, language, erased)


async def _with_stored_media(events: list[Event], directory: Path) -> list[Event]:
    """Photos of the media store (sent on an app that does not keep files) as files to
    upload, on every app; one no longer in the store shows its caption."""
    shown: list[Event] = []
    for event in events:
        if isinstance(event, Photo) and media.is_stored(event.file_id):
            content = await off_loop(media.read, directory, event.file_id)
            if content is None:  # erased meanwhile
                shown += [Say(event.caption)] if event.caption else []
                continue
            name = event.file_id.removeprefix(media.PREFIX)
            kind = (
                "photo" if media.content_type_of(event.file_id).startswith("image/") else "document"
            )
            event = File(name, content, event.caption, kind=kind)
        shown.append(event)
    return shown


async def take(
    session: AsyncSession,
    *,
    update_id: str,
    sender: Sender,
    inbound: Inbound,
    settings: Settings,
    now: datetime,
    answer: Callable[[Visit], Awaitable[Replies]] | None = None,
    arrival: Arrival | None = None,
) -> Handled | None:
    """Claim ``update_id`` on the sender's channel and :func:`handle` the update; None
    (counted as a duplicate) when the update was handled before.

    Call it in the update's transaction: if the work fails, the claim rolls back with it
    and a redelivery is handled again.
    """
    if not await claim_update(session, channel=sender.channel, update_id=update_id, now=now):
        metrics.DUPLICATES.inc()
        return None
    metrics.UPDATES.inc()
    return await handle(
        session,
        sender=sender,
        inbound=inbound,
        settings=settings,
        now=now,
        answer=answer,
        arrival=arrival,
    )
