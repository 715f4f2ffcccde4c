"""Holidays through the API: facilitators set their circle's, coordinators a whole country's."""

from __future__ import annotations

from sqlalchemy import select
from support.world import World

from circles.db import SessionMaker
from circles.models import AuditLog

PROBLEM = "application/problem+json"


async def test_a_facilitator_adds_lists_and_removes_a_holiday(
    world: World, as_role, sessions: SessionMaker
) -> None:
    facilitator = as_role("facilitator_a")
    url = f"/v1/circles/{world.a.circle}/holidays"
    added = await facilitator.post(
        url, json={"starts_on": "2026-10-12", "ends_on": "2026-10-23", "name": "Spring break"}
    )
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["applies_to"] == "circle" and body["circle_id"] == world.a.circle
    assert (body["starts_on"], body["ends_on"], body["name"]) == (
        "2026-10-12",
        "2026-10-23",
        "Spring break",
    )
    past = await facilitator.post(url, json={"starts_on": "2026-07-01", "ends_on": "2026-07-31"})
    assert past.status_code == 201
    # Upcoming first (soonest first), the past one last.
    listed = (await facilitator.get(url)).json()
    assert [h["starts_on"] for h in listed] == ["2026-10-12", "2026-12-21", "2026-07-01"]

    removed = await facilitator.delete(f"{url}/{body['id']}")
    assert removed.status_code == 204
    assert [h["starts_on"] for h in (await facilitator.get(url)).json()] == [
        "2026-12-21",
        "2026-07-01",
    ]
    gone = await facilitator.delete(f"{url}/{body['id']}")
    assert gone.status_code == 404 and gone.headers["content-type"] == PROBLEM

    async with sessions() as session:
        actions = list(
            await session.scalars(
                select(AuditLog.action)
                .where(AuditLog.target_type == "holiday", AuditLog.target_id == body["id"])
                .order_by(AuditLog.id)
            )
        )
    assert actions == ["holiday.add", "holiday.remove"]


async def test_bad_holidays_get_a_clear_problem(world: World, as_role) -> None:
    facilitator = as_role("facilitator_a")
    url = f"/v1/circles/{world.a.circle}/holidays"
    cases = {
        "reversed": ({"starts_on": "2026-10-23", "ends_on": "2026-10-12"}, 422, "cannot end"),
        "not a date": ({"starts_on": "2026-02-30", "ends_on": "2026-03-02"}, 422, "starts_on"),
        "too long": ({"starts_on": "2026-09-01", "ends_on": "2027-09-30"}, 422, "366 days"),
        "long name": (
            {"starts_on": "2026-10-12", "ends_on": "2026-10-13", "name": "x" * 121},
            422,
            "name",
        ),
        "overlap": ({"starts_on": "2026-12-28", "ends_on": "2027-01-08"}, 409, "2026-12-21"),
        "unknown field": ({"from": "2026-10-12", "to": "2026-10-13"}, 422, "starts_on"),
    }
    for case, (body, status, words) in cases.items():
        response = await facilitator.post(url, json=body)
        assert response.status_code == status, (case, response.text)
        assert response.headers["content-type"] == PROBLEM, case
        assert words in response.json()["detail"], (case, response.json())
    not_json = await facilitator.post(
        url, content=b"{", headers={"content-type": "application/json"}
    )
    assert 400 <= not_json.status_code < 500
    assert (await facilitator.delete(f"{url}/0")).status_code == 422


async def test_holidays_are_scoped_like_everything_else(world: World, as_role) -> None:
    body = {"starts_on": "2026-10-12", "ends_on": "2026-10-16"}
    mine, theirs = world.a, world.b
    facilitator = as_role("facilitator_a")
    other = await facilitator.post(f"/v1/circles/{theirs.circle}/holidays", json=body)
    assert other.status_code == 404
    assert "no circle with this id" in other.json()["detail"]
    # My circle, their holiday: as if it did not exist.
    crossed = await facilitator.delete(f"/v1/circles/{mine.circle}/holidays/{theirs.holiday}")
    assert crossed.status_code == 404

    rep = as_role("union_rep_a")
    assert (await rep.get(f"/v1/circles/{mine.circle}/holidays")).status_code == 200
    refused = await rep.post(f"/v1/circles/{mine.circle}/holidays", json=body)
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    assert (
        await rep.delete(f"/v1/circles/{mine.circle}/holidays/{mine.holiday}")
    ).status_code == 403

    country = await facilitator.post("/v1/countries/BR/holidays", json=body)
    assert country.status_code == 403
    assert "coordinators and admins" in country.json()["detail"]


async def test_a_country_holiday_reaches_every_circle_of_the_country(world: World, as_role) -> None:
    coordinator = as_role("coordinator_gh")
    body = {"starts_on": "2026-10-12", "ends_on": "2026-10-16", "name": "Mid-term"}
    added = await coordinator.post("/v1/countries/gh/holidays", json=body)
    assert added.status_code == 201, added.text
    holiday = added.json()
    assert holiday["applies_to"] == "country" and holiday["country"] == "GH"
    assert holiday["circle_id"] is None

    circle_b = (await as_role("facilitator_b").get(f"/v1/circles/{world.b.circle}/holidays")).json()
    assert [(h["applies_to"], h["starts_on"]) for h in circle_b] == [
        ("country", "2026-10-12"),
        ("circle", "2026-12-21"),
    ]
    circle_a = (await as_role("facilitator_a").get(f"/v1/circles/{world.a.circle}/holidays")).json()
    assert all(h["applies_to"] == "circle" for h in circle_a)

    # A facilitator cannot remove their country's holiday from their circle.
    kept = await as_role("facilitator_b").delete(
        f"/v1/circles/{world.b.circle}/holidays/{holiday['id']}"
    )
    assert kept.status_code == 404
    assert (await coordinator.get("/v1/countries/GH/holidays")).json()[0]["id"] == holiday["id"]
    twice = await coordinator.post("/v1/countries/GH/holidays", json=body)
    assert twice.status_code == 409

    elsewhere = await coordinator.post("/v1/countries/BR/holidays", json=body)
    assert elsewhere.status_code == 403
    assert elsewhere.json()["detail"] == "Your token does not cover circles in BR."
    unknown = await as_role("coordinator").post("/v1/countries/ZZ/holidays", json=body)
    assert unknown.status_code == 422

    removed = await coordinator.delete(f"/v1/countries/GH/holidays/{holiday['id']}")
    assert removed.status_code == 204
    assert (await coordinator.get("/v1/countries/GH/holidays")).json() == []


async def test_nobody_is_counted_as_not_opened_in_a_holiday_week(world: World, as_role) -> None:
    coordinator = as_role("coordinator_gh")

    def not_opened(summary: dict) -> int:
        return next(c["count"] for c in summary["checkins"] if c["key"] == "not_opened")

    country_url, circle_url = "/v1/countries/GH/summary", f"/v1/circles/{world.b.circle}/summary"
    assert not_opened((await coordinator.get(country_url)).json()) == 1
    assert not_opened((await coordinator.get(circle_url)).json()) == 1
    added = await coordinator.post(
        "/v1/countries/GH/holidays", json={"starts_on": "2026-08-24", "ends_on": "2026-08-28"}
    )
    assert added.status_code == 201
    assert not_opened((await coordinator.get(country_url)).json()) == 0
    circle = (await coordinator.get(circle_url)).json()
    assert not_opened(circle) == 0 and circle["not_answered"] == []
