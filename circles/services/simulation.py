"""The data side of the web chat simulator: simulated teachers of the demo circle.

A simulated teacher is an ordinary :class:`Person` with an identity on the ``simulator``
channel, whose address is a synthetic id at or below :data:`SIMULATED_ID_CEILING` (−10¹⁵,
kept so that older rows and cookies stay recognisable). Every row the flows write (runs,
answers, check-ins, practices, reflections, outbox messages addressed to that "chat") is
the same row a Telegram teacher would get, and no channel's sender ever takes the
``simulator`` channel's outbox rows: the simulator shows them in the chat instead.

The simulator joins only demo circles (``Circle.demo``) with their invites
(:func:`is_demo_code`, checked by ``joining.start`` for every ``/start <code>`` typed in
the simulator), so an anonymous visitor of the web page can never become a member of a
real circle. What demo circles' people see is kept apart by :mod:`circles.services.sandbox`.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import NotFound
from circles.i18n import N_
from circles.models import (
    Channel,
    CheckIn,
    Circle,
    Identity,
    Invite,
    Membership,
    Outbox,
    Person,
    Role,
)
from circles.services.demo import seed_all
from circles.services.holidays import of_circle
from circles.services.invites import create_invite
from circles.services.journeys import teacher_place
from circles.services.people import find_person
from circles.services.schedule import next_checkin

#: Simulated ids are this or lower (before identities, they shared Telegram's id space).
SIMULATED_ID_CEILING = -(10**15)
#: Only the newest messages queued for a simulated chat are shown.
OUTBOX_SHOWN = 50


def is_simulated(chat_id: int | None) -> bool:
    """Whether an id (a simulator cookie's) belongs to a simulated teacher."""
    return isinstance(chat_id, int) and chat_id <= SIMULATED_ID_CEILING


def new_simulated_id() -> int:
    """A fresh synthetic id for a simulated teacher (random, so ids are not guessable)."""
    return SIMULATED_ID_CEILING - secrets.randbelow(10**12)


async def demo_circles(session: AsyncSession) -> list[Circle]:
    """The circles the simulator may join."""
    return list(await session.scalars(select(Circle).where(Circle.demo)))


async def demo_invite(
    session: AsyncSession, *, circle_id: int | None, now: datetime
) -> tuple[Circle, Invite]:
    """A one-use teacher invite to a demo circle, seeding the demo circle if there is none."""
    if circle_id is None:
        circle = (await seed_all(session, now=now)).circle
    else:
        circle = await session.get(Circle, circle_id)
        if circle is None or not circle.demo:
            raise NotFound(N_("There is no demo circle with this id."))
    invite = await create_invite(
        session, circle=circle, role=Role.teacher, now=now, max_uses=1, valid_for=timedelta(hours=1)
    )
    return circle, invite


async def is_demo_code(session: AsyncSession, *, code: str) -> bool:
    """Whether ``code`` is an invite to a demo circle (the only invites the simulator takes)."""
    found = await session.scalar(
        select(Invite.id)
        .join(Circle, Circle.id == Invite.circle_id)
        .where(Invite.code == code.strip(), Circle.demo)
    )
    return found is not None


async def join_code(
    session: AsyncSession, *, chat_id: int, circle_id: int | None, now: datetime
) -> str | None:
    """The invite code a simulated teacher starts with; None when they are a member already.

    A browser that starts again keeps its simulated person, so starting again adds no
    invite when that person already belongs to the chosen demo circle (any, when none is
    chosen).
    """
    person = await simulated_person(session, chat_id=chat_id)
    if person is not None:
        member = select(Membership.id).join(Circle, Circle.id == Membership.circle_id)
        member = member.where(Membership.person_id == person.id, Circle.demo)
        if circle_id is not None:
            member = member.where(Circle.id == circle_id)
        if await session.scalar(member.limit(1)) is not None:
            return None
    _circle, invite = await demo_invite(session, circle_id=circle_id, now=now)
    return invite.code


async def simulated_person(session: AsyncSession, *, chat_id: int) -> Person | None:
    """The person behind a simulated id, if they have joined."""
    if not is_simulated(chat_id):
        return None
    return await find_person(session, channel=Channel.simulator, address=str(chat_id))


async def last_message_at(session: AsyncSession, *, chat_id: int) -> datetime | None:
    """When the simulated teacher last wrote (by their simulated clock), if ever."""
    if not is_simulated(chat_id):
        return None
    return await session.scalar(
        select(Identity.last_inbound_at).where(
            Identity.channel == Channel.simulator, Identity.address == str(chat_id)
        )
    )


async def queued_messages(
    session: AsyncSession, *, chat_id: int, after_id: int = 0
) -> list[Outbox]:
    """Messages the scheduler, reviews or announcements queued for a simulated chat."""
    if not is_simulated(chat_id):
        return []
    rows = await session.scalars(
        select(Outbox)
        .where(
            Outbox.channel == Channel.simulator,
            Outbox.address == str(chat_id),
            Outbox.id > after_id,
        )
        .order_by(Outbox.id)
        .limit(OUTBOX_SHOWN)
    )
    return list(rows)


async def circle_time(session: AsyncSession, *, circle: Circle, now: datetime) -> datetime:
    """The time a circle's dashboard is shown at: ``now``, or later for a demo circle.

    A simulated teacher who jumps to their next check-in answers in the future (the rows
    carry the simulated time). A demo circle is therefore shown as of the latest check-in
    any of its teachers opened, when that is later than ``now``, so answers given in the
    simulator count in the week they belong to. Real circles always use ``now``.
    """
    if not circle.demo:
        return now
    latest = await session.scalar(
        select(func.max(CheckIn.opened_at)).where(CheckIn.circle_id == circle.id)
    )
    return max(now, latest) if latest is not None else now


async def next_checkin_time(
    session: AsyncSession, *, person: Person, now: datetime
) -> datetime | None:
    """Just after the teacher's next check-in opens (where the simulator's clock jumps to):
    after any holiday of the circle, and after the teacher's pause if one runs."""
    place = await teacher_place(session, person_id=person.id)
    if place is None:
        return None
    holidays = await of_circle(session, circle=place.circle)
    paused_until = person.paused_until
    if paused_until is not None and paused_until.tzinfo is None:
        paused_until = paused_until.replace(tzinfo=UTC)
    start = max(now, paused_until) if paused_until is not None else now
    return next_checkin(place.circle, person.timezone, start, holidays) + timedelta(minutes=1)
