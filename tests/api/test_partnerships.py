"""Coordinators count partnerships between teachers of different circles, per country; they
never read who is paired, nor a word of what partners wrote."""

from __future__ import annotations

from sqlalchemy import select
from support.places import add_circle
from support.web import sign_in
from support.world import World

from circles.db import SessionMaker, transaction
from circles.models import (
    Consent,
    Membership,
    PartnerMessage,
    Partnership,
    PartnershipStatus,
    Person,
    Role,
    Strategy,
)

SECRET = "Between us: my head teacher wants the scores."


async def _pair(sessions: SessionMaker, world: World, clock) -> None:
    """Brazil ↔ Ghana active (with a message), Brazil ↔ Switzerland ended, Ghana ↔
    Switzerland asked and not answered (not a partnership yet)."""
    now = clock.now()
    async with transaction(sessions) as session:
        zurich = await add_circle(session, "Zürich 1", now=now, country="CH")
        urs = Person(display_name="Urs Keller", consent=Consent.given, created_at=now)
        session.add(urs)
        await session.flush()
        session.add(Membership(person_id=urs.id, circle_id=zurich.id, role=Role.teacher))
        a, b = world.teachers_a[0], world.b.person
        rows = [
            (a, world.a.circle, b, world.b.circle, PartnershipStatus.active),
            (world.teachers_a[1], world.a.circle, urs.id, zurich.id, PartnershipStatus.ended),
            (b, world.b.circle, urs.id, zurich.id, PartnershipStatus.requested),
        ]
        for asking, asking_circle, asked, asked_circle, status in rows:
            session.add(
                Partnership(
                    requester_id=asking,
                    partner_id=asked,
                    requester_circle_id=asking_circle,
                    partner_circle_id=asked_circle,
                    strategy=Strategy.feedback,
                    status=status,
                    created_at=now,
                )
            )
        await session.flush()
        first = await session.scalar(select(Partnership.id).order_by(Partnership.id).limit(1))
        session.add(PartnerMessage(partnership_id=first, sender_id=a, text=SECRET, created_at=now))


async def test_coordinators_count_partnerships_per_country_in_their_scope(
    world: World, as_role, sessions, clock
) -> None:
    await _pair(sessions, world, clock)
    everywhere = await as_role("admin").get("/v1/partnerships/stats")
    assert everywhere.status_code == 200
    assert everywhere.json() == {
        "active": 1,
        "ended": 1,
        "countries": {
            "BR": {"active": 1, "ended": 1},
            "CH": {"active": 0, "ended": 1},
            "GH": {"active": 1, "ended": 0},
        },
    }
    assert (await as_role("coordinator").get("/v1/partnerships/stats")).json() == (
        everywhere.json()
    )
    ghana = await as_role("coordinator_gh").get("/v1/partnerships/stats")
    assert ghana.json() == {"active": 1, "ended": 0, "countries": {"GH": {"active": 1, "ended": 0}}}
    for answer in (everywhere, ghana):
        assert SECRET not in answer.text and "Urs" not in answer.text


async def test_facilitators_and_union_representatives_are_refused(
    world: World, as_role, sessions, clock
) -> None:
    await _pair(sessions, world, clock)
    for role in ("facilitator_a", "union_rep_a"):
        response = await as_role(role).get("/v1/partnerships/stats")
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
    assert (await as_role("expired").get("/v1/partnerships/stats")).status_code == 401


async def test_the_coordinators_overview_shows_the_counts_not_the_messages(
    world: World, api, sessions, clock
) -> None:
    await _pair(sessions, world, clock)
    client = api()
    await sign_in(client, world.secrets["coordinator_gh"])
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert "Partnerships with teachers of other circles: 1 active · 0 ended" in page.text
    assert SECRET not in page.text
    facilitator = api()
    await sign_in(facilitator, world.secrets["facilitator_a"])
    circle_page = await facilitator.get(f"/dashboard/circles/{world.a.circle}")
    assert "Partnerships with teachers" not in circle_page.text
    assert SECRET not in circle_page.text
