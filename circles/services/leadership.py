"""Distributed leadership: a teacher who codified a practice is invited to co-facilitate.

A facilitator of the teacher's circle, a coordinator or an admin whose scope covers it
invites (:func:`invite`): the teacher must teach in that circle and have an inquiry that
reached codify (409 otherwise). The invitation goes to the teacher through the outbox
with *Accept* / *Decline* (key ``cofacilitation-<id>``) and stays open
:data:`INVITATION_DAYS` days. Accepting (:func:`answer`) changes the role at once, not at
the next school year: their membership of the named circle becomes a facilitator's (or
they join that circle as one); inquiries, answers and practices keep their person and
circle, so they stay theirs and readable on the teacher's page. The inviting person, if
the inviter is someone, is told the answer (``cofacilitation-<id>-answer``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import Conflict, NotFound
from circles.i18n import N_
from circles.models import (
    Circle,
    CoFacilitation,
    CoFacilitationStatus,
    Inquiry,
    Membership,
    OutboxPriority,
    Person,
    Phase,
    Practice,
    Role,
)
from circles.services import outbox
from circles.services.access import NOT_YOURS, Permission, Scope, circle_for
from circles.services.audit import record_audit
from circles.services.schedule import sendable_from
from circles.text import Day, Part, t

#: How long an invitation stays open.
INVITATION_DAYS = 30

TEACHER_NOT_FOUND = N_("There is no teacher with this id in this circle that you can see.")
NOT_CODIFIED = N_(
    "Only a teacher whose inquiry reached codify (a codified practice) can be invited to "
    "co-facilitate."
)
ALREADY_FACILITATES = N_("This person already facilitates that circle.")
ALREADY_INVITED = N_("This teacher already has an open invitation to co-facilitate that circle.")
ALREADY_ACCEPTED = N_("You already accepted this invitation.")
ALREADY_DECLINED = N_("You already declined this invitation.")
EXPIRED = N_("This invitation has expired. Your facilitator can invite you again.")

_INVITES_NAMED = N_(
    "{name} invites you to co-facilitate the learning circle {circle}, because of the "
    "practice you codified. As a facilitator you see who answered, remind, schedule "
    "meetings and review practices; your inquiries and practices stay yours. The invitation "
    "is open until {until}."
)
_INVITES = N_(
    "You are invited to co-facilitate the learning circle {circle}, because of the practice "
    "you codified. As a facilitator you see who answered, remind, schedule meetings and "
    "review practices; your inquiries and practices stay yours. The invitation is open "
    "until {until}."
)
_ACCEPTED = N_("{name} accepted your invitation to co-facilitate {circle}.")
_DECLINED = N_("{name} declined your invitation to co-facilitate {circle}.")
ACCEPT_LABEL = N_("Accept")
DECLINE_LABEL = N_("Decline")


def invitation_key(invitation_id: int) -> str:
    """The outbox key of the invitation itself."""
    return f"cofacilitation-{invitation_id}"


def answer_key(invitation_id: int) -> str:
    """The outbox key of the answer, to the inviter."""
    return f"cofacilitation-{invitation_id}-answer"


async def has_codified(session: AsyncSession, *, person_id: int, circle_id: int) -> bool:
    """Whether the person's inquiry in the circle reached codify, or they wrote a practice."""
    reached = await session.scalar(
        select(Inquiry.id)
        .where(
            Inquiry.person_id == person_id,
            Inquiry.circle_id == circle_id,
            Inquiry.phase.in_((Phase.codify, Phase.done)),
        )
        .limit(1)
    )
    if reached is not None:
        return True
    wrote = await session.scalar(
        select(Practice.id)
        .where(Practice.author_id == person_id, Practice.circle_id == circle_id)
        .limit(1)
    )
    return wrote is not None


async def _role(session: AsyncSession, *, person_id: int, circle_id: int) -> Role | None:
    return await session.scalar(
        select(Membership.role).where(
            Membership.person_id == person_id, Membership.circle_id == circle_id
        )
    )


async def may_be_invited(session: AsyncSession, *, person_id: int, circle_id: int) -> bool:
    """Whether the person teaches in the circle and codified a practice there."""
    return await _role(
        session, person_id=person_id, circle_id=circle_id
    ) is Role.teacher and await has_codified(session, person_id=person_id, circle_id=circle_id)


async def candidates(session: AsyncSession, *, circle_id: int, now: datetime) -> list[Person]:
    """Teachers of the circle who codified a practice there and have no open invitation to
    co-facilitate it, by name (``/cofacilitate``)."""
    reached = select(Inquiry.person_id).where(
        Inquiry.circle_id == circle_id, Inquiry.phase.in_((Phase.codify, Phase.done))
    )
    wrote = select(Practice.author_id).where(
        Practice.circle_id == circle_id, Practice.author_id.is_not(None)
    )
    invited = select(CoFacilitation.person_id).where(
        CoFacilitation.circle_id == circle_id,
        CoFacilitation.status == CoFacilitationStatus.pending,
        CoFacilitation.expires_at > now,
    )
    return list(
        await session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.circle_id == circle_id,
                Membership.role == Role.teacher,
                Person.forgotten_at.is_(None),
                Person.id.in_(reached) | Person.id.in_(wrote),
                Person.id.not_in(invited),
            )
            .order_by(Person.display_name, Person.id)
        )
    )


