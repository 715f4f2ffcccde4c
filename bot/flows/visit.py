"""Who sent an update, resolved once: the :class:`Visit` every dialogue takes.

A door (:mod:`bot.flows.door`) opens one visit per update, inside the update's
transaction: it reads the sender's identity and person in one query, marks the identity
reachable (it just wrote), and hands the visit to the dialogue. The dialogue asks the
visit, not the database, who is writing:

- :attr:`Visit.member`: the person, unless the bot does not know them or forgot them;
- :meth:`Visit.consented`: the person if they may use member commands, else the answer
  that explains why not (how to join, or back to the onboarding question);
- :meth:`Visit.places`: the circles where they hold one of some roles, read once per
  visit and role set;
- :meth:`Visit.language`: the language its replies are shown in, read after the work,
  so a language chosen by this update is the one its replies use.

Nothing here outlives the update: a visit is an ordinary object the door creates and
drops, not a cache on the session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Concatenate, ParamSpec, TypeAlias

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import engine
from bot.flows.events import Event, Say
from bot.flows.messages import Arrival, Sender
from circles.i18n import N_, normalize_language
from circles.models import Circle, Consent, Identity, Person, Role
from circles.services.access import Scope, member_scopes
from circles.services.people import reader_language
from circles.settings import Settings
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
FACILITATORS = (Role.facilitator,)
READERS = (Role.facilitator, Role.union_rep)
_NOT_FACILITATOR = N_("This is for the facilitators of a circle.")
_NOT_READER = N_("This is for the facilitators and union representatives of a circle.")

_IDENTITY_AND_PERSON = (
    select(Identity, Person)
    .join(Person, Person.id == Identity.person_id)
    .where(Identity.channel == bindparam("channel"), Identity.address == bindparam("address"))
)


@dataclass(eq=False)
class Visit:
    """One update's sender, their person and what the dialogues ask of them."""

    session: AsyncSession
    sender: Sender
    settings: Settings
    now: datetime
    #: The sender's person as the update found them (None: nobody has this identity).
    person: Person | None = None
    #: The bot or number the update came in on (None: the door does not say).
    arrival: Arrival | None = None
    _places: dict[tuple[Role, ...], list[tuple[Circle, Scope]]] = field(
        default_factory=dict, repr=False
    )

    @property
    def member(self) -> Person | None:
        """The person behind the sender, unless the bot does not know them or forgot them."""
        person = self.person
        if person is None or person.forgotten_at is not None:
            return None
        return person

    async def consented(self) -> tuple[Person | None, Replies]:
        """The person if they may use member commands, else the reply explaining why not."""
        person = self.member
        if person is None:
            return None, [Say(NOT_MEMBER)]
        if person.consent is not Consent.given:
            running = await engine.active_run(self.session, person_id=person.id)
            if running is not None and running.flow_id == "onboarding":
                return None, [
                    await engine.ask(self.session, run=running, person=person, now=self.now)
                ]
            return None, [Say(NO_CONSENT)]
        return person, []

    async def places(
        self, roles: tuple[Role, ...]
    ) -> tuple[Person | None, list[tuple[Circle, Scope]], Replies]:
        """The person and the circles where they have one of ``roles``, or the refusal."""
        person = self.member
        found: list[tuple[Circle, Scope]] = []
        if person is not None and person.consent is Consent.given:
            if roles not in self._places:
                self._places[roles] = await member_scopes(
                    self.session, person_id=person.id, roles=roles
                )
            found = self._places[roles]
        if person is None or not found:
            refusal = _NOT_FACILITATOR if roles == FACILITATORS else _NOT_READER
            return None, [], [Say(t(refusal))]
        return person, found, []

    async def language(self) -> str:
        """The language to show this update's replies in, as it is after the work.

        The person's own language; their app's if the bot does not know them (or erased
        them during this update); else the default. Someone who joined during the update
        has a person the visit did not start with: they are read once more.
        """
        client = normalize_language(self.sender.language_code or "")
        default = self.settings.default_language
        person = self.person
        if person is None:
            return await reader_language(
                self.session,
                channel=self.sender.channel,
                address=self.sender.address,
                client_language=self.sender.language_code,
                default=default,
            )
        if person.forgotten_at is not None:
            return client or default
        return person.language or client or default


async def enter(
    session: AsyncSession,
    *,
    sender: Sender,
    settings: Settings,
    now: datetime,
    account: int | None = None,
) -> Visit:
    """Open the visit of one update: find the sender, and mark their identity reachable.

    One query reads the identity and its person; the identity is written when the
    transaction flushes (it is reachable again, and now the person's latest; ``account``
    is the bot or number the update came in on, None for the default one: WhatsApp's
    24-hour window is open with that number).
    """
    row = (
        await session.execute(
            _IDENTITY_AND_PERSON, {"channel": sender.channel, "address": sender.address}
        )
    ).first()
    if row is None:
        return Visit(session, sender, settings, now)
    identity, person = row
    identity.unreachable_at = None
    identity.last_inbound_at = now
    identity.last_inbound_account = account
    return Visit(session, sender, settings, now, person)


P = ParamSpec("P")


def members_only(
    dialogue: Callable[Concatenate[Visit, Person, P], Awaitable[Replies]],
) -> Callable[Concatenate[Visit, P], Awaitable[Replies]]:
    """A member command: it runs for a person who has consented, with that person.

    Everyone else gets :meth:`Visit.consented`'s answer (how to join, or their
    onboarding question), and the dialogue does not run.
    """

    @wraps(dialogue)
    async def command(visit: Visit, /, *args: P.args, **kwargs: P.kwargs) -> Replies:
        person, refusal = await visit.consented()
        if person is None:
            return refusal
        return await dialogue(visit, person, *args, **kwargs)

    return command


#: One circle's part of a command's answer, for the person asking and their scope there.
Answer = Callable[[Person, Circle, Scope], Awaitable[Replies]]


async def each_place(visit: Visit, roles: tuple[Role, ...], answer: Answer) -> Replies:
    """``answer`` for each circle where the sender has one of ``roles``, or the refusal."""
    person, found, refusal = await visit.places(roles)
    if person is None:
        return refusal
    replies: Replies = []
    for circle, scope in found:
        replies += await answer(person, circle, scope)
    return replies
