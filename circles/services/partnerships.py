"""Partnerships between teachers of different circles who pilot the same strategy.

A teacher in pilot (or later) asks to be introduced to a teacher of another circle whose
current practice builds on the same strategy (preferably the same subject or school
level). Candidates are real (not demo) circles' teachers who consented, are not paused
or forgotten, can be reached, did not turn proposals off, and have no partnership row
with the asker yet (a declined or ended pair is not proposed again). Both must agree:
the request waits for the other's *Accept*; then the bot introduces them and relays
their messages (:class:`PartnerMessage`, personal data of their sender) until either
ends it. A teacher has at most :data:`ACTIVE_LIMIT` partnerships (active or asked for).
Coordinators read only the counts (:func:`stats`). The messages are composed and queued
in ``bot/flows/partners.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from circles.errors import Conflict, InvalidAnswer, NotFound
from circles.i18n import N_
from circles.models import (
    Circle,
    Inquiry,
    Membership,
    Outbox,
    OutboxPriority,
    PartnerMessage,
    Partnership,
    PartnershipStatus,
    Person,
    Phase,
    Role,
)
from circles.services.access import Permission, Scope
from circles.services.audit import record_audit
from circles.services.outbox import enqueue, say
from circles.services.scheduling import reachable
from circles.text import number, t

#: Partnerships a teacher has at most at a time (active, or asked for and not answered).
ACTIVE_LIMIT = 3
#: Messages a teacher relays to their partners in any 24 hours.
MESSAGES_A_DAY = 20
#: Longest relayed message, in characters.
TEXT_LIMIT = 2000
#: Candidates read per proposal (a teacher sees them one at a time).
CANDIDATES_READ = 200
#: Phases in which an inquiry has a practice being tried (or tried).
PILOTED = (Phase.pilot, Phase.codify, Phase.done)

NOT_PILOTING = N_(
    "Partnerships are for teachers who pilot a practice: once you have chosen yours and "
    "begun piloting it, send /partner again."
)
GONE = N_("This partnership is no longer open to you.")
NOT_AVAILABLE = N_("This teacher can no longer be introduced to you.")
TOO_MANY = N_(
    "You already have {limit} partnerships (or requests). End one with /partner stop first."
)
_THEY_HAVE_TOO_MANY = N_("You already have {limit} partnerships. End one with /partner stop first.")
_TOO_LONG = N_("Please keep it under {limit} characters.")
_EMPTY = N_("Please type your words.")
_ERASED_PARTNER = N_(
    "Your partner has left Learning Circles, so your partnership has ended and their "
    "messages are deleted. Send /partner to find another partner."
)


def request_key(partnership_id: int | None) -> str:
    """The outbox key of the request sent to the teacher asked."""
    return f"partner-request-{partnership_id}"


def intro_key(partnership_id: int | None) -> str:
    """The outbox key of the introduction sent to the teacher who asked."""
    return f"partner-intro-{partnership_id}"


def declined_key(partnership_id: int | None) -> str:
    """The outbox key of the word that the request was declined."""
    return f"partner-declined-{partnership_id}"


def ended_key(partnership_id: int | None) -> str:
    """The outbox key of the word that a partnership has ended."""
    return f"partner-ended-{partnership_id}"


def message_key(partnership_id: int | None, message_id: int | None) -> str:
    """The outbox key of one relayed message."""
    return f"partner-message-{partnership_id}-{message_id}"


def _keys_of(partnership_id: int | None) -> list[str]:
    """The keys of the messages about a partnership that name or quote a side."""
    return [request_key(partnership_id), intro_key(partnership_id)]


def other_side(partnership: Partnership, person_id: int) -> int | None:
    """The id of the person's partner in ``partnership`` (None: that side was erased)."""
    if partnership.requester_id == person_id:
        return partnership.partner_id
    return partnership.requester_id


# --- who may be proposed ----------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A teacher who could be introduced, with what they share with the asker."""

    person: Person
    circle: Circle
    inquiry: Inquiry
    same_subject: bool
    same_level: bool


async def piloted_inquiry(session: AsyncSession, *, person_id: int) -> Inquiry | None:
    """The person's newest inquiry with a practice in pilot or later, if any."""
    return await session.scalar(
        select(Inquiry)
        .where(
            Inquiry.person_id == person_id,
            Inquiry.phase.in_(PILOTED),
            Inquiry.strategy.is_not(None),
        )
        .order_by(Inquiry.id.desc())
        .limit(1)
    )


