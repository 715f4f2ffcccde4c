"""The facilitator dashboard: sign-in, the same scopes as the API, CSRF, language."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from babel.dates import format_date
from babel.numbers import format_percent
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select
from support.web import csrf_of, sign_in
from support.world import World, make_demo

from circles.db import SessionMaker
from circles.i18n import translate
from circles.models import (
    Answer,
    ApiToken,
    CheckIn,
    CheckInStatus,
    Person,
    Phase,
    Practice,
    PracticeStatus,
    WebSession,
)


async def test_facilitator_signs_in_and_lands_on_their_circle(world: World, api) -> None:
    client = api()
    assert (await client.get("/dashboard")).headers["location"] == "/dashboard/sign-in"
    signed = await sign_in(client, world.secrets["facilitator_a"])
    assert signed.status_code == 303
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert world.secrets["facilitator_a"] not in cookie
    home = await client.get("/dashboard")
    assert home.headers["location"] == f"/dashboard/circles/{world.a.circle}"
    page = await client.get(home.headers["location"])
    assert page.status_code == 200
    assert world.secrets["facilitator_a"] not in page.text
    assert "A demo circle is shown as of" not in page.text  # a real circle: real time
    assert page.text.count("<svg") >= 3  # response rate, phase funnel, rating sparklines
    for section in ('id="response"', 'id="phases"', 'id="ratings"', 'id="review"'):
        assert section in page.text


async def test_another_circle_answers_404_like_a_missing_one(world: World, api) -> None:
    client = api()
    await sign_in(client, world.secrets["facilitator_a"])
    other = await client.get(f"/dashboard/circles/{world.b.circle}")
    missing = await client.get("/dashboard/circles/987654")
    assert other.status_code == missing.status_code == 404
    assert other.text == missing.text


async def test_wrong_token_is_refused_and_revoked_token_signs_out(
    world: World, api, sessions: SessionMaker
) -> None:
    client = api()
    assert (await sign_in(client, "lc_not-a-token")).status_code == 401
    assert (await sign_in(client, world.secrets["revoked"])).status_code == 401
    await sign_in(client, world.secrets["facilitator_a"])
    async with sessions() as session, session.begin():
        token = await session.get_one(ApiToken, world.token_ids["facilitator_a"])
        token.revoked_at = token.created_at
    assert (await client.get("/dashboard")).headers["location"] == "/dashboard/sign-in"


async def _facilitator_on_their_circle(world: World, api) -> tuple[httpx.AsyncClient, str]:
    """Facilitator A signed in, and the CSRF value of their circle's page."""
    client = api()
    await sign_in(client, world.secrets["facilitator_a"])
    page = await client.get(f"/dashboard/circles/{world.a.circle}")
    return client, csrf_of(page.text)


async def _status(sessions: SessionMaker, practice_id: int) -> PracticeStatus:
    async with sessions() as session:
        return (await session.get_one(Practice, practice_id)).status


@pytest.mark.parametrize(
    ("action", "form", "done", "status"),
    [
        ("approve", {}, "approved", PracticeStatus.published),
        (
            "changes",
            {"comment": "Add how long it takes."},
            "changes",
            PracticeStatus.changes_requested,
        ),
    ],
)
async def test_reviewing_needs_the_form_csrf_value_and_returns_to_the_queue(
    world: World, api, sessions: SessionMaker, action, form, done, status
) -> None:
    client, csrf = await _facilitator_on_their_circle(world, api)
    url = f"/dashboard/practices/{world.a.practice}/{action}"
    assert (await client.post(url, data={**form, "csrf": "forged"})).status_code == 403
    assert (await client.post(url, data=form)).status_code == 403
    assert await _status(sessions, world.a.practice) is PracticeStatus.in_review
    reviewed = await client.post(url, data={**form, "csrf": csrf})
    assert reviewed.status_code == 303
    assert reviewed.headers["location"] == f"/dashboard/circles/{world.a.circle}?done={done}#review"
    assert await _status(sessions, world.a.practice) is status


async def test_other_circles_practice_cannot_be_reviewed(
    world: World, api, sessions: SessionMaker
) -> None:
    client, csrf = await _facilitator_on_their_circle(world, api)
    async with sessions() as session:
        other = await session.scalar(
            select(Practice.id).where(Practice.circle_id == world.b.circle)
        )
    if other is None:
        other = 987654
    refused = await client.post(f"/dashboard/practices/{other}/approve", data={"csrf": csrf})
    assert refused.status_code == 404


async def test_union_rep_sees_counts_without_names_or_reviews(world: World, api) -> None:
    client = api()
    await sign_in(client, world.secrets["union_rep_a"])
    page = await client.get(f"/dashboard/circles/{world.a.circle}")
    assert page.status_code == 200
    assert 'id="review"' not in page.text and 'id="ratings"' not in page.text


