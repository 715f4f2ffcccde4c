"""In a real browser: a teacher's whole journey in the simulator, a facilitator's dashboard."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from support.people import simulated_people
from support.world import World, make_demo

from circles.db import SessionMaker
from circles.models import (
    Answer,
    AnswerKind,
    Circle,
    Meeting,
    Outbox,
    Person,
    Practice,
    PracticeStatus,
    Reflection,
)
from circles.services import holidays
from circles.services.schedule import next_checkin

DATABASE = "postgres" if os.environ.get("CIRCLES_TEST_DATABASE_URL") else "sqlite"
# The smallest valid PNG: one transparent pixel.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e5270de10000000049454e44ae426082"
)


@pytest.fixture
async def demo_world(world: World, sessions: SessionMaker) -> World:
    """The world, with circle A as the demo circle the simulator joins."""
    return await make_demo(sessions, world)


async def _submit(page, locator) -> None:
    """Click and wait for the page the form leads to."""
    async with page.expect_navigation():
        await locator.click()


async def _press(page, label: str) -> None:
    await _submit(page, page.locator("button.choice", has_text=label).last)


async def _say(page, text: str) -> None:
    await page.fill("#message", text)
    async with page.expect_navigation():
        await page.press("#message", "Enter")


async def _last_bot_text(page) -> str:
    return await page.locator("li.bubble.bot .text").last.inner_text()


async def _photo(page, tmp_path, caption: str) -> None:
    picture = tmp_path / "student-work.png"
    picture.write_bytes(PIXEL)
    await page.set_input_files("#photo-form input[type=file]", str(picture))
    await page.fill("#photo-form input[name=caption]", caption)
    await _submit(page, page.locator("#photo-form button"))


async def test_teacher_walks_the_whole_journey_in_the_simulator(
    live_server, browser_page, screenshots, sessions: SessionMaker, demo_world: World, tmp_path
) -> None:
    page = browser_page
    await page.goto(live_server.url + "/simulator")
    await page.screenshot(path=str(screenshots / f"simulator-start-{DATABASE}.png"), full_page=True)
    await page.select_option("select[name=language]", "en")
    await _submit(page, page.locator("#start-form button"))
    # onboarding
    await _press(page, "I agree")
    await _press(page, "English")
    await _say(page, "UTC")
    await _say(page, "Zoe Simulated")
    await _say(page, "Mathematics")
    await _press(page, "Primary")
    # identify
    assert "challenge" in await _last_bot_text(page)
    await _say(page, "Students copy answers without checking them.")
    await _say(page, "Year 5, about a third of the class")
    await _photo(page, tmp_path, "Three answers copied from the board")
    await _say(page, "Most copy from the board.")  # the baseline
    await _say(page, "Each writes and checks their own answer.")  # the success evidence
    await _press(page, "What do these mean?")
    assert "Peer assessment: students help each other learn" in await _last_bot_text(page)
    await _press(page, "Peer assessment")
    await _say(page, "Two stars and a wish on each other's work")
    await _press(page, "4")
    # pilot, next week
    await _submit(page, page.locator("#next-checkin"))
    await _say(page, "/checkin")
    await _press(page, "Yes")
    await _say(page, "Pairs swapped their paragraphs and used the sheet.")
    await _photo(page, tmp_path, "A marked paragraph")
    await _press(page, "4")
    await _say(page, "Model one example first.")
    await _press(page, "Skip")
    assert "4" in await _last_bot_text(page)  # the ratings so far
    # codify
    await _say(page, "/journey")
    await _press(page, "Codify my practice")
    # codify v3 offers back what was piloted: most parts are one tap
    await _say(page, "Two stars and a wish")  # the name
    await _press(page, "Keep")  # the summary, from identify
    await _press(page, "Keep")  # the strategy, from identify
    await _press(page, "Feedback that moves learning forward")
    await _press(page, "Done")
    await _press(page, "Keep")  # the subject, from the profile
    await _press(page, "Keep")  # the stage, from the profile
    await _press(page, "Skip")  # the grade in the school's words
    await _say(page, "28")
    await _press(page, "Keep")  # the steps: what was done in the pilot week
    await _press(page, "Keep")  # the evidence, with its photo
    await _press(page, "Keep")  # the conditions: the challenge
    await _press(page, "Keep")  # the lessons: the planned adjustment
    await _say(page, "Peer-marking sheets")  # the materials
    await _press(page, "My circle")
    await _press(page, "Yes")
    look = await _last_bot_text(page)
    assert look.startswith("“Two stars and a wish”")
    assert "Peer-marking sheets" in look and "Model one example first." in look
    await _press(page, "Send for review")
    # reflection after a meeting
    await _submit(page, page.locator("#meeting"))
    await _say(page, "Peers give kinder feedback than I expected.")
    await _say(page, "I will model feedback first.")
    await _say(page, "hopeful")
    await _press(page, "The facilitators")
    await page.screenshot(path=str(screenshots / f"simulator-{DATABASE}.png"), full_page=True)

    # The circle's facilitator publishes the practice; the teacher hears it in the chat.
    await page.goto(live_server.url + "/dashboard")
    await page.fill("input[name=token]", demo_world.secrets["facilitator_a"])
    await _submit(page, page.locator("#sign-in button"))
    mine = page.locator("article.practice", has_text="Zoe Simulated")
    await _submit(page, mine.locator("button.approve"))
    await page.goto(live_server.url + "/simulator")
    assert "Two stars and a wish" in await _last_bot_text(page)
    # Now in the repository: the teacher finds it by searching.
    await _say(page, "/practices two STARS")
    texts = await page.locator("li.bubble.bot .text").all_inner_texts()
    assert "1 practice matches “two stars”:" in texts[-2]
    assert texts[-1].startswith("“Two stars and a wish”")

    async with sessions() as session:
        person = await session.scalar(simulated_people())
        assert person is not None and person.display_name == "Zoe Simulated"
        photos = await session.scalars(
            select(Answer).where(Answer.person_id == person.id, Answer.kind == AnswerKind.photo)
        )
        assert {a.flow_id for a in photos} == {"identify", "pilot"}
        practice = await session.scalar(select(Practice).where(Practice.author_id == person.id))
        assert practice is not None and practice.status is PracticeStatus.published
        reflection = await session.scalar(
            select(Reflection).where(Reflection.person_id == person.id)
        )
        assert reflection is not None and reflection.one_word == "hopeful"


async def test_facilitator_reviews_on_the_dashboard(
    live_server, browser_page, screenshots, sessions: SessionMaker, world: World
) -> None:
    page = browser_page
    await page.goto(live_server.url + "/dashboard")
    await page.screenshot(path=str(screenshots / f"sign-in-{DATABASE}.png"), full_page=True)
    await page.fill("input[name=token]", world.secrets["facilitator_a"])
    await _submit(page, page.locator("#sign-in button"))
    assert re.search(rf"/dashboard/circles/{world.a.circle}$", page.url)
    for section in ("#response svg", "#phases svg", "#ratings svg"):
        assert await page.locator(section).count() >= 1
    assert await page.locator("#ratings svg polyline").count() >= 1
    await page.screenshot(path=str(screenshots / f"dashboard-{DATABASE}.png"), full_page=True)
    practice = page.locator(f'article[data-practice="{world.a.practice}"]')
    await _submit(page, practice.locator("button.approve"))
    assert await page.locator("p.flash").count() == 1
    assert await page.locator(f'article[data-practice="{world.a.practice}"]').count() == 0
    await page.screenshot(
        path=str(screenshots / f"dashboard-reviewed-{DATABASE}.png"), full_page=True
    )
    async with sessions() as session:
        reviewed = await session.get_one(Practice, world.a.practice)
        assert reviewed.status is PracticeStatus.published

    # A coordinator sees the circles side by side, country by country.
    await _submit(page, page.locator("form.signout button"))
    await page.fill("input[name=token]", world.secrets["coordinator"])
    await _submit(page, page.locator("#sign-in button"))
    assert await page.locator("section.country").count() == 2
    assert await page.locator("section.country svg rect.bar").count() >= 2
    await page.screenshot(path=str(screenshots / f"overview-{DATABASE}.png"), full_page=True)


async def _next_checkin(sessions: SessionMaker, circle_id: int, now) -> datetime:
    async with sessions() as session:
        circle = await session.get_one(Circle, circle_id)
        days_off = await holidays.of_circle(session, circle=circle)
        return next_checkin(circle, circle.timezone, now, days_off)


async def test_a_facilitators_week_on_the_dashboard(
    live_server, browser_page, screenshots, sessions: SessionMaker, world: World, clock
) -> None:
    page = browser_page
    await page.goto(live_server.url + "/dashboard")
    await page.fill("input[name=token]", world.secrets["facilitator_a"])
    await _submit(page, page.locator("#sign-in button"))
    circle_url = page.url

    # A teacher's page, from her name.
    async with sessions() as session:
        ana = await session.get_one(Person, world.author_a)
    await _submit(page, page.locator("#teachers a.teacher", has_text=ana.display_name))
    assert "/teachers/" in page.url and ana.display_name in await page.inner_text("h1")
    await page.screenshot(path=str(screenshots / f"teacher-{DATABASE}.png"), full_page=True)
    await page.goto(circle_url)

    # A reply to her help request goes to her chat, framed in her language.
    request = page.locator("article.request", has_text="a voice note").first
    await request.locator("textarea[name=text]").fill("Let us talk after the meeting.")
    await request.locator("input[name=name]").fill("Grace")
    await _submit(page, request.locator("button.reply"))
    async with sessions() as session:
        replies = (
            await session.scalars(select(Outbox).where(Outbox.idempotency_key.like("reply-%")))
        ).all()
    assert len(replies) == 1 and "Let us talk after the meeting." in str(replies[0].payload)

    # The review card shows the whole practice before it is approved.
    card = page.locator(f'article[data-practice="{world.a.practice}"]')
    assert "Ask, show, regroup" in await card.inner_text()

    # A meeting, then a holiday over the next check-in: the check-in moves a week on.
    meetings_form = page.locator("details.meeting-new")
    await meetings_form.locator("summary").click()
    await meetings_form.locator("input[name=day]").fill("2026-09-10")
    await meetings_form.locator("input[name=at]").fill("18:30")
    await _submit(page, meetings_form.locator("button.schedule-meeting"))
    assert await page.locator("p.flash").count() == 1
    before = await _next_checkin(sessions, world.a.circle, clock.now())
    holiday = page.locator("#holidays form.stack")
    day = before.date().isoformat()
    await holiday.locator("input[name=starts_on]").fill(day)
    await holiday.locator("input[name=ends_on]").fill(day)
    await _submit(page, holiday.locator("button.add-holiday"))
    after = await _next_checkin(sessions, world.a.circle, clock.now())
    assert after - before == timedelta(weeks=1)

    # The meeting pack of the new meeting, one click away.
    async with sessions() as session:
        newest = await session.scalar(select(Meeting).order_by(Meeting.id.desc()))
    await _submit(page, page.locator(f'li[data-meeting="{newest.id}"] a.pack'))
    assert "Who tried what" in await page.inner_text("#tried")
    await page.screenshot(path=str(screenshots / f"meeting-pack-{DATABASE}.png"), full_page=True)
