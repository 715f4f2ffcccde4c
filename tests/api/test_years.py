"""School years through the admin API: who may close and open them, and the precise
problems for what cannot be done."""

from __future__ import annotations

from support.world import World

NEXT = {"label": "2027–28", "starts_on": "2027-09-01", "ends_on": "2028-07-14"}


async def test_only_coordinators_and_admins_change_years_and_everyone_in_scope_reads_them(
    world: World, as_role
) -> None:
    a = world.a.circle
    for role in ("facilitator_a", "union_rep_a"):
        async with as_role(role) as client:
            listed = await client.get(f"/v1/circles/{a}/years")
            assert listed.status_code == 200
            assert [y["status"] for y in listed.json()] == ["open"]
            refused = await client.post(f"/v1/circles/{a}/years/close")
            assert refused.status_code == 403
            assert refused.headers["content-type"] == "application/problem+json"
            assert (await client.post(f"/v1/circles/{a}/years", json=NEXT)).status_code == 403
    async with as_role("coordinator_gh") as client:  # Ghana's coordinator; A is in Brazil
        assert (await client.get(f"/v1/circles/{a}/years")).status_code == 404
        assert (await client.post(f"/v1/circles/{a}/years/close")).status_code == 404
        assert (await client.get(f"/v1/circles/{a}/years/{world.a.year}")).status_code == 404
    async with as_role("facilitator_b") as client:
        found = await client.get(f"/v1/circles/{world.b.circle}/years/{world.a.year}")
        assert found.status_code == 404  # A's year through B's circle
    async with as_role("coordinator") as client:
        assert (await client.post(f"/v1/circles/{a}/years/close")).status_code == 200


async def test_closing_and_opening_out_of_order_are_precise_problems(world: World, as_role) -> None:
    a = world.a.circle
    async with as_role("admin") as client:
        while_open = await client.post(f"/v1/circles/{a}/years", json=NEXT)
        assert while_open.status_code == 409
        assert while_open.json()["detail"] == (
            "This circle's school year is still open; close it first."
        )
        assert (await client.post(f"/v1/circles/{a}/years/close")).status_code == 200
        again = await client.post(f"/v1/circles/{a}/years/close")
        assert (again.status_code, again.json()["detail"]) == (
            409,
            "This circle has no open school year.",
        )
        reversed_dates = await client.post(
            f"/v1/circles/{a}/years", json={**NEXT, "starts_on": "2028-09-01"}
        )
        assert reversed_dates.status_code == 422
        overlapping = await client.post(
            f"/v1/circles/{a}/years",
            json={**NEXT, "starts_on": "2026-08-01", "ends_on": "2027-06-30"},
        )
        assert overlapping.status_code == 409
        assert "must start after the last one ended" in overlapping.json()["detail"]
        stranger = await client.post(f"/v1/circles/{a}/years", json={**NEXT, "keep": [987654]})
        assert stranger.status_code == 422
        assert stranger.json()["detail"] == ("These people are not members of the circle: 987654.")
        bad_keep = await client.post(f"/v1/circles/{a}/years", json={**NEXT, "keep": "some"})
        assert bad_keep.status_code == 422
        opened = await client.post(
            f"/v1/circles/{a}/years",
            json={**NEXT, "keep": "none", "invites": [{"role": "facilitator", "max_uses": 2}]},
        )
        assert opened.status_code == 201, opened.text
        body = opened.json()
        assert (body["label"], body["status"], body["continuing_teachers"]) == (
            "2027–28",
            "open",
            0,
        )
        assert len(body["ended"]) >= 10 and len(body["invite_codes"]) == 1
        members = await client.get(f"/v1/circles/{a}/members")
        assert members.json()["items"] == []
        same_label = await client.post(f"/v1/circles/{a}/years/close")
        assert same_label.status_code == 200
        twice = await client.post(
            f"/v1/circles/{a}/years",
            json={**NEXT, "starts_on": "2028-09-01", "ends_on": "2029-07-01"},
        )
        assert twice.status_code == 409
        assert twice.json()["detail"] == "This circle already has a school year called 2027–28."
        missing = await client.get(f"/v1/circles/{a}/years/987654")
        assert missing.status_code == 404
        no_circle = await client.get(f"/v1/exports/summaries?year={world.a.year}")
        assert no_circle.status_code == 422


async def test_the_new_year_comes_with_its_holidays_and_meetings(
    world: World, as_role, sessions
) -> None:
    from sqlalchemy import select

    from circles.models import Holiday, Meeting, Outbox

    b = world.b.circle
    year = {"label": "2026–27 B", "starts_on": "2026-09-14", "ends_on": "2027-07-14"}
    async with as_role("coordinator_gh") as client:
        assert (await client.post(f"/v1/circles/{b}/years/close")).status_code == 200
        outside = await client.post(
            f"/v1/circles/{b}/years",
            json={**year, "meetings": [{"date": "2027-08-01", "time": "16:00"}]},
        )
        assert outside.status_code == 422
        assert outside.json()["detail"] == (
            "The meeting on 2027-08-01 is not within the school year."
        )
        opened = await client.post(
            f"/v1/circles/{b}/years",
            json={
                **year,
                "holidays": [{"starts_on": "2027-04-05", "ends_on": "2027-04-16"}],
                "meetings": [{"date": "2026-09-16", "time": "16:00", "place": "Staff room"}],
            },
        )
        assert opened.status_code == 201, opened.text
    async with sessions() as session:
        meetings = list(await session.scalars(select(Meeting.place).where(Meeting.circle_id == b)))
        holidays = list(
            await session.scalars(
                select(Holiday.starts_on).where(Holiday.circle_id == b).order_by(Holiday.starts_on)
            )
        )
        keys = set(await session.scalars(select(Outbox.idempotency_key)))
    assert "Staff room" in meetings
    assert str(holidays[-1]) == "2027-04-05"
    assert any(k.startswith("meeting-") and "-new-" in k for k in keys)
    assert any(k.endswith("-continue") for k in keys)
