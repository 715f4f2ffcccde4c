"""Demo circles are a sandbox: their people and answers stay out of everything real.

The world's circle A (Brazil) is made a demo circle here, as the simulator's seeding
would make it; circle B (Ghana) stays real. A request that names the demo circle by id
still reaches it.
"""

from __future__ import annotations

import csv
import io

import pytest
from support.people import add_person
from support.places import add_circle
from support.world import (
    WEDNESDAY_W35,
    World,
    add_published_practice,
    add_recife,
    build_world,
    make_demo,
)

from circles.db import SessionMaker, transaction
from circles.errors import NotFound
from circles.models import (
    Circle,
    Consent,
    Membership,
    PracticeStatus,
    Role,
    ShareScope,
    TokenRole,
)
from circles.services import dissemination, repository, reviews, summaries
from circles.services.access import Scope
from circles.services.broadcasts import Audience, count_recipients
from circles.services.demo import DEMO_CIRCLE, seed_demo
from circles.services.exports import ExportFormat, export_answers, export_summaries

COORDINATOR = Scope("token:1", TokenRole.coordinator)
NOW = WEDNESDAY_W35


@pytest.fixture
async def world(sessions: SessionMaker) -> World:
    """The world with circle A as a demo circle."""
    return await make_demo(sessions, await build_world(sessions))


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


async def test_a_demo_teachers_answers_are_absent_from_country_and_overall_summaries(
    world: World, sessions: SessionMaker
) -> None:
    async with transaction(sessions) as session:
        brazil = await summaries.country_summary(session, scope=COORDINATOR, country="BR", now=NOW)
        overall = await summaries.overall_summary(session, scope=COORDINATOR, now=NOW)
        named = await summaries.circle_summary(
            session, scope=COORDINATOR, circle_id=world.a.circle, now=NOW
        )
    assert brazil.lines == [] and brazil.teachers == 0 and brazil.checkins.expected == 0
    assert [line.country for line in overall.lines] == ["GH"]
    assert overall.teachers == 2
    # Asked for by its id, the demo circle is still summarised.
    assert named.circle.id == world.a.circle and named.checkins.answered > 0


async def test_a_demo_teachers_answers_are_absent_from_exports(
    world: World, sessions: SessionMaker
) -> None:
    async with transaction(sessions) as session:
        brazil = await export_answers(
            session, scope=COORDINATOR, fmt=ExportFormat.csv, now=NOW, country="BR"
        )
        everything = await export_answers(session, scope=COORDINATOR, fmt=ExportFormat.csv, now=NOW)
        weeks = await export_summaries(session, scope=COORDINATOR, fmt=ExportFormat.csv, now=NOW)
        named = await export_answers(
            session, scope=COORDINATOR, fmt=ExportFormat.csv, now=NOW, circle_id=world.a.circle
        )
    assert _rows(brazil.content) == []
    assert {r["circle"] for r in _rows(everything.content)} == {"Kumasi 2"}
    assert {r["circle"] for r in _rows(weeks.content)} == {"Kumasi 2"}
    assert {r["circle"] for r in _rows(named.content)} == {"Demo circle"}


async def test_a_broadcast_to_brazil_does_not_reach_demo_members(
    world: World, sessions: SessionMaker
) -> None:
    async with transaction(sessions) as session:
        to_brazil = await count_recipients(session, audience=Audience(countries=("BR",)))
        to_everyone = await count_recipients(session, audience=Audience())
        to_ghana = await count_recipients(session, audience=Audience(countries=("GH",)))
        to_the_demo = await count_recipients(
            session, audience=Audience(circle_ids=(world.a.circle,))
        )
    assert to_brazil == 0
    assert to_everyone == to_ghana == 2  # Kofi and Grace (Abena has no chat)
    assert to_the_demo == 3  # named by id, the demo circle is reached


async def test_demo_people_and_real_people_read_only_their_own_sides_practices(
    world: World, sessions: SessionMaker
) -> None:
    async with transaction(sessions) as session:
        recife = await add_recife(session)
        bia = await add_person(session, display_name="Bia", consent=Consent.given, telegram=7001)
        session.add(Membership(person_id=bia.id, circle_id=recife.id, role=Role.teacher))
        real = await add_published_practice(
            session,
            circle_id=recife.id,
            title="Hinge questions in Recife",
            scope=ShareScope.country,
        )
        demo = await add_published_practice(
            session,
            circle_id=world.a.circle,
            title="Hinge questions in the demo",
            scope=ShareScope.everyone,
        )
    async with transaction(sessions) as session:
        hinge = repository.Filters(words="hinge")
        demo_teacher = await repository.reader_of_member(session, world.a.person)
        real_teacher = await repository.reader_of_member(session, bia.id)
        admin = await repository.reader_of_scope(session, Scope("token:2", TokenRole.admin))
        seen = {
            name: [
                f.practice.id
                for f in (await repository.search(session, reader=r, filters=hinge)).items
            ]
            for name, r in (("demo", demo_teacher), ("real", real_teacher), ("admin", admin))
        }
        with pytest.raises(NotFound):
            await repository.readable(session, reader=demo_teacher, practice_id=real)
        with pytest.raises(NotFound):
            await repository.readable(session, reader=real_teacher, practice_id=demo)
        # The digest keeps to its side too: neither is sent the other side's practice.
        recife_next = await dissemination.pick(session, circle=recife)
        demo_circle = await session.get_one(Circle, world.a.circle)
        demo_next = await dissemination.pick(session, circle=demo_circle)
    assert seen == {"demo": [demo], "real": [real], "admin": [real]}
    assert recife_next is None and demo_next is None


async def test_a_coordinators_review_queue_leaves_out_demo_practices(
    world: World, sessions: SessionMaker
) -> None:
    async with transaction(sessions) as session:
        queue = await reviews.list_practices(
            session, scope=COORDINATOR, cursor=None, limit=50, status=PracticeStatus.in_review
        )
        waiting = await reviews.count_awaiting_review(session, scope=COORDINATOR)
        named = await reviews.list_practices(
            session, scope=COORDINATOR, cursor=None, limit=50, circle_id=world.a.circle
        )
    assert [row.practice.id for row in queue.items] == [world.b.practice]
    assert waiting == 1
    assert [row.practice.id for row in named.items] == [world.a.practice]


async def test_a_real_circle_called_demo_circle_is_left_alone_by_the_demo(
    sessions: SessionMaker,
) -> None:
    async with transaction(sessions) as session:
        real = await add_circle(session, DEMO_CIRCLE, now=NOW, timezone="UTC")
        demo = await seed_demo(session, now=NOW)
        again = await seed_demo(session, now=NOW)
    assert demo.circle.demo and demo.circle.name == f"{DEMO_CIRCLE} 2"
    assert not real.demo and real.name == DEMO_CIRCLE
    assert again.circle.id == demo.circle.id and not again.created
