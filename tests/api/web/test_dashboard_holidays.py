"""Facilitators set their circle's holidays on the dashboard; union reps only read them."""

from __future__ import annotations

from sqlalchemy import select
from support.web import csrf_of, sign_in
from support.world import World

from circles.db import SessionMaker
from circles.models import Holiday


async def _signed_in(world: World, api, role: str):
    client = api()
    await sign_in(client, world.secrets[role])
    page = await client.get(f"/dashboard/circles/{world.a.circle}")
    assert page.status_code == 200
    return client, page


async def _starts(sessions: SessionMaker, circle_id: int) -> list[str]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Holiday.starts_on).where(Holiday.circle_id == circle_id).order_by(Holiday.id)
        )
        return [day.isoformat() for day in rows]


async def test_a_facilitator_adds_and_removes_a_holiday_on_the_circle_page(
    world: World, api, sessions: SessionMaker
) -> None:
    client, page = await _signed_in(world, api, "facilitator_a")
    assert 'id="holidays"' in page.text and "Dec 21, 2026" in page.text
    csrf = csrf_of(page.text)
    url = f"/dashboard/circles/{world.a.circle}/holidays"
    form = {"starts_on": "2026-10-12", "ends_on": "2026-10-16", "name": "Spring break"}
    assert (await client.post(url, data={**form, "csrf": "forged"})).status_code == 403
    added = await client.post(url, data={**form, "csrf": csrf})
    assert added.status_code == 303
    assert added.headers["location"] == (
        f"/dashboard/circles/{world.a.circle}?done=holiday-added#holidays"
    )
    shown = await client.get(added.headers["location"])
    assert "The holiday is saved" in shown.text
    assert "Oct 12, 2026 – Oct 16, 2026 · Spring break" in shown.text
    assert await _starts(sessions, world.a.circle) == ["2026-12-21", "2026-10-12"]

    bad = await client.post(url, data={**form, "starts_on": "12/10/2026", "csrf": csrf})
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
    reversed_range = await client.post(
        url, data={"starts_on": "2026-11-20", "ends_on": "2026-11-02", "csrf": csrf}
    )
    assert reversed_range.status_code == 422
    assert "cannot end (2026-11-02) before it starts (2026-11-20)" in reversed_range.text
    overlap = await client.post(url, data={**form, "csrf": csrf})
    assert overlap.status_code == 409 and "overlap" in overlap.text

    removed = await client.post(f"{url}/{world.a.holiday}/remove", data={"csrf": csrf})
    assert removed.status_code == 303
    assert await _starts(sessions, world.a.circle) == ["2026-10-12"]
    theirs = await client.post(f"{url}/{world.b.holiday}/remove", data={"csrf": csrf})
    assert theirs.status_code == 404
    other_circle = await client.post(
        f"/dashboard/circles/{world.b.circle}/holidays", data={**form, "csrf": csrf}
    )
    assert other_circle.status_code == 404


async def test_a_union_rep_sees_the_holidays_but_no_form(world: World, api) -> None:
    client, page = await _signed_in(world, api, "union_rep_a")
    assert "Dec 21, 2026" in page.text
    assert "add-holiday" not in page.text and "remove-holiday" not in page.text
    refused = await client.post(
        f"/dashboard/circles/{world.a.circle}/holidays",
        data={"starts_on": "2026-10-12", "ends_on": "2026-10-16", "csrf": csrf_of(page.text)},
    )
    assert refused.status_code == 403


async def test_a_coordinator_sets_a_countrys_holidays_on_the_overview(
    world: World, api, sessions: SessionMaker
) -> None:
    client = api()
    await sign_in(client, world.secrets["coordinator"])
    page = await client.get("/dashboard")
    assert 'id="holidays-BR"' in page.text and 'id="holidays-GH"' in page.text
    csrf = csrf_of(page.text)
    form = {"starts_on": "2026-12-21", "ends_on": "2027-01-29", "name": "Férias de verão"}
    url = "/dashboard/countries/BR/holidays"
    assert (await client.post(url, data={**form, "csrf": "forged"})).status_code == 403
    added = await client.post(url, data={**form, "csrf": csrf})
    assert added.headers["location"] == "/dashboard?done=holiday-added#holidays-BR"
    shown = (await client.get(added.headers["location"])).text
    brazil = shown[shown.index('id="holidays-BR"') : shown.index('id="holidays-GH"')]
    assert "Dec 21, 2026 – Jan 29, 2027 · Férias de verão" in brazil
    async with sessions() as session:
        (holiday,) = await session.scalars(select(Holiday).where(Holiday.country == "BR"))
    # The country's holiday shows on its circles' pages too, marked as the whole country's.
    circle = (await client.get(f"/dashboard/circles/{world.a.circle}")).text
    assert "Férias de verão" in circle and "the whole country" in circle

    ghana = api()
    await sign_in(ghana, world.secrets["coordinator_gh"])
    ghana_page = await ghana.get("/dashboard")
    assert 'id="holidays-BR"' not in ghana_page.text
    refused = await ghana.post(
        f"/dashboard/countries/BR/holidays/{holiday.id}/remove",
        data={"csrf": csrf_of(ghana_page.text)},
    )
    assert refused.status_code == 403
    removed = await client.post(
        f"/dashboard/countries/BR/holidays/{holiday.id}/remove", data={"csrf": csrf}
    )
    assert removed.headers["location"] == "/dashboard?done=holiday-removed#holidays-BR"
    async with sessions() as session:
        assert (await session.scalars(select(Holiday).where(Holiday.country == "BR"))).all() == []
