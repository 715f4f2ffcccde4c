"""Facilitators schedule, move and cancel their circle's meetings on the dashboard and
through the API, as /meeting and /meetings do in the bot: members are told each time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from support.web import csrf_of, sign_in
from support.world import World

from circles.db import SessionMaker, transaction
from circles.models import Meeting, MeetingStatus, Outbox, Rsvp
from circles.services import meetings


async def _told(sessions: SessionMaker, meeting_id: int, kind: str) -> int:
    async with sessions() as session:
        return await session.scalar(
            select(func.count())
            .select_from(Outbox)
            .where(Outbox.idempotency_key.like(f"meeting-{meeting_id}-{kind}-%"))
        )


async def _meeting(sessions: SessionMaker, meeting_id: int) -> Meeting:
    async with sessions() as session:
        return await session.get_one(Meeting, meeting_id)


async def _future_meeting(sessions: SessionMaker, world: World, clock) -> int:
    """World A's meeting, moved to next week (it may already be over at the world's time)."""
    async with transaction(sessions) as session:
        meeting = await session.get_one(Meeting, world.a.meeting)
        length = meeting.ends_at - meeting.starts_at
        meeting.starts_at = clock.now() + timedelta(days=7)
        meeting.ends_at = meeting.starts_at + length
    return world.a.meeting


async def _page(world: World, api, role: str = "facilitator_a"):
    client = api()
    await sign_in(client, world.secrets[role])
    page = await client.get(f"/dashboard/circles/{world.a.circle}")
    return client, page


async def test_a_facilitator_schedules_a_meeting_and_every_member_is_invited(
    world: World, api, sessions: SessionMaker
) -> None:
    client, page = await _page(world, api)
    assert "Schedule a meeting" in page.text
    url = f"/dashboard/circles/{world.a.circle}/meetings"
    form = {"day": "2026-09-10", "at": "18:30", "place": "Escola Municipal, sala 4"}
    assert (await client.post(url, data={**form, "csrf": "forged"})).status_code == 403
    done = await client.post(url, data={**form, "csrf": csrf_of(page.text)})
    assert done.status_code == 303
    assert done.headers["location"].endswith("?done=meeting-scheduled#meetings")
    shown = await client.get(done.headers["location"])
    assert "The meeting is scheduled; every member is invited in the bot." in shown.text
    # 18:30 in São Paulo, shown in the circle's timezone on the page.
    assert "Thu, Sep 10, 2026, 6:30\u202fPM · Escola Municipal, sala 4" in shown.text
    async with sessions() as session:
        meeting = await session.scalar(select(Meeting).order_by(Meeting.id.desc()))
        reachable = len(
            await meetings.members_to_tell(
                session, circle_id=world.a.circle, now=meeting.created_at
            )
        )
    assert meeting.starts_at.replace(tzinfo=UTC) == datetime(2026, 9, 10, 21, 30, tzinfo=UTC)
    assert reachable > 0 and await _told(sessions, meeting.id, "new") == reachable


async def test_moving_asks_again_and_cancelling_tells_everyone(
    world: World, api, sessions: SessionMaker, clock
) -> None:
    meeting_id = await _future_meeting(sessions, world, clock)
    client, page = await _page(world, api)
    csrf = csrf_of(page.text)
    assert f'action="/dashboard/circles/{world.a.circle}/meetings/{meeting_id}/move"' in page.text
    base = f"/dashboard/circles/{world.a.circle}/meetings/{meeting_id}"

    late = await client.post(
        f"{base}/move", data={"day": "2026-09-20", "at": "25:00", "csrf": csrf}
    )
    assert late.status_code == 422 and "hours and minutes" in late.text
    moved = await client.post(
        f"{base}/move", data={"day": "2026-09-20", "at": "09:15", "csrf": csrf}
    )
    assert moved.headers["location"].endswith("?done=meeting-moved#meetings")
    after = await _meeting(sessions, meeting_id)
    assert after.starts_at.replace(tzinfo=UTC) == datetime(2026, 9, 20, 12, 15, tzinfo=UTC)
    async with sessions() as session:
        rsvps = await session.scalar(
            select(func.count()).select_from(Rsvp).where(Rsvp.meeting_id == meeting_id)
        )
    assert rsvps == 0  # everyone is asked again
    assert await _told(sessions, meeting_id, "moved") > 0

    cancelled = await client.post(f"{base}/cancel", data={"csrf": csrf})
    assert cancelled.headers["location"].endswith("?done=meeting-cancelled#meetings")
    assert (await _meeting(sessions, meeting_id)).status is MeetingStatus.cancelled
    assert await _told(sessions, meeting_id, "cancelled") == await _told(
        sessions, meeting_id, "moved"
    )
    page = await client.get(cancelled.headers["location"])
    assert "The meeting is cancelled; every member is told." in page.text
    assert f"/meetings/{meeting_id}/move" not in page.text
    again = await client.post(f"{base}/cancel", data={"csrf": csrf})
    assert again.status_code == 409 and "cancelled" in again.text


async def test_no_one_changes_a_meeting_of_another_circle_or_one_that_began(
    world: World, api, sessions: SessionMaker, clock
) -> None:
    client, page = await _page(world, api)
    csrf = csrf_of(page.text)
    theirs = await client.post(
        f"/dashboard/circles/{world.a.circle}/meetings/{world.b.meeting}/cancel",
        data={"csrf": csrf},
    )
    missing = await client.post(
        f"/dashboard/circles/{world.a.circle}/meetings/987654/cancel", data={"csrf": csrf}
    )
    assert theirs.status_code == missing.status_code == 404
    assert (await _meeting(sessions, world.b.meeting)).status is MeetingStatus.scheduled

    async with transaction(sessions) as session:
        began = await session.get_one(Meeting, world.a.meeting)
        began.starts_at = clock.now() - timedelta(minutes=5)
        began.ends_at = clock.now() + timedelta(hours=1)
    late = await client.post(
        f"/dashboard/circles/{world.a.circle}/meetings/{world.a.meeting}/cancel",
        data={"csrf": csrf},
    )
    assert late.status_code == 409 and "has begun" in late.text

    rep, rep_page = await _page(world, api, "union_rep_a")
    assert "Schedule a meeting" not in rep_page.text
    refused = await rep.post(
        f"/dashboard/circles/{world.a.circle}/meetings",
        data={"day": "2026-09-10", "at": "18:30", "csrf": csrf_of(rep_page.text)},
    )
    assert refused.status_code == 403


async def test_the_api_moves_and_cancels_a_meeting(
    world: World, as_role, sessions: SessionMaker, clock
) -> None:
    meeting_id = await _future_meeting(sessions, world, clock)
    client = as_role("facilitator_a")
    url = f"/v1/circles/{world.a.circle}/meetings/{meeting_id}"
    moved = await client.patch(url, json={"date": "2026-09-20", "time": "09:15"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["starts_at"].startswith("2026-09-20T12:15")
    assert moved.json()["rsvps"] == {"yes": 0, "no": 0, "maybe": 0}
    past = await client.patch(url, json={"date": "2026-01-01", "time": "09:15"})
    assert past.status_code == 422
    cancelled = await client.post(f"{url}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await client.post(f"{url}/cancel")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert await _told(sessions, meeting_id, "cancelled") > 0