async def test_coordinator_sees_circles_side_by_side_per_country(world: World, api) -> None:
    client = api()
    await sign_in(client, world.secrets["coordinator"])
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert f'href="/dashboard/circles/{world.a.circle}"' in page.text
    assert f'href="/dashboard/circles/{world.b.circle}"' in page.text
    assert page.text.count('class="country card"') == 2
    ghana = api()
    await sign_in(ghana, world.secrets["coordinator_gh"])
    only = await ghana.get("/dashboard")
    assert f'href="/dashboard/circles/{world.a.circle}"' not in only.text


async def test_pages_speak_the_accept_language(world: World, api) -> None:
    client = api(**{"Accept-Language": "fr-CH, en;q=0.5"})
    refused = await sign_in(client, "lc_wrong")
    assert '<html lang="fr">' in refused.text
    expected = translate("This API token is unknown, revoked or expired.", "fr")
    assert expected != "This API token is unknown, revoked or expired."
    assert expected.replace("'", "&#39;") in refused.text


async def test_api_errors_stay_problem_documents(world: World, as_role) -> None:
    response = await as_role("facilitator_a").get(f"/v1/circles/{world.b.circle}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_copied_cookie_stops_working_when_its_owner_signs_out(world: World, api) -> None:
    owner, thief = api(), api()
    await sign_in(owner, world.secrets["facilitator_a"])
    circle = f"/dashboard/circles/{world.a.circle}"
    thief.cookies.set("lc_web", owner.cookies["lc_web"])
    assert (await thief.get(circle)).status_code == 200
    page = await owner.get(circle)
    signed_out = await owner.post("/dashboard/sign-out", data={"csrf": csrf_of(page.text)})
    assert signed_out.headers["location"] == "/dashboard/sign-in"
    refused = await thief.get(circle)
    assert refused.status_code == 303
    assert refused.headers["location"] == "/dashboard/sign-in"


async def test_a_dashboard_session_ends_after_a_working_day(world: World, api, clock) -> None:
    client = api()
    await sign_in(client, world.secrets["facilitator_a"])
    circle = f"/dashboard/circles/{world.a.circle}"
    clock.advance(timedelta(hours=11, minutes=59))
    assert (await client.get(circle)).status_code == 200
    clock.advance(timedelta(minutes=2))
    assert (await client.get(circle)).headers["location"] == "/dashboard/sign-in"


async def test_signing_in_again_ends_the_previous_session(world: World, api) -> None:
    client, copy = api(), api()
    await sign_in(client, world.secrets["facilitator_a"])
    copy.cookies.set("lc_web", client.cookies["lc_web"])
    await sign_in(client, world.secrets["facilitator_a"])
    circle = f"/dashboard/circles/{world.a.circle}"
    assert (await client.get(circle)).status_code == 200
    assert (await copy.get(circle)).headers["location"] == "/dashboard/sign-in"


async def test_the_cookie_holds_neither_the_token_nor_its_hash(
    world: World, api, sessions: SessionMaker
) -> None:
    client = api()
    await sign_in(client, world.secrets["facilitator_a"])
    _valid, cookie = URLSafeTimedSerializer("any key").loads_unsafe(client.cookies["lc_web"])
    async with sessions() as session:
        token = await session.get_one(ApiToken, world.token_ids["facilitator_a"])
        stored = (await session.scalars(select(WebSession))).all()
    assert [row.token_id for row in stored] == [token.id]
    assert isinstance(cookie, dict) and set(cookie) == {"csrf", "session"}
    for secret in (world.secrets["facilitator_a"], token.token_hash, stored[0].key_hash):
        assert secret not in str(cookie)


async def test_a_demo_circle_counts_simulated_answers_in_the_week_they_belong_to(
    world: World, api, sessions: SessionMaker, clock
) -> None:
    """A simulated teacher jumped three weeks ahead and answered: the page follows her."""
    await make_demo(sessions, world)
    ahead = clock.now() + timedelta(weeks=3)
    async with sessions() as session, session.begin():
        session.add(
            CheckIn(
                person_id=world.teachers_a[0],
                circle_id=world.a.circle,
                phase=Phase.pilot,
                iteration=9,
                scheduled_for=ahead,
                opened_at=ahead,
                closes_at=ahead + timedelta(days=6),
                status=CheckInStatus.answered,
                answered_at=ahead + timedelta(hours=1),
            )
        )
    client = api()
    await sign_in(client, world.secrets["facilitator_a"])
    page = (await client.get(f"/dashboard/circles/{world.a.circle}")).text
    assert "A demo circle is shown as of" in page
    # That week, one of the ten teachers answered; everyone else is listed as not answered.
    assert "1 of 10 teachers answered this week" in page


def _section(page: str, section: str) -> str:
    start = page.index(f'id="{section}"')
    return page[start : page.index("</section>", start)]


def _row(html: str, heading: str) -> list[str]:
    """The cells of the table row headed ``heading``."""
    match = re.search(rf'<tr><th scope="row">{re.escape(heading)}</th>(.*?)</tr>', html)
    assert match, heading
    return re.findall(r"<td>(.*?)</td>", match.group(1))


async def test_each_teachers_rating_line_shows_its_numbers_and_a_table(
    world: World, api, sessions: SessionMaker
) -> None:
    client = api()
    await sign_in(client, world.secrets["facilitator_a"])
    ratings = _section((await client.get(f"/dashboard/circles/{world.a.circle}")).text, "ratings")
    async with sessions() as session:
        ana = await session.get_one(Person, world.author_a)
        given = (
            await session.scalars(
                select(Answer.value_number).where(
                    Answer.person_id == ana.id, Answer.question_key == "how_well"
                )
            )
        ).all()
    cells = _row(ratings, ana.display_name)
    assert len(cells) == 8  # one per week of the window
    assert sorted(float(c) for c in cells if c != "–") == sorted(given)
    link = f'href="/dashboard/circles/{world.a.circle}/teachers/{ana.id}">{ana.display_name}</a>'
    line = ratings[ratings.index(link) :]
    line = line[: line.index("</svg>")]
    assert [v for v in re.findall(r'class="value"[^>]*>([^<]*)<', line)] == [
        c for c in cells if c != "–"
    ]
    for tick in range(1, 6):  # the 1–5 scale is drawn
        assert f'text-anchor="end">{tick}</text>' in line


async def test_coordinator_overview_shows_the_last_complete_week_as_the_api_counts_it(
    world: World, api, as_role, clock
) -> None:
    client = api()
    await sign_in(client, world.secrets["coordinator"])
    page = (await client.get("/dashboard")).text
    last_week = clock.now().date() - timedelta(days=clock.now().weekday() + 7)
    assert f"<h3>The week of {format_date(last_week, 'medium', locale='en')}</h3>" in page
    api_week = f"{last_week.isocalendar().year}-W{last_week.isocalendar().week:02d}"
    summary = (await as_role("coordinator").get(f"/v1/countries/BR/summary?week={api_week}")).json()
    (line,) = summary["lines"]
    brazil = page[page.index("BR ·") :]
    cells = _row(brazil, line["name"])
    assert cells[:2] == [str(line["answered"]), str(line["expected"])]
    assert cells[2] == format_percent(line["response_rate"], locale="en")
    trend = brazil[brazil.index("<h3>", brazil.index("<h3>") + 1) :]
    trend = trend[: trend.index("</details>")]
    assert trend.count('<th scope="row">') == 8  # eight weeks, the last complete one last
    assert (
        f"W{last_week.isocalendar().week}, "
        in re.findall(r'<th scope="row">([^<]*)</th>', trend)[-1]
    )


async def test_the_circle_page_switches_to_a_past_school_year_read_only(world: World, api) -> None:
    async with api(world.secrets["coordinator"]) as client:
        closed = await client.post(f"/v1/circles/{world.a.circle}/years/close")
        assert closed.status_code == 200
        opened = await client.post(
            f"/v1/circles/{world.a.circle}/years",
            json={"label": "2027–28", "starts_on": "2027-09-01", "ends_on": "2028-07-14"},
        )
        assert opened.status_code == 201
    for role, names_shown in (("facilitator_a", True), ("union_rep_a", False)):
        client = api()
        await sign_in(client, world.secrets[role])
        circle = (await client.get(f"/dashboard/circles/{world.a.circle}")).text
        past = f'href="/dashboard/circles/{world.a.circle}/years/{world.a.year}"'
        assert past in circle and '<strong aria-current="page">2027–28</strong>' in circle
        year = await client.get(f"/dashboard/circles/{world.a.circle}/years/{world.a.year}")
        assert year.status_code == 200
        assert "it cannot be changed" in year.text
        assert 'id="year-weeks"' in year.text
        assert year.text.count("<form") == 1  # signing out: nothing to change there
        assert ("Ana Souza" in year.text) is names_shown
        current = await client.get(
            f"/dashboard/circles/{world.a.circle}/years/{opened.json()['id']}",
            follow_redirects=False,
        )
        assert current.status_code == 303
    client = api()
    await sign_in(client, world.secrets["facilitator_b"])
    foreign = await client.get(f"/dashboard/circles/{world.a.circle}/years/{world.a.year}")
    assert foreign.status_code == 404
