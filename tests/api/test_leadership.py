"""Distributed leadership through the admin API: inviting a teacher who codified a practice
to co-facilitate, and who reads the facilitators' monthly check-ins."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update
from support.world import World

from circles.db import transaction
from circles.models import (
    ApiToken,
    FacilitatorCheckIn,
    Inquiry,
    Membership,
    Outbox,
    Phase,
    Practice,
    Role,
)
from circles.services import facilitator_checkins


def _url(world: World, person_id: int, circle_id: int | None = None) -> str:
    return f"/v1/circles/{circle_id or world.a.circle}/teachers/{person_id}/co-facilitation"


async def _still_identifying(sessions, world: World) -> int:
    """A teacher of circle A whose inquiries never reached codify and who wrote no practice."""
    async with sessions() as session:
        codified = select(Inquiry.person_id).where(Inquiry.phase.in_((Phase.codify, Phase.done)))
        authors = select(Practice.author_id).where(Practice.author_id.is_not(None))
        return await session.scalar(
            select(Membership.person_id)
            .where(
                Membership.circle_id == world.a.circle,
                Membership.role == Role.teacher,
                Membership.person_id.not_in(codified),
                Membership.person_id.not_in(authors),
            )
            .order_by(Membership.person_id)
            .limit(1)
        )


async def test_a_facilitator_invites_a_teacher_who_codified_once(
    world: World, as_role, sessions
) -> None:
    response = await as_role("facilitator_a").post(_url(world, world.author_a))
    assert response.status_code == 201, response.text
    invitation = response.json()
    assert (invitation["person_id"], invitation["circle_id"]) == (world.author_a, world.a.circle)
    assert invitation["status"] == "pending"
    assert invitation["invited_by"] == f"token:{world.token_ids['facilitator_a']}"
    async with sessions() as session:
        queued = await session.scalar(
            select(Outbox).where(Outbox.idempotency_key == f"cofacilitation-{invitation['id']}")
        )
    assert queued is not None and queued.address == "5001"  # Ana's Telegram

    again = await as_role("facilitator_a").post(_url(world, world.author_a))
    assert again.status_code == 409
    assert again.json()["detail"] == (
        "This teacher already has an open invitation to co-facilitate that circle."
    )


async def test_only_a_teacher_who_codified_and_only_in_scope(
    world: World, as_role, sessions
) -> None:
    beginner = await _still_identifying(sessions, world)
    refused = await as_role("facilitator_a").post(_url(world, beginner))
    assert refused.status_code == 409
    assert "reached codify" in refused.json()["detail"]
    # Another circle's facilitator: circle A does not exist for them.
    assert (await as_role("facilitator_b").post(_url(world, world.author_a))).status_code == 404
    # A union representative reads but changes nothing.
    assert (await as_role("union_rep_a").post(_url(world, world.author_a))).status_code == 403
    # Someone who is not a teacher of the circle (its facilitator) is no teacher to invite.
    assert (
        await as_role("facilitator_a").post(_url(world, world.facilitator_a))
    ).status_code == 404
    # Kofi teaches in B: not a teacher of A.
    assert (await as_role("admin").post(_url(world, world.b.person))).status_code == 404
    # A coordinator of Ghana does not see circle A (Brazil).
    assert (await as_role("coordinator_gh").post(_url(world, world.author_a))).status_code == 404


async def test_a_coordinator_invites_a_teacher_to_cofacilitate_another_circle(
    world: World, as_role
) -> None:
    response = await as_role("coordinator").post(
        _url(world, world.author_a), json={"circle_id": world.b.circle}
    )
    assert response.status_code == 201, response.text
    assert (response.json()["circle_id"], response.json()["from_circle_id"]) == (
        world.b.circle,
        world.a.circle,
    )
    # A facilitator of A cannot send one of theirs to B, which they do not see.
    refused = await as_role("facilitator_a").post(
        _url(world, world.author_a), json={"circle_id": world.b.circle}
    )
    assert refused.status_code == 404


async def _answered(sessions, clock, world: World) -> None:
    """A month's check-in answered by A's facilitator, then one by B's."""
    now = clock.now()
    async with transaction(sessions) as session:
        b_facilitator = await session.scalar(
            select(Membership.person_id).where(
                Membership.circle_id == world.b.circle, Membership.role == Role.facilitator
            )
        )
        for person_id, circle_id, text, moment in (
            (world.facilitator_a, world.a.circle, "A's teachers brought their work.", now),
            (b_facilitator, world.b.circle, "B met twice.", now + timedelta(hours=1)),
        ):
            checkin = FacilitatorCheckIn(
                person_id=person_id,
                circle_id=circle_id,
                month=date(2026, 8, 1),
                opened_at=moment,
                closes_at=moment + timedelta(days=14),
            )
            session.add(checkin)
            facilitator_checkins.record(
                checkin, went_well=text, support="More time.", rating=4, now=moment
            )


async def test_coordinators_read_facilitators_checkins_a_facilitator_only_their_own(
    world: World, as_role, sessions, clock
) -> None:
    await _answered(sessions, clock, world)
    everyone = (await as_role("coordinator").get("/v1/facilitator-checkins")).json()["items"]
    assert [c["went_well"] for c in everyone] == [
        "B met twice.",
        "A's teachers brought their work.",
    ]
    assert (everyone[0]["circle_id"], everyone[1]["circle_id"]) == (world.b.circle, world.a.circle)
    assert (everyone[1]["support"], everyone[1]["rating"]) == ("More time.", 4)
    ghana = (await as_role("coordinator_gh").get("/v1/facilitator-checkins")).json()["items"]
    assert [c["went_well"] for c in ghana] == ["B met twice."]
    by_circle = await as_role("admin").get(
        "/v1/facilitator-checkins", params={"circle_id": world.a.circle}
    )
    assert [c["circle_id"] for c in by_circle.json()["items"]] == [world.a.circle]
    by_country = await as_role("admin").get("/v1/facilitator-checkins", params={"country": "gh"})
    assert [c["country"] for c in by_country.json()["items"]] == ["GH"]

    # A facilitator's token that is nobody's reads none; linked to A's facilitator, theirs only.
    assert (await as_role("facilitator_a").get("/v1/facilitator-checkins")).json()["items"] == []
    async with transaction(sessions) as session:
        await session.execute(
            update(ApiToken)
            .where(ApiToken.id == world.token_ids["facilitator_a"])
            .values(person_id=world.facilitator_a)
        )
    own = (await as_role("facilitator_a").get("/v1/facilitator-checkins")).json()["items"]
    assert [c["went_well"] for c in own] == ["A's teachers brought their work."]
    assert (await as_role("union_rep_a").get("/v1/facilitator-checkins")).status_code == 403


async def test_a_page_of_checkins_goes_on_with_its_cursor(world: World, as_role, sessions, clock):
    await _answered(sessions, clock, world)
    first = (await as_role("admin").get("/v1/facilitator-checkins", params={"limit": 1})).json()
    rest = await as_role("admin").get(
        "/v1/facilitator-checkins", params={"cursor": first["next_cursor"]}
    )
    assert [c["went_well"] for c in first["items"] + rest.json()["items"]] == [
        "B met twice.",
        "A's teachers brought their work.",
    ]
