"""Distributed leadership on the dashboard: a facilitator invites a teacher who codified a
practice from her page; coordinators read the facilitators' monthly check-ins."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from support.web import csrf_of, sign_in
from support.world import World

from circles.db import transaction
from circles.models import CoFacilitation, FacilitatorCheckIn, Membership, Role
from circles.services import facilitator_checkins


async def test_a_facilitator_invites_a_teacher_from_her_page(api, world: World, sessions) -> None:
    client = api()
    await sign_in(client, world.secrets["facilitator_a"])
    page = await client.get(f"/dashboard/circles/{world.a.circle}/teachers/{world.author_a}")
    assert "Invite to co-facilitate" in page.text
    action = f"/dashboard/circles/{world.a.circle}/teachers/{world.author_a}/co-facilitation"
    forged = await client.post(action, data={"csrf": "forged"})
    assert forged.status_code == 403
    sent = await client.post(action, data={"csrf": csrf_of(page.text)}, follow_redirects=True)
    assert sent.status_code == 200
    assert "The invitation is on its way." in sent.text
    async with sessions() as session:
        [invitation] = list(await session.scalars(select(CoFacilitation)))
    assert (invitation.person_id, invitation.circle_id) == (world.author_a, world.a.circle)
    twice = await client.post(action, data={"csrf": csrf_of(page.text)})
    assert twice.status_code == 409
    assert "already has an open invitation" in twice.text

    # Another circle's facilitator finds no such teacher.
    other = api()
    await sign_in(other, world.secrets["facilitator_b"])
    own = await other.get("/dashboard", follow_redirects=True)
    refused = await other.post(action, data={"csrf": csrf_of(own.text)})
    assert refused.status_code == 404


async def test_coordinators_read_the_facilitators_checkins_by_country(
    api, world: World, sessions, clock
) -> None:
    now = clock.now()
    async with transaction(sessions) as session:
        b_facilitator = await session.scalar(
            select(Membership.person_id).where(
                Membership.circle_id == world.b.circle, Membership.role == Role.facilitator
            )
        )
        for person_id, circle_id, text in (
            (world.facilitator_a, world.a.circle, "Every teacher brought student work."),
            (b_facilitator, world.b.circle, "Kumasi met twice."),
        ):
            checkin = FacilitatorCheckIn(
                person_id=person_id,
                circle_id=circle_id,
                month=date(2026, 8, 1),
                opened_at=now,
                closes_at=now + timedelta(days=14),
            )
            session.add(checkin)
            facilitator_checkins.record(
                checkin, went_well=text, support="Ideas for late answers.", rating=4, now=now
            )
    client = api()
    await sign_in(client, world.secrets["coordinator"])
    overview = await client.get("/dashboard")
    assert 'href="/dashboard/facilitator-checkins"' in overview.text
    page = await client.get("/dashboard/facilitator-checkins")
    assert page.status_code == 200
    assert page.text.index("Kumasi met twice.") < page.text.index("Every teacher brought")
    ghana = await client.get("/dashboard/facilitator-checkins", params={"country": "GH"})
    assert "Kumasi met twice." in ghana.text and "Every teacher brought" not in ghana.text

    rep = api()
    await sign_in(rep, world.secrets["union_rep_a"])
    assert (await rep.get("/dashboard/facilitator-checkins")).status_code == 403
