"""A fresh install's demo shows sharing, adoption and the repository at once.

``seed_all`` (what ``circles demo`` and the simulator run) makes the Brazilian demo circle
and a partner demo circle in Ghana whose published practices travel to it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from circles.db import SessionMaker, transaction
from circles.models import Circle, Inquiry, Membership, Practice, Role
from circles.services import dissemination, repository
from circles.services.demo import PARTNER_CIRCLE, seed_all
from circles.services.repository import Filters

NOW = datetime(2026, 10, 14, 12, 0, tzinfo=UTC)


async def _first_teacher(session, circle: Circle) -> int:
    return await session.scalar(
        select(Membership.person_id)
        .where(Membership.circle_id == circle.id, Membership.role == Role.teacher)
        .order_by(Membership.id)
        .limit(1)
    )


async def test_the_demo_circles_teacher_finds_the_partner_circles_practices(
    sessions: SessionMaker,
) -> None:
    async with transaction(sessions) as session:
        result = await seed_all(session, now=NOW)
    assert result.created and result.partner == PARTNER_CIRCLE
    async with transaction(sessions) as session:
        home = await session.get(Circle, result.circle.id)
        partner = await session.scalar(select(Circle).where(Circle.name == PARTNER_CIRCLE))
        assert (partner.country, partner.language, partner.demo) == ("GH", "en", True)
        reader = await repository.reader_of_member(session, await _first_teacher(session, home))
        results = await repository.search(session, reader=reader, filters=Filters())
        by_title = {f.practice.title: f for f in results.items}
        # Her own circle's published practice and both of Ghana's.
        assert set(by_title) == {
            "Quadros brancos para perguntas-chave",
            "Exit tickets that decide tomorrow's groups",
            "Success criteria written with the class",
        }
        # One of her colleagues already tries the first Ghanaian practice.
        assert by_title["Exit tickets that decide tomorrow's groups"].adoptions == 1
        # The next digest brings the Ghanaian practice the circle has not had yet.
        next_id = await dissemination.pick(session, circle=home)
        assert (await session.get(Practice, next_id)).title == (
            "Success criteria written with the class"
        )


async def test_demo_teachers_start_from_a_baseline_and_a_picture_of_success(
    sessions: SessionMaker,
) -> None:
    async with transaction(sessions) as session:
        await seed_all(session, now=NOW)
        inquiries = list(await session.scalars(select(Inquiry)))
    assert len(inquiries) == 10
    assert all(i.baseline and i.success for i in inquiries)


async def test_seeding_again_changes_nothing(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        await seed_all(session, now=NOW)
    async with transaction(sessions) as session:
        again = await seed_all(session, now=NOW)
        circles = await session.scalar(select(func.count()).select_from(Circle))
        practices = await session.scalar(select(func.count()).select_from(Practice))
    assert (again.created, again.partner) == (False, None)
    assert (circles, practices) == (2, 4)