def _subjects(person: Person) -> set[str]:
    return {s.strip().casefold() for s in (person.subjects or "").split(",") if s.strip()}


async def candidates(
    session: AsyncSession, *, person: Person, inquiry: Inquiry, now: datetime
) -> list[Candidate]:
    """Teachers of other real circles who pilot the same strategy and may be proposed to
    ``person``: the same subject and school level first, then the oldest members first."""
    assert inquiry.strategy is not None
    own_circle = await session.get(Circle, inquiry.circle_id)
    if own_circle is None or own_circle.demo:
        return []
    # (An erased side is NULL, which NOT IN would turn into "nobody": left out here.)
    pairs = select(Partnership.partner_id).where(
        Partnership.requester_id == person.id, Partnership.partner_id.is_not(None)
    )
    pairs_back = select(Partnership.requester_id).where(
        Partnership.partner_id == person.id, Partnership.requester_id.is_not(None)
    )
    own_circles = select(Membership.circle_id).where(Membership.person_id == person.id)
    newer = aliased(Inquiry)
    newest = (  # a candidate works on the strategy of their newest piloted inquiry
        select(func.max(newer.id))
        .where(newer.person_id == Person.id, newer.phase.in_(PILOTED))
        .correlate(Person)
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(Person, Circle, Inquiry)
            .join(Inquiry, Inquiry.person_id == Person.id)
            .join(Circle, Circle.id == Inquiry.circle_id)
            .join(
                Membership,
                (Membership.person_id == Person.id) & (Membership.circle_id == Circle.id),
            )
            .where(
                Membership.role == Role.teacher,
                Inquiry.id == newest,
                Inquiry.strategy == inquiry.strategy,
                Circle.demo.is_(False),
                Circle.id.not_in(own_circles),
                Person.id != person.id,
                Person.partner_proposals.is_(True),
                Person.id.not_in(pairs),
                Person.id.not_in(pairs_back),
                reachable(now),
            )
            .order_by(Person.id)
            .limit(CANDIDATES_READ)
        )
    ).all()
    mine = _subjects(person)
    found: dict[int, Candidate] = {}
    for other, circle, theirs in rows:
        if other.id in found:
            continue
        found[other.id] = Candidate(
            other,
            circle,
            theirs,
            same_subject=bool(mine & _subjects(other)),
            same_level=bool(person.grade_level) and other.grade_level == person.grade_level,
        )
    return sorted(
        found.values(),
        key=lambda c: (not (c.same_subject and c.same_level), not c.same_subject, not c.same_level),
    )


# --- asking, answering, ending ------------------------------------------------------------------


async def open_count(session: AsyncSession, *, person_id: int) -> int:
    """The person's partnerships that are active, or asked for by them and not answered."""
    count = await session.scalar(
        select(func.count())
        .select_from(Partnership)
        .where(
            or_(
                Partnership.status == PartnershipStatus.active,
                (Partnership.status == PartnershipStatus.requested)
                & (Partnership.requester_id == person_id),
            ),
            or_(Partnership.requester_id == person_id, Partnership.partner_id == person_id),
        )
    )
    return count or 0


async def active_count(session: AsyncSession, *, person_id: int) -> int:
    """The person's active partnerships."""
    count = await session.scalar(
        select(func.count())
        .select_from(Partnership)
        .where(
            Partnership.status == PartnershipStatus.active,
            or_(Partnership.requester_id == person_id, Partnership.partner_id == person_id),
        )
    )
    return count or 0


