"""Coordinators schedule an exchange session on the dashboard and read its attendance per
circle and country; facilitators cannot."""

from __future__ import annotations

from sqlalchemy import func, select
from support.web import csrf_of, sign_in
from support.world import World

from circles.db import SessionMaker
from circles.models import Outbox, Person, RsvpResponse, TokenRole
from circles.services import exchange_sessions
from circles.services.access import Scope


async def test_a_coordinator_schedules_a_session_and_reads_its_attendance(
    world: World, api, sessions: SessionMaker, clock
) -> None:
    client = api()
    await sign_in(client, world.secrets["coordinator"])
    overview = await client.get("/dashboard")
    assert 'href="/dashboard/sessions"' in overview.text
    listing = await client.get("/dashboard/sessions")
    assert listing.status_code == 200
    assert "Exchange in GH" in listing.text and "GH national hub" in listing.text
    form = {
        "title": "Peer feedback, two countries",
        "day": "2026-09-10",
        "at": "16:00",
        "timezone": "Europe/Zurich",
        "minutes": "90",
        "place": "https://meet.example.org/peer",
        "hub": "",
        "countries": "gh, br",
        "csrf": csrf_of(listing.text),
    }
    assert (
        await client.post("/dashboard/sessions", data={**form, "csrf": "forged"})
    ).status_code == 403
    bad = await client.post("/dashboard/sessions", data={**form, "timezone": "Mars/Olympus"})
    assert bad.status_code == 422
    nul = await client.post("/dashboard/sessions", data={**form, "title": "Peer\x00feedback"})
    assert nul.status_code == 422
    assert "The title and the place cannot contain NUL characters." in nul.text
    done = await client.post("/dashboard/sessions", data=form)
    assert done.status_code == 303, done.text
    session_id = int(done.headers["location"].split("/")[-1].split("?")[0])
    async with sessions() as session:
        told = await session.scalar(
            select(func.count())
            .select_from(Outbox)
            .where(Outbox.idempotency_key.like(f"session-{session_id}-new-%"))
        )
        found = await exchange_sessions.get_session(
            session, scope=Scope("test", TokenRole.admin), session_id=session_id
        )
    assert told == 5  # the Telegram people of both circles
    assert found.starts_at.isoformat() == "2026-09-10T14:00:00+00:00"  # 16:00 in Zurich
    async with sessions() as session, session.begin():
        kofi = await session.get_one(Person, world.b.person)
        await exchange_sessions.answer_session(
            session, person=kofi, session_id=session_id, response=RsvpResponse.yes, now=clock.now()
        )
    shown = await client.get(done.headers["location"])
    assert "Attendance per circle" in shown.text
    row = shown.text[shown.text.index(">Kumasi 2<") :].split("</tr>")[0]
    assert "<td>1</td>" in row
    cancelled = await client.post(
        f"/dashboard/sessions/{session_id}/cancel", data={"csrf": csrf_of(shown.text)}
    )
    assert cancelled.status_code == 303
    assert "cancelled" in (await client.get(cancelled.headers["location"])).text


async def test_facilitators_have_no_sessions_page(world: World, api) -> None:
    client = api()
    await sign_in(client, world.secrets["facilitator_a"])
    assert (await client.get("/dashboard/sessions")).status_code == 403
    assert (await client.get(f"/dashboard/sessions/{world.a.session}")).status_code == 403
