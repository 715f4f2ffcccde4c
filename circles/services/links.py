"""One person on two apps: linking a new identity to the person it belongs to.

Someone unknown who joins with an invite that exactly one member joined with from another
app (and who has no identity on this app yet) may be that member: they are asked, never
merged silently. On yes, a one-time code of six digits goes to the member on the first
app (:func:`issue_code`; only a hash of it is stored, it expires after
:data:`CODE_LIFETIME`), and typing it on the new app adds the new identity to the
member's person (:func:`try_code`): one person, one history. Three wrong codes, no, or
the time running out end the attempt and change nothing.

The candidate is found by the invite only, because nothing else ties two apps' accounts
together: an invite shared by several members who joined on another app finds no one
(the newcomer joins as someone new, as before).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from circles.models import (
    Channel,
    Circle,
    Consent,
    Identity,
    IdentityLink,
    Invite,
    Membership,
    Outbox,
    Person,
)
from circles.services.audit import record_audit

#: How long an offer, and then its code, stays valid.
CODE_LIFETIME = timedelta(minutes=15)
#: Wrong codes that end an attempt.
MAX_WRONG = 3
#: The digits of a code.
DIGITS = 6
#: WhatsApp lets a business write free-form only this long after the person's last
#: message (the WhatsApp sender's window).
WHATSAPP_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Candidate:
    """The member someone joining may be: their person, where they are, the circle."""

    person: Person
    identity: Identity
    circle: Circle


class Checked(StrEnum):
    """What typing a code came to."""

    linked = "linked"
    wrong = "wrong"
    ended = "ended"


async def candidate(session: AsyncSession, *, code: str, channel: Channel) -> Candidate | None:
    """The one consenting member who joined with invite ``code`` from another app and has
    no identity on ``channel``; None when there is none, or several."""
    here = aliased(Identity)
    on_channel = select(here.id).where(here.person_id == Person.id, here.channel == channel)
    rows = (
        await session.execute(
            select(Person, Identity, Circle)
            .join(Membership, Membership.person_id == Person.id)
            .join(Invite, Invite.id == Membership.invite_id)
            .join(Circle, Circle.id == Membership.circle_id)
            .join(Identity, Identity.person_id == Person.id)
            .where(
                Invite.code == code,
                Person.consent == Consent.given,
                Person.forgotten_at.is_(None),
                Identity.channel.in_([Channel.telegram, Channel.whatsapp]),
                Identity.channel != channel,
                ~on_channel.exists(),
            )
            .order_by(Identity.last_inbound_at.desc().nulls_last(), Identity.id.desc())
        )
    ).all()
    if len({person.id for person, _i, _c in rows}) != 1:
        return None
    person, identity, circle = rows[0]
    return Candidate(person, identity, circle)


async def offer(
    session: AsyncSession, *, person: Person, channel: Channel, address: str, now: datetime
) -> IdentityLink:
    """Ask whether (``channel``, ``address``) is ``person``: a new attempt, no code yet
    (an earlier attempt from there ends, with its code's message)."""
    earlier = await _attempt(session, channel, address)
    if earlier is not None:
        await end(session, link=earlier)
    link = IdentityLink(
        person_id=person.id,
        channel=channel,
        address=address,
        expires_at=now + CODE_LIFETIME,
        created_at=now,
    )
    session.add(link)
    await session.flush()
    return link


async def pending(
    session: AsyncSession, *, channel: Channel, address: str, now: datetime
) -> IdentityLink | None:
    """The attempt of someone writing from (``channel``, ``address``); an expired one is
    dropped (with its code's message) and is none."""
    link = await _attempt(session, channel, address)
    if link is not None and link.expires_at <= now:
        await end(session, link=link)
        return None
    return link


async def _attempt(session: AsyncSession, channel: Channel, address: str) -> IdentityLink | None:
    return await session.scalar(
        select(IdentityLink).where(IdentityLink.channel == channel, IdentityLink.address == address)
    )


async def first_identity(session: AsyncSession, *, link: IdentityLink) -> Identity | None:
    """Where the person of ``link`` is on the other app (the one they wrote from last)."""
    return await session.scalar(
        select(Identity)
        .where(
            Identity.person_id == link.person_id,
            Identity.channel.in_([Channel.telegram, Channel.whatsapp]),
            Identity.channel != link.channel,
        )
        .order_by(Identity.last_inbound_at.desc().nulls_last(), Identity.id.desc())
        .limit(1)
    )


def may_write_to(identity: Identity, now: datetime) -> bool:
    """Whether a code may go to ``identity`` now (on WhatsApp: within its window)."""
    if identity.channel is not Channel.whatsapp:
        return True
    last = identity.last_inbound_at
    return last is not None and now - last < WHATSAPP_WINDOW


def code_key(link: IdentityLink, now: datetime) -> str:
    """The outbox key of a code's message (one per code issued)."""
    return f"link-{link.id}-{int(now.timestamp())}"


async def issue_code(session: AsyncSession, *, link: IdentityLink, now: datetime) -> str:
    """A new one-time code for ``link`` (the earlier one no longer works); only its hash
    is stored."""
    code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
    link.code_hash = _hash(link, code)
    link.wrong_codes = 0
    link.expires_at = now + CODE_LIFETIME
    await session.flush()
    return code


async def try_code(
    session: AsyncSession, *, link: IdentityLink, code: str, now: datetime
) -> Checked:
    """Check a typed code: the right one links the new identity to the person."""
    if link.code_hash is not None and hmac.compare_digest(link.code_hash, _hash(link, code)):
        session.add(
            Identity(
                person_id=link.person_id,
                channel=link.channel,
                address=link.address,
                last_inbound_at=now,
                created_at=now,
            )
        )
        await record_audit(
            session,
            now=now,
            actor=f"person:{link.person_id}",
            action="identity.link",
            target_type="person",
            target_id=link.person_id,
            detail={"channel": link.channel.value},
        )
        await end(session, link=link)
        return Checked.linked
    link.wrong_codes += 1
    if link.wrong_codes >= MAX_WRONG:
        await end(session, link=link)
        return Checked.ended
    await session.flush()
    return Checked.wrong


def tries_left(link: IdentityLink) -> int:
    """Wrong codes that may still be typed."""
    return MAX_WRONG - link.wrong_codes


async def end(session: AsyncSession, *, link: IdentityLink) -> None:
    """End an attempt: the offer goes, and a code's message not sent yet with it."""
    await session.execute(
        delete(Outbox).where(Outbox.idempotency_key.startswith(f"link-{link.id}-"))
    )
    await session.delete(link)
    await session.flush()


def _hash(link: IdentityLink, code: str) -> str:
    return hashlib.sha256(f"{link.id}:{code.strip()}".encode()).hexdigest()