async def ask(
    session: AsyncSession, *, requester: Person, partner_id: int, now: datetime
) -> tuple[Partnership, Candidate]:
    """Ask for an introduction to ``partner_id``, who must be one of the requester's
    candidates now (:class:`NotFound` otherwise: the id came from a button)."""
    assert requester.id is not None
    inquiry = await piloted_inquiry(session, person_id=requester.id)
    if inquiry is None:
        raise NotFound(NOT_PILOTING)
    found = [
        c
        for c in await candidates(session, person=requester, inquiry=inquiry, now=now)
        if c.person.id == partner_id
    ]
    if not found:
        raise NotFound(NOT_AVAILABLE)
    if await open_count(session, person_id=requester.id) >= ACTIVE_LIMIT:
        raise Conflict(TOO_MANY, limit=ACTIVE_LIMIT)
    candidate = found[0]
    assert inquiry.strategy is not None and candidate.circle.id is not None
    partnership = Partnership(
        requester_id=requester.id,
        partner_id=partner_id,
        requester_circle_id=inquiry.circle_id,
        partner_circle_id=candidate.circle.id,
        strategy=inquiry.strategy,
        created_at=now,
    )
    session.add(partnership)
    await session.flush()
    await _audit(session, partnership, "request", actor=requester.id, now=now)
    return partnership, candidate


async def request_for(session: AsyncSession, *, person_id: int, partnership_id: int) -> Partnership:
    """A request made to the person and not answered yet; otherwise :class:`NotFound`."""
    found = await session.scalar(
        select(Partnership).where(
            Partnership.id == partnership_id,
            Partnership.partner_id == person_id,
            Partnership.status == PartnershipStatus.requested,
        )
    )
    if found is None:
        raise NotFound(GONE)
    return found


async def accept(session: AsyncSession, *, partnership: Partnership, now: datetime) -> None:
    """The teacher asked agrees: the partnership is active (unless they have too many)."""
    assert partnership.partner_id is not None
    if await active_count(session, person_id=partnership.partner_id) >= ACTIVE_LIMIT:
        raise Conflict(_THEY_HAVE_TOO_MANY, limit=ACTIVE_LIMIT)
    partnership.status = PartnershipStatus.active
    partnership.answered_at = now
    await _audit(session, partnership, "accept", actor=partnership.partner_id, now=now)


async def decline(session: AsyncSession, *, partnership: Partnership, now: datetime) -> None:
    """The teacher asked says no: the pair is not proposed again."""
    assert partnership.partner_id is not None
    partnership.status = PartnershipStatus.declined
    partnership.answered_at = now
    await _audit(session, partnership, "decline", actor=partnership.partner_id, now=now)


async def active_for(session: AsyncSession, *, person_id: int, partnership_id: int) -> Partnership:
    """An active partnership of the person; otherwise :class:`NotFound`."""
    found = await session.scalar(
        select(Partnership).where(
            Partnership.id == partnership_id,
            Partnership.status == PartnershipStatus.active,
            or_(Partnership.requester_id == person_id, Partnership.partner_id == person_id),
        )
    )
    if found is None:
        raise NotFound(GONE)
    return found


async def partners_of(session: AsyncSession, *, person_id: int) -> list[tuple[Partnership, Person]]:
    """The person's active partnerships with the partner of each, oldest first."""
    found = await session.scalars(
        select(Partnership)
        .where(
            Partnership.status == PartnershipStatus.active,
            or_(Partnership.requester_id == person_id, Partnership.partner_id == person_id),
        )
        .order_by(Partnership.id)
    )
    pairs = []
    for partnership in found:
        other = other_side(partnership, person_id)
        partner = await session.get(Person, other) if other is not None else None
        if partner is not None:
            pairs.append((partnership, partner))
    return pairs


async def end(session: AsyncSession, *, partnership: Partnership, by: int, now: datetime) -> None:
    """End an active partnership (either side may)."""
    partnership.status = PartnershipStatus.ended
    partnership.ended_at = now
    await _audit(session, partnership, "end", actor=by, now=now)


async def may_write(session: AsyncSession, *, sender_id: int, now: datetime) -> bool:
    """Whether the person relayed fewer than :data:`MESSAGES_A_DAY` messages in 24 hours."""
    sent = await session.scalar(
        select(func.count())
        .select_from(PartnerMessage)
        .where(
            PartnerMessage.sender_id == sender_id,
            PartnerMessage.created_at > now - timedelta(days=1),
        )
    )
    return (sent or 0) < MESSAGES_A_DAY


async def relay(
    session: AsyncSession, *, partnership: Partnership, sender: Person, text: str, now: datetime
) -> PartnerMessage:
    """Store a message from one partner to the other, as written."""
    words = text.strip()
    if not words:
        raise InvalidAnswer(_EMPTY)
    if len(words) > TEXT_LIMIT:
        raise InvalidAnswer(_TOO_LONG, limit=number(TEXT_LIMIT))
    assert sender.id is not None
    message = PartnerMessage(
        partnership_id=partnership.id, sender_id=sender.id, text=words, created_at=now
    )
    session.add(message)
    await session.flush()
    return message