async def invite(
    session: AsyncSession,
    *,
    scope: Scope,
    circle_id: int,
    person_id: int,
    to_circle_id: int | None,
    now: datetime,
) -> CoFacilitation:
    """Invite a teacher of ``circle_id`` to co-facilitate ``to_circle_id`` (default: the same).

    The scope must change both circles (404 outside it, 403 for a read-only role); the
    person must teach in ``circle_id`` (404) and have codified a practice there (409).
    """
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.write_circle
    )
    target = (
        circle
        if to_circle_id is None or to_circle_id == circle.id
        else await circle_for(
            session, scope=scope, circle_id=to_circle_id, permission=Permission.write_circle
        )
    )
    person = await session.get(Person, person_id)
    if (
        person is None
        or person.forgotten_at is not None
        or await _role(session, person_id=person_id, circle_id=circle.id) is not Role.teacher
    ):
        raise NotFound(TEACHER_NOT_FOUND)
    if await _role(session, person_id=person_id, circle_id=target.id) is Role.facilitator:
        raise Conflict(ALREADY_FACILITATES)
    if not await has_codified(session, person_id=person_id, circle_id=circle.id):
        raise Conflict(NOT_CODIFIED)
    open_one = await session.scalar(
        select(CoFacilitation.id).where(
            CoFacilitation.person_id == person_id,
            CoFacilitation.circle_id == target.id,
            CoFacilitation.status == CoFacilitationStatus.pending,
            CoFacilitation.expires_at > now,
        )
    )
    if open_one is not None:
        raise Conflict(ALREADY_INVITED)
    invitation = CoFacilitation(
        person_id=person_id,
        circle_id=target.id,
        from_circle_id=circle.id,
        invited_by=scope.actor,
        inviter_id=scope.person_id,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    session.add(invitation)
    await session.flush()
    await record_audit(
        session,
        actor=scope.actor,
        action="cofacilitation.invite",
        now=now,
        target_type="person",
        target_id=person_id,
        detail={"invitation": invitation.id, "circle": target.id, "from_circle": circle.id},
    )
    inviter = await session.get(Person, scope.person_id) if scope.person_id else None
    await outbox.enqueue(
        session,
        to=person,
        payload=outbox.say(
            invitation_text(invitation, target, person=person, inviter=inviter),
            offers=[
                (t(ACCEPT_LABEL), "accept_cofacilitation", invitation.id),
                (t(DECLINE_LABEL), "decline_cofacilitation", invitation.id),
            ],
        ),
        key=invitation_key(invitation.id),
        now=now,
        priority=OutboxPriority.reply,
        not_before=sendable_from(now, person.timezone, target.quiet_from, target.quiet_until),
    )
    return invitation


def invitation_text(
    invitation: CoFacilitation, circle: Circle, *, person: Person, inviter: Person | None
) -> Part:
    """The invitation as the teacher reads it (the last day in their own timezone)."""
    until = Day(invitation.expires_at.astimezone(ZoneInfo(person.timezone)).date(), "long")
    name = (inviter.display_name or "").strip() if inviter is not None else ""
    if name:
        return t(_INVITES_NAMED, name=name, circle=circle.name, until=until)
    return t(_INVITES, circle=circle.name, until=until)


async def answer(
    session: AsyncSession, *, person: Person, invitation_id: int, accept: bool, now: datetime
) -> tuple[CoFacilitation, Circle]:
    """The invited person accepts or declines; their role changes at once when they accept.

    Someone else's or an unknown id is :class:`NotFound` (the words of a closed button);
    a second answer or an expired invitation is a :class:`Conflict` saying which.
    """
    invitation = await session.get(CoFacilitation, invitation_id)
    if invitation is None or invitation.person_id != person.id:
        raise NotFound(NOT_YOURS)
    if invitation.status is CoFacilitationStatus.accepted:
        raise Conflict(ALREADY_ACCEPTED)
    if invitation.status is CoFacilitationStatus.declined:
        raise Conflict(ALREADY_DECLINED)
    if invitation.status is CoFacilitationStatus.expired or now >= invitation.expires_at:
        invitation.status = CoFacilitationStatus.expired
        raise Conflict(EXPIRED)
    circle = await session.get_one(Circle, invitation.circle_id)
    invitation.answered_at = now
    if accept:
        invitation.status = CoFacilitationStatus.accepted
        membership = await session.scalar(
            select(Membership).where(
                Membership.person_id == person.id, Membership.circle_id == circle.id
            )
        )
        before = membership.role.value if membership is not None else None
        if membership is None:
            session.add(
                Membership(
                    person_id=person.id, circle_id=circle.id, role=Role.facilitator, joined_at=now
                )
            )
        else:
            membership.role = Role.facilitator
        await record_audit(
            session,
            actor=f"person:{person.id}",
            action="membership.role",
            now=now,
            target_type="person",
            target_id=person.id,
            detail={"circle": circle.id, "from": before, "to": Role.facilitator.value},
        )
    else:
        invitation.status = CoFacilitationStatus.declined
    await record_audit(
        session,
        actor=f"person:{person.id}",
        action=f"cofacilitation.{invitation.status.value}",
        now=now,
        target_type="cofacilitation",
        target_id=invitation.id,
    )
    await _tell_inviter(session, invitation, circle, person=person, now=now)
    await session.flush()
    return invitation, circle


async def _tell_inviter(
    session: AsyncSession,
    invitation: CoFacilitation,
    circle: Circle,
    *,
    person: Person,
    now: datetime,
) -> None:
    inviter = await session.get(Person, invitation.inviter_id) if invitation.inviter_id else None
    if inviter is None or inviter.forgotten_at is not None:
        return
    words = _ACCEPTED if invitation.status is CoFacilitationStatus.accepted else _DECLINED
    name = (person.display_name or "").strip() or t("(no name)")
    await outbox.enqueue(
        session,
        to=inviter,
        payload=outbox.say(t(words, name=name, circle=circle.name)),
        key=answer_key(invitation.id),
        now=now,
        priority=OutboxPriority.reply,
        not_before=sendable_from(now, inviter.timezone, circle.quiet_from, circle.quiet_until),
    )
