"""axe-core in Debian's Chromium: the pages facilitators and coordinators work in have no
serious or critical accessibility violation (contrast, names of controls, structure)."""

from __future__ import annotations

import pytest
from support.world import World

#: axe-core's two worst impact levels; "minor" and "moderate" findings are left to review.
BLOCKING = {"serious", "critical"}


async def _sign_in(page, url: str, token: str) -> None:
    await page.goto(url + "/dashboard/sign-in")
    await page.fill("input[name=token]", token)
    async with page.expect_navigation():
        await page.locator("#sign-in button").click()


def _blocking(results) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING
    ]


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("facilitator_a", "/dashboard/circles/{circle}"),
        ("facilitator_a", "/dashboard/circles/{circle}/teachers/{teacher}"),
        ("facilitator_a", "/dashboard/circles/{circle}/meetings/{meeting}/pack"),
        ("coordinator", "/dashboard"),
        ("coordinator", "/dashboard/sessions"),
        ("coordinator", "/dashboard/sessions/{session}"),
    ],
)
async def test_dashboard_pages_pass_axe_core(
    role: str, path: str, live_server, browser_page, world: World
) -> None:
    from axe_playwright_python.async_playwright import Axe

    page = browser_page
    await _sign_in(page, live_server.url, world.secrets[role])
    url = path.format(
        circle=world.a.circle,
        teacher=world.a.person,
        meeting=world.a.meeting,
        session=world.a.session,
    )
    response = await page.goto(live_server.url + url)
    assert response is not None and response.status == 200
    if url == f"/dashboard/circles/{world.a.circle}":
        # The review card, with the whole practice, is checked as part of the circle page.
        assert await page.locator("#review article.practice").count() >= 1
    results = await Axe().run(page)
    assert results.response["testEngine"]["name"] == "axe-core"
    assert _blocking(results) == []


async def test_the_check_finds_a_serious_violation_when_there_is_one(browser_page) -> None:
    from axe_playwright_python.async_playwright import Axe

    await browser_page.set_content(
        '<html lang="en"><body><main><button type="submit"></button>'
        '<img src="data:image/png;base64,"></main></body></html>'
    )
    found = _blocking(await Axe().run(browser_page))
    assert any(v.startswith("button-name") for v in found)
