"""A circle's two school years: the coordinator closes the first through the API, opens the
next on the command line, a continuing teacher chooses a new inquiry in the bot, and last
year's report stays as it was, readable by the same roles."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from support.people import on_telegram
from support.phone import Phone
from support.places import CircleSetup
from support.story import identify, onboard, onboard_facilitator, pilot_week
from typer.testing import CliRunner

from api.app import create_app
from bot.flows import years as year_flows
from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.models import (
    CheckIn,
    Circle,
    Holiday,
    Inquiry,
    Invite,
    Membership,
    Person,
    Phase,
    Role,
    SchoolYear,
    SchoolYearMember,
    TokenRole,
    YearChoice,
    YearStatus,
)
from circles.services import meetings
from circles.services.tokens import create_token
from circles.settings import Settings
from circles.testmode import FileClock
from circles_cli.main import app as cli_app
from scheduler.jobs import checkin_sweep, digest_sweep, meeting_sweep

OPENS = datetime(2026, 9, 7, 16, 0, tzinfo=UTC)  # Monday 16:00 in Accra (UTC+0)
CLOSING = datetime(2027, 7, 9, 10, 0, tzinfo=UTC)
OPENING = datetime(2027, 8, 20, 9, 0, tzinfo=UTC)
NEW_YEAR_OPENS = datetime(2027, 9, 1, 15, 0, tzinfo=UTC)  # Wednesday 15:00, the new calendar
GOODBYE = (
    "Your circle's school year 2026–27 has ended, so this week's questions are closed. "
    "Everything you already answered is kept. Thank you for this year!"
)


@pytest.fixture
async def tokens(sessions: SessionMaker, clock: FakeClock, accra: CircleSetup) -> dict[str, str]:
    """A token per reader: admin, coordinator of Ghana, Accra's facilitator and union rep,
    a facilitator of another circle."""
    async with transaction(sessions) as session:
        accra_row = await session.get_one(Circle, accra.circle_id)
        other = Circle(name="Kumasi 2", country="GH", language="en", timezone="Africa/Accra")
        session.add(other)
        await session.flush()
        made = {
            "admin": await create_token(
                session, role=TokenRole.admin, name="a", actor="t", now=clock.now()
            ),
            "coordinator": await create_token(
                session,
                role=TokenRole.coordinator,
                name="c",
                actor="t",
                now=clock.now(),
                countries=["GH"],
            ),
            "facilitator": await create_token(
                session,
                role=TokenRole.facilitator,
                name="f",
                actor="t",
                now=clock.now(),
                circle=accra_row,
            ),
            "union_rep": await create_token(
                session,
                role=TokenRole.union_rep,
                name="u",
                actor="t",
                now=clock.now(),
                circle=accra_row,
            ),
            "stranger": await create_token(
                session,
                role=TokenRole.facilitator,
                name="s",
                actor="t",
                now=clock.now(),
                circle=other,
            ),
        }
    return {role: issued.secret for role, issued in made.items()}


@pytest.fixture
def api(settings: Settings, engine: AsyncEngine, clock: FakeClock, tokens: dict[str, str]):
    """A client of the admin API as one of :func:`tokens`' readers."""
    app = create_app(settings, engine, clock)

    def client(role: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://api",
            headers={"Authorization": f"Bearer {tokens[role]}"},
        )

    return client


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run ``circles …`` at a given time (a file clock), off the test's event loop."""
    clock_file = tmp_path / "clock"
    monkeypatch.setenv("CIRCLES_DATABASE_URL", database_url)
    monkeypatch.setenv("CIRCLES_FAKE_CLOCK_FILE", str(clock_file))

    async def invoke(when: datetime, *args: str):
        FileClock.write(clock_file, when)
        return await asyncio.to_thread(CliRunner().invoke, cli_app, list(args))

    return invoke


async def _get(client: httpx.AsyncClient, path: str) -> httpx.Response:
    async with client:
        return await client.get(path)


async def _post(client: httpx.AsyncClient, path: str, body: dict | None = None) -> httpx.Response:
    async with client:
        return await client.post(path, json=body) if body is not None else await client.post(path)


