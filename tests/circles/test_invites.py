"""Invites admit the right people, as often as they allow, while they are valid."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.people import add_person
from support.places import add_circle

from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.errors import Conflict, InvalidAnswer
from circles.models import Membership, Person, Role
from circles.services.circles import create_circle
from circles.services.invites import (
    InviteProblem,
    InviteRejected,
    create_invite,
    redeem_invite,
)


async def _person(session, user_id: int, clock: FakeClock) -> Person:
    return await add_person(
        session,
        telegram=user_id,
        display_name=f"T{user_id}",
        created_at=clock.now(),
    )


async def _circle(session, clock: FakeClock, name: str = "Seoul 1"):
    return await add_circle(session, name, now=clock.now(), country="KR")


async def test_an_invite_admits_as_many_people_as_it_allows(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    async with transaction(sessions) as session:
        circle = await _circle(session, clock)
        invite = await create_invite(session, circle=circle, role=Role.facilitator, now=clock.now())
        assert invite.max_uses == 2  # two facilitators per circle by default
        first, second, third = [await _person(session, n, clock) for n in (1, 2, 3)]
        joined = await redeem_invite(session, code=invite.code, person=first, now=clock.now())
        assert (joined.membership.role, joined.already_member) == (Role.facilitator, False)
        await redeem_invite(session, code=invite.code, person=second, now=clock.now())
        with pytest.raises(InviteRejected) as rejected:
            await redeem_invite(session, code=invite.code, person=third, now=clock.now())
        assert rejected.value.problem is InviteProblem.used_up


async def test_joining_twice_keeps_one_membership_and_uses_no_place(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    async with transaction(sessions) as session:
        circle = await _circle(session, clock)
        invite = await create_invite(
            session, circle=circle, role=Role.teacher, max_uses=1, now=clock.now()
        )
        teacher = await _person(session, 7, clock)
        await redeem_invite(session, code=invite.code, person=teacher, now=clock.now())
        again = await redeem_invite(session, code=invite.code, person=teacher, now=clock.now())
        assert again.already_member
        memberships = (
            await session.scalars(
                Membership.__table__.select().where(Membership.person_id == teacher.id)
            )
        ).all()
        assert len(memberships) == 1
        assert invite.uses == 1


async def test_expired_revoked_and_unknown_codes_are_refused(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    async with transaction(sessions) as session:
        circle = await _circle(session, clock)
        expiring = await create_invite(
            session, circle=circle, role=Role.teacher, valid_for=timedelta(days=1), now=clock.now()
        )
        revoked = await create_invite(session, circle=circle, role=Role.teacher, now=clock.now())
        revoked.revoked_at = clock.now()
        teacher = await _person(session, 9, clock)
        clock.advance(timedelta(days=1, seconds=1))
        for code, problem in [
            (expiring.code, InviteProblem.expired),
            (revoked.code, InviteProblem.revoked),
            ("no-such-code", InviteProblem.unknown),
        ]:
            with pytest.raises(InviteRejected) as rejected:
                await redeem_invite(session, code=code, person=teacher, now=clock.now())
            assert rejected.value.problem is problem


async def test_circle_fields_are_checked(sessions: SessionMaker, clock: FakeClock) -> None:
    async with transaction(sessions) as session:
        await _circle(session, clock)
        with pytest.raises(Conflict):
            await _circle(session, clock)
        for bad in (dict(country="ZZ"), dict(language="tlh"), dict(timezone="Asia/Atlantis")):
            fields = dict(name="Other", country="KR", language="ko", timezone="Asia/Seoul") | bad
            with pytest.raises(InvalidAnswer):
                await create_circle(session, now=clock.now(), **fields)


async def test_invite_codes_are_unguessable_and_unique(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    async with transaction(sessions) as session:
        circle = await _circle(session, clock)
        codes = {
            (await create_invite(session, circle=circle, role=Role.teacher, now=clock.now())).code
            for _ in range(50)
        }
    assert len(codes) == 50
    assert all(
        len(code) >= 16 and code.replace("-", "").replace("_", "").isalnum() for code in codes
    )