async def _audit(
    session: AsyncSession, partnership: Partnership, verb: str, *, actor: int, now: datetime
) -> None:
    await record_audit(
        session,
        now=now,
        actor=f"person:{actor}",
        action=f"partnership.{verb}",
        target_type="partnership",
        target_id=partnership.id,
    )


# --- for coordinators -------------------------------------------------------------------------


@dataclass
class Counts:
    """Partnerships active now and ended."""

    active: int = 0
    ended: int = 0


@dataclass
class PartnershipStats:
    """How many partnerships there are in a scope, and per country (never their messages).

    A partnership between two countries counts once in the totals and once in each
    country's line.
    """

    total: Counts = field(default_factory=Counts)
    countries: dict[str, Counts] = field(default_factory=dict)


async def stats(session: AsyncSession, *, scope: Scope) -> PartnershipStats:
    """The counts of partnerships that touch a circle in the scope (coordinators and
    admins: :class:`~circles.errors.Forbidden` for anyone else)."""
    scope.require(Permission.read_across)
    asking, asked = aliased(Circle), aliased(Circle)
    rows = await session.execute(
        select(Partnership.status, asking, asked, func.count())
        .join(asking, asking.id == Partnership.requester_circle_id)
        .join(asked, asked.id == Partnership.partner_circle_id)
        .where(Partnership.status.in_((PartnershipStatus.active, PartnershipStatus.ended)))
        .group_by(Partnership.status, asking.id, asked.id)
    )
    result = PartnershipStats()
    for status, one, other, count in rows.all():
        sides = [c for c in (one, other) if scope.covers(c) and not c.demo]
        if not sides:
            continue
        field_name = "active" if status is PartnershipStatus.active else "ended"
        setattr(result.total, field_name, getattr(result.total, field_name) + count)
        for country in {c.country for c in sides}:
            line = result.countries.setdefault(country, Counts())
            setattr(line, field_name, getattr(line, field_name) + count)
    result.countries = dict(sorted(result.countries.items()))
    return result


# --- privacy ------------------------------------------------------------------------------


async def forget(session: AsyncSession, *, person_id: int, now: datetime) -> None:
    """Erase the person's side of their partnerships: their messages (and the queued or
    sent rows that carry them or name them) go; an active partnership ends and the partner
    is told without the name; an unanswered request is withdrawn; the rows no longer name
    the person (their side's id is emptied)."""
    theirs = list(
        await session.scalars(
            select(Partnership).where(
                or_(Partnership.requester_id == person_id, Partnership.partner_id == person_id)
            )
        )
    )
    if not theirs:
        return
    sent = (
        await session.execute(
            select(PartnerMessage.partnership_id, PartnerMessage.id).where(
                PartnerMessage.sender_id == person_id
            )
        )
    ).all()
    keys = [message_key(pid, mid) for pid, mid in sent]
    keys += [k for p in theirs for k in _keys_of(p.id)]
    await session.execute(delete(Outbox).where(Outbox.idempotency_key.in_(keys)))
    await session.execute(delete(PartnerMessage).where(PartnerMessage.sender_id == person_id))
    for partnership in theirs:
        if partnership.status is PartnershipStatus.requested:
            partnership.status = PartnershipStatus.declined
            partnership.answered_at = now
        elif partnership.status is PartnershipStatus.active:
            partnership.status = PartnershipStatus.ended
            partnership.ended_at = now
            other = other_side(partnership, person_id)
            partner = await session.get(Person, other) if other is not None else None
            if partner is not None and partner.forgotten_at is None:
                await enqueue(
                    session,
                    to=partner,
                    payload=say(t(_ERASED_PARTNER)),
                    key=ended_key(partnership.id),
                    now=now,
                    priority=OutboxPriority.bulk,
                )
    await session.execute(
        update(Partnership).where(Partnership.requester_id == person_id).values(requester_id=None)
    )
    await session.execute(
        update(Partnership).where(Partnership.partner_id == person_id).values(partner_id=None)
    )