async def test_a_circle_walks_through_two_school_years(
    phone: Callable[..., Phone],
    accra: CircleSetup,
    ama: Phone,
    clock: FakeClock,
    sessions: SessionMaker,
    sender,
    api,
    cli,
) -> None:
    circle = accra.circle_id
    kofi = phone("Kofi")
    await onboard(kofi, accra.codes[Role.teacher])
    await identify(ama)
    clock.set(OPENS + timedelta(hours=1))
    assert (await checkin_sweep(sessions, clock)).opened == 2
    await pilot_week(ama, "4")  # Ama answers; Kofi leaves his check-in open
    await sender.drain()

    # The first year: created with the circle, open, as the list shows every reader.
    listed = await _get(api("facilitator"), f"/v1/circles/{circle}/years")
    assert listed.status_code == 200
    [first] = listed.json()
    assert (first["label"], first["status"], first["starts_on"]) == (
        "2026–27",
        "open",
        "2026-09-07",
    )

    # Only coordinators and admins close a year.
    clock.set(CLOSING)
    refused = await _post(api("facilitator"), f"/v1/circles/{circle}/years/close")
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "Only coordinators and admins may close or open a school year."
    )
    closed = await _post(api("coordinator"), f"/v1/circles/{circle}/years/close")
    assert closed.status_code == 200, closed.text
    year = closed.json()
    assert (year["status"], year["ends_on"]) == ("closed", "2027-07-09")
    lines = {line["name"]: line for line in year["summary"]["members"]}
    assert lines["Grace Owusu"]["role"] == "facilitator"
    by_person = {line["person_id"]: line for line in year["summary"]["members"]}
    async with sessions() as session:
        ama_id = (await on_telegram(session, ama.user.id)).id
        kofi_id = (await on_telegram(session, kofi.user.id)).id
        grace_id = await session.scalar(
            select(Person.id).where(Person.display_name == "Grace Owusu")
        )
    assert by_person[ama_id]["checkins"] == {"answered": 1}
    assert by_person[kofi_id]["checkins"] == {"missed": 1}
    [week] = [w for w in year["summary"]["weeks"] if w["week"] == "2026-W37"]
    assert (week["answered"], week["missed"], week["teachers"]) == (1, 1, 2)

    # Kofi's open check-in was closed with a kind word; Ama had nothing open.
    await sender.drain()
    assert kofi.messages()[-1]["text"] == GOODBYE
    assert GOODBYE not in [m.get("text") for m in ama.messages()]
    async with sessions() as session:
        statuses = sorted(s.value for s in await session.scalars(select(CheckIn.status)))
        invites = list(await session.scalars(select(Invite.revoked_at)))
    assert statuses == ["answered", "missed"]
    assert all(revoked is not None for revoked in invites)

    # Closing again, opening through the API while dates are reversed: precise problems.
    again = await _post(api("admin"), f"/v1/circles/{circle}/years/close")
    assert (again.status_code, again.json()["detail"]) == (
        409,
        "This circle has no open school year.",
    )
    reversed_dates = await _post(
        api("admin"),
        f"/v1/circles/{circle}/years",
        {"label": "2027–28", "starts_on": "2028-07-14", "ends_on": "2027-09-01"},
    )
    assert reversed_dates.status_code == 422
    assert "must start before it ends" in reversed_dates.json()["detail"]

    # Between the years the scheduler leaves the circle alone, and so does /checkin.
    clock.set(datetime(2027, 7, 12, 17, 0, tzinfo=UTC))
    assert (await checkin_sweep(sessions, clock)).opened == 0
    assert await ama.send("/checkin") == [
        "Your circle is between two school years: check-ins begin again when the next year starts."
    ]

    # The next year opens on the command line: Ama and Grace continue, Kofi does not.
    opened = await cli(
        OPENING,
        "year", "open", "--circle", "Accra 1", "--label", "2027–28",
        "--start", "2027-09-01", "--end", "2028-07-14", "--keep", f"{ama_id},{grace_id}",
        "--day", "wed", "--time", "15:00", "--holiday", "2027-12-20:2028-01-07",
        "--invite", "teacher:5",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    assert "Opened school year 2027–28" in opened.output
    assert "1 teacher(s) asked how to go on, 1 membership(s) ended." in opened.output
    assert "Invite code (teacher): " in opened.output
    twice = await cli(
        OPENING,
        "year", "open", "--circle", "Accra 1", "--label", "2028–29",
        "--start", "2028-09-01", "--end", "2029-07-14",
    )  # fmt: skip
    assert twice.exit_code == 2
    assert twice.output.strip().splitlines() == [
        "Error: This circle's school year is still open; close it first."
    ]
    async with sessions() as session:
        members = set(
            await session.scalars(
                select(Membership.person_id).where(Membership.circle_id == circle)
            )
        )
        row = await session.get_one(Circle, circle)
        holidays = list(await session.scalars(select(Holiday.starts_on)))
    assert members == {ama_id, grace_id}
    assert (row.checkin_weekday, row.checkin_time.hour) == (2, 15)
    assert holidays == [date(2027, 12, 20)]

    # Ama is asked in the bot; she starts a new inquiry, and the button works once.
    clock.set(OPENING)
    await sender.drain()
    question = ama.last_with_buttons()
    assert question["text"].startswith("A new school year, 2027–28, begins in your circle.")
    assert ama.labels(question) == ["Continue my journey", "Start a new inquiry"]
    data = ama.button_data("Start a new inquiry", question)
    other = ama.button_data("Continue my journey", question)
    texts = await ama.tap("Start a new inquiry", question)
    assert texts and texts[-1]  # identify's first question
    await ama.tap_data(question, data)
    assert ama.last_notice() == "This question is already closed."
    await ama.tap_data(question, other)
    assert ama.last_notice() == "This question is already closed."
    async with sessions() as session:
        phases = list(
            await session.scalars(
                select(Inquiry.phase).where(Inquiry.person_id == ama_id).order_by(Inquiry.id)
            )
        )
        choice = await session.scalar(
            select(SchoolYearMember.choice).where(SchoolYearMember.person_id == ama_id)
            .order_by(SchoolYearMember.id.desc()).limit(1)
        )  # fmt: skip
    assert phases == [Phase.done, Phase.identify]  # the pilot is set aside, a new one begins
    assert choice is YearChoice.new_inquiry

    # Nothing before the new year begins; then the new calendar, Ama only.
    clock.set(datetime(2027, 8, 23, 17, 0, tzinfo=UTC))
    assert (await checkin_sweep(sessions, clock)).opened == 0
    clock.set(NEW_YEAR_OPENS + timedelta(hours=1))
    sweep = await checkin_sweep(sessions, clock)
    assert (sweep.opened, sweep.missed) == (1, 0)
    async with sessions() as session:
        newest = await session.scalar(select(CheckIn).order_by(CheckIn.id.desc()).limit(1))
    assert (newest.person_id, newest.scheduled_for) == (ama_id, NEW_YEAR_OPENS)

    # Last year stays readable by the same roles, as it was when it closed.
    first_id = first["id"]
    for role in ("facilitator", "coordinator", "union_rep"):
        read = await _get(api(role), f"/v1/circles/{circle}/years/{first_id}")
        assert read.status_code == 200, (role, read.text)
        assert read.json()["summary"]["weeks"] == year["summary"]["weeks"]
        assert ("members" in read.json()["summary"]) is (role != "union_rep")
    foreign = await _get(api("stranger"), f"/v1/circles/{circle}/years/{first_id}")
    assert foreign.status_code == 404
    summary = await _get(api("union_rep"), f"/v1/circles/{circle}/summary?year={first_id}")
    assert summary.status_code == 200, summary.text
    assert summary.json()["week"] == "2027-W27"
    outside = await _get(
        api("facilitator"), f"/v1/circles/{circle}/summary?year={first_id}&week=2027-W40"
    )
    assert outside.status_code == 422
    export = await _get(
        api("facilitator"), f"/v1/exports/summaries?circle={circle}&year={first_id}"
    )
    assert export.status_code == 200, export.text
    assert "2026-W37" in export.text and "2027-W27" in export.text
    listed = await _get(api("union_rep"), f"/v1/circles/{circle}/years")
    assert [(y["label"], y["status"]) for y in listed.json()] == [
        ("2027–28", "open"),
        ("2026–27", "closed"),
    ]

    # Kofi, whose membership ended, erases himself: his line leaves last year's report,
    # the weekly numbers stay.
    await kofi.send("/forgetme")
    await kofi.tap("Yes, erase everything")
    async with sessions() as session:
        kept = await session.get_one(SchoolYear, first_id)
        left = await session.scalar(
            select(SchoolYearMember.id).where(SchoolYearMember.person_id == kofi_id)
        )
    assert kept.status is YearStatus.closed
    assert kofi_id not in {line["person_id"] for line in kept.snapshot["members"]}
    assert ama_id in {line["person_id"] for line in kept.snapshot["members"]}
    assert kept.snapshot["weeks"] == year["summary"]["weeks"]
    assert left is None


async def _next_year(sessions: SessionMaker, circle_id: int, now: datetime, keep=None):
    async with transaction(sessions) as session:
        circle = await session.get_one(Circle, circle_id)
        await year_flows.close(session, circle=circle, actor="test", now=now)
        return await year_flows.open_next(
            session,
            circle=circle,
            label="2027–28",
            starts_on=date(2027, 9, 1),
            ends_on=date(2028, 7, 14),
            actor="test",
            now=now,
            keep=keep,
        )


async def test_only_the_continuing_teacher_chooses_once_and_old_buttons_do_nothing(
    phone: Callable[..., Phone],
    accra: CircleSetup,
    ama: Phone,
    clock: FakeClock,
    sessions: SessionMaker,
    sender,
) -> None:
    kofi = phone("Kofi")
    await onboard(kofi, accra.codes[Role.teacher])
    async with sessions() as session:
        ama_id = (await on_telegram(session, ama.user.id)).id
    clock.set(CLOSING)
    await _next_year(sessions, accra.circle_id, clock.now(), keep=[ama_id])
    await sender.drain()
    question = ama.last_with_buttons()
    go_on = ama.button_data("Continue my journey", question)
    new = ama.button_data("Start a new inquiry", question)
    assert not [m for m in kofi.messages() if "A new school year" in (m.get("text") or "")]

    # Kofi, who does not continue, forges Ama's button: it does nothing.
    await kofi.tap_data(question, new)
    assert kofi.last_notice() == "This question is already closed."
    async with sessions() as session:
        chosen = list(await session.scalars(select(SchoolYearMember.choice)))
    assert YearChoice.new_inquiry not in chosen

    # Ama goes on with her journey; pressing again, or the other choice, does nothing.
    texts = await ama.tap("Continue my journey", question)
    assert texts[-1] == (
        "Good: your journey goes on where you left it. Your check-ins continue as before."
    )
    for data in (go_on, new):
        assert await ama.tap_data(question, data) == []
        assert ama.last_notice() == "This question is already closed."
    async with sessions() as session:
        phases = list(
            await session.scalars(select(Inquiry.phase).where(Inquiry.person_id == ama_id))
        )
    assert phases == [Phase.identify]  # her inquiry goes on

    # Once that year is closed too, its buttons stay closed.
    clock.set(CLOSING + timedelta(days=400))
    async with transaction(sessions) as session:
        await year_flows.close(
            session,
            circle=await session.get_one(Circle, accra.circle_id),
            actor="t",
            now=clock.now(),
        )
    await ama.tap_data(question, new)
    assert ama.last_notice() == "This question is already closed."


async def test_no_digest_goes_to_a_circle_between_two_years(
    phone: Callable[..., Phone], accra: CircleSetup, ama: Phone, clock: FakeClock, sessions
) -> None:
    await onboard_facilitator(phone, accra)
    clock.set(datetime(2026, 9, 14, 8, 0, tzinfo=UTC))  # a Monday morning in Accra
    assert await digest_sweep(sessions, clock) == 1
    async with transaction(sessions) as session:
        await year_flows.close(
            session,
            circle=await session.get_one(Circle, accra.circle_id),
            actor="t",
            now=clock.now(),
        )
    clock.set(datetime(2026, 9, 21, 8, 0, tzinfo=UTC))
    assert await digest_sweep(sessions, clock) == 0


async def test_a_meeting_left_from_a_closed_year_is_not_announced_until_the_next_begins(
    phone: Callable[..., Phone],
    accra: CircleSetup,
    ama: Phone,
    clock: FakeClock,
    sessions,
    sender,
    fake,
) -> None:
    await onboard_facilitator(phone, accra)
    starts = datetime(2026, 9, 24, 16, 30, tzinfo=UTC)
    async with transaction(sessions) as session:
        circle = await session.get_one(Circle, accra.circle_id)
        await meetings.schedule_meeting(
            session,
            circle=circle,
            starts_at=starts,
            place=None,
            agenda=None,
            created_by=None,
            now=clock.now(),
        )
        await year_flows.close(session, circle=circle, actor="t", now=clock.now())
    await sender.drain()
    before = len(fake.texts_to(ama.chat_id))
    for when in (starts - timedelta(hours=24), starts - timedelta(minutes=60)):
        clock.set(when)
        await meeting_sweep(sessions, clock)
    await sender.drain()
    assert [t for t in fake.texts_to(ama.chat_id)[before:] if t.startswith("Reminder")] == []
