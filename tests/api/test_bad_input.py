"""Bad input is a 4xx problem with a precise message, never a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.web import csrf_of, sign_in
from support.world import World


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("/v1/circles?cursor=bm90LWEtY3Vyc29y", "The cursor is not valid"),
        ("/v1/circles?cursor=%F0%9F%98%80", "The cursor is not valid"),
        ("/v1/circles?cursor=djE6LTU", "The cursor is not valid"),  # v1:-5
        ("/v1/circles?cursor=djE6OTk5OTk5OTk5OTk5", "The cursor is not valid"),  # huge id
        ("/v1/circles?limit=-1", "query.limit"),
        ("/v1/circles?limit=0", "query.limit"),
        ("/v1/circles?limit=100000", "query.limit"),
        ("/v1/circles?limit=ten", "query.limit"),
        ("/v1/circles/0", "path.circle_id"),
        ("/v1/circles/99999999999999999999", "path.circle_id"),
        ("/v1/circles/abc/members", "path.circle_id"),
        ("/v1/circles/9223372036854775808", "path.circle_id"),
        ("/v1/circles/1/meetings/99999999999999999999", "path.meeting_id"),
        ("/v1/circles/%C2%B2", "path.circle_id"),
        ("/v1/circles/1/members?role=boss", "query.role"),
        ("/v1/circles/1/members?phase=reflect", "query.phase"),
        ("/v1/circles/1/members?paused=maybe", "query.paused"),
        ("/v1/circles/1/checkins?week=2026-W00", "The year 2026 has no week 0."),
        ("/v1/circles/1/checkins?week=1999-W10", "Weeks before 2000 are not kept."),
        ("/v1/circles/1/checkins?week=last", "query.week"),
        ("/v1/circles/1/summary?week=2026-W54", "The year 2026 has no week 54."),
        ("/v1/countries/ZZ/summary", "ZZ is not a two-letter country code."),
        ("/v1/countries/BRA/summary", "path.country"),
        ("/v1/exports/answers?format=pdf", "query.format"),
        ("/v1/exports/summaries?from_week=2026-W30&to_week=2026-W20", "comes after"),
        ("/v1/exports/summaries?from_week=2020-W01&to_week=2026-W20", "at most 53 weeks"),
        ("/v1/practices?status=lost", "query.status"),
        ("/v1/circles?name=%00", "query.name"),
    ],
)
async def test_bad_query_and_path_values_are_4xx_problems(
    url: str, detail: str, world: World, as_role
) -> None:
    response = await as_role("admin").get(url)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/circles", {"name": "", "country": "BR", "language": "pt", "timezone": "UTC"}),
        ("/v1/circles", {"name": "x", "country": "BR", "language": "pt", "timezone": "a" * 5000}),
        ("/v1/circles", {"name": "x\u0000", "country": "BR", "language": "pt", "timezone": "UTC"}),
        ("/v1/circles", {"name": "x", "country": "XX", "language": "pt", "timezone": "UTC"}),
        ("/v1/circles", {"name": "x", "country": "BR", "language": "tlh", "timezone": "UTC"}),
        (
            "/v1/circles",
            {"name": "x", "country": "BR", "language": "pt", "timezone": "UTC", "x": 1},
        ),
        ("/v1/circles", [1, 2, 3]),
        ("/v1/circles/1/invites", {"role": "teacher", "valid_days": 0}),
        ("/v1/circles/1/invites", {"role": "principal"}),
        ("/v1/practices/1/request-changes", {"comment": "x" * 2001}),
        ("/v1/tokens", {"name": "x", "role": "root"}),
    ],
)
async def test_bad_bodies_are_4xx_problems(path: str, body, world: World, as_role) -> None:
    response = await as_role("admin").post(path, json=body)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


async def test_a_body_that_is_not_json_is_a_4xx(world: World, as_role) -> None:
    response = await as_role("admin").post(
        "/v1/tokens", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"date": "9999-12-31", "time": "23:30"}, "body.date"),
        ({"date": "2999-12-31", "time": "23:30"}, "A meeting can be planned at most a year ahead."),
        ({"date": "2026-09-17", "time": "16:30", "place": "Room\u00001"}, "body.place"),
        ({"date": "2026-09-17", "time": "16:30", "agenda": "Share\u0000work"}, "body.agenda"),
    ],
)
async def test_a_meeting_too_far_ahead_or_with_nul_is_a_422(
    body, detail: str, world: World, as_role
) -> None:
    response = await as_role("admin").post(f"/v1/circles/{world.a.circle}/meetings", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/dashboard/circles/99999999999999999999"),
        ("GET", "/dashboard/circles/9223372036854775808"),
        ("GET", "/dashboard/circles/0"),
        ("GET", "/dashboard/circles/%C2%B2"),  # a superscript two is a digit to str.isdigit()
        ("POST", "/dashboard/practices/99999999999999999999/approve"),
        ("POST", "/dashboard/practices/-1/changes"),
    ],
)
async def test_huge_or_odd_ids_in_dashboard_paths_are_a_404_page(
    method: str, path: str, world: World, api
) -> None:
    client = api()
    await sign_in(client, world.secrets["facilitator_a"])
    csrf = csrf_of((await client.get(f"/dashboard/circles/{world.a.circle}")).text)
    response = await client.request(method, path, data={"csrf": csrf} if method == "POST" else None)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "There is no such page." in response.text


_ID_TEXT = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=_ID_TEXT)
async def test_any_id_in_a_path_is_a_4xx_or_a_page_never_a_500(
    world: World, api, as_role, raw: str
) -> None:
    """Random ids in the paths of both doors: the admin API and the signed-in dashboard."""
    segment = quote(raw, safe="")
    admin = as_role("admin")
    for path in (
        f"/v1/circles/{segment}",
        f"/v1/circles/{segment}/members",
        f"/v1/circles/1/meetings/{segment}",
        f"/v1/practices/{segment}",
    ):
        response = await admin.get(path)
        assert response.status_code < 500, (path, response.status_code)
    browser = api()
    await sign_in(browser, world.secrets["facilitator_a"])
    page = await browser.get(f"/dashboard/circles/{segment}")
    assert page.status_code < 500, page.status_code
    form = await browser.get(f"/dashboard/circles/{world.a.circle}")
    approve = await browser.post(
        f"/dashboard/practices/{segment}/approve", data={"csrf": csrf_of(form.text)}
    )
    assert approve.status_code < 500, approve.status_code
