"""The meeting pack: the circle since its last meeting on one printable page, for the
people who may read its teachers' names; and a day before, in the facilitators' chat."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from support.web import sign_in
from support.world import World

from circles.db import SessionMaker, transaction
from circles.models import Answer, CheckIn, Meeting, Person, Role
from circles.services import followups, media
from circles.services.access import scope_of_member
from circles.settings import Settings


async def _pack(client, world: World, meeting_id: int):
    return await client.get(f"/dashboard/circles/{world.a.circle}/meetings/{meeting_id}/pack")


def _section(page: str, name: str) -> str:
    start = page.index(f'id="{name}"')
    return page[start : page.index("</section>", start)]


async def _next_meeting(sessions: SessionMaker, world: World) -> int:
    """A meeting two weeks after the world's one, which is then the one before it."""
    async with transaction(sessions) as session:
        before = await session.get_one(Meeting, world.a.meeting)
        meeting = Meeting(
            circle_id=world.a.circle,
            starts_at=before.starts_at + timedelta(weeks=2),
            ends_at=before.ends_at + timedelta(weeks=2),
            created_at=before.created_at,
        )
        session.add(meeting)
        await session.flush()
        return meeting.id


async def test_the_pack_shows_who_tried_what_with_evidence_help_and_the_review_queue(
    world: World, api, sessions: SessionMaker
) -> None:
    client = api()
    await sign_in(client, world.secrets["facilitator_a"])
    circle_page = (await client.get(f"/dashboard/circles/{world.a.circle}")).text
    assert f"/meetings/{world.a.meeting}/pack" in circle_page or "No meeting is scheduled." in (
        circle_page
    )
    page = (await _pack(client, world, world.a.meeting)).text
    assert "There was no meeting before this one" in page

    async with sessions() as session:
        meeting = await session.get_one(Meeting, world.a.meeting)
        ana = await session.get_one(Person, world.author_a)
        since = meeting.starts_at - timedelta(weeks=4)
        tried = (
            await session.scalars(
                select(Answer.value_choice)
                .join(CheckIn, CheckIn.id == Answer.checkin_id)
                .where(
                    Answer.person_id == ana.id,
                    Answer.question_key == "tried",
                    CheckIn.scheduled_for >= since,
                    CheckIn.scheduled_for < meeting.starts_at,
                )
            )
        ).all()
    row = re.search(rf'<th scope="row">{re.escape(ana.display_name)}</th>(.*?)</tr>', page)
    assert row, ana.display_name
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    assert cells[1] == f"{sum(c in ('yes', 'partly') for c in tried)} of {len(tried)}"

    assert "📷 Photo of two exit tickets" in _section(page, "evidence")
    assert f"<strong>{ana.display_name}</strong>: (a voice note)" in _section(page, "help")
    assert "“Mini whiteboards for hinge questions” · Ana Souza" in _section(page, "awaiting")
    assert 'class="chart ratings"' in _section(page, "trend")


async def test_the_next_pack_holds_the_reflections_written_after_the_last_meeting(
    world: World, api, sessions: SessionMaker
) -> None:
    meeting_id = await _next_meeting(sessions, world)
    client = api()
    await sign_in(client, world.secrets["facilitator_a"])
    reflections = _section((await _pack(client, world, meeting_id)).text, "reflections")
    assert "useful" in reflections and "inspiring" in reflections
    assert "private" not in reflections  # its author kept it to themselves

    coordinator = api()
    await sign_in(coordinator, world.secrets["coordinator"])
    seen = _section((await _pack(coordinator, world, meeting_id)).text, "reflections")
    # Reflections are written for the circle and its facilitators, not for coordinators.
    assert "No reflection you may read was written in this period." in seen


async def test_only_those_who_may_read_names_open_a_pack(world: World, api) -> None:
    other = api()
    await sign_in(other, world.secrets["coordinator_gh"])
    theirs = await _pack(other, world, world.a.meeting)
    assert theirs.status_code == 404 and "Ana Souza" not in theirs.text
    facilitator = api()
    await sign_in(facilitator, world.secrets["facilitator_a"])
    wrong_circle = await facilitator.get(
        f"/dashboard/circles/{world.a.circle}/meetings/{world.b.meeting}/pack"
    )
    assert wrong_circle.status_code == 404
    rep = api()
    await sign_in(rep, world.secrets["union_rep_a"])
    refused = await _pack(rep, world, world.a.meeting)
    assert refused.status_code in (403, 404) and "Ana Souza" not in refused.text


async def test_a_help_request_marked_handled_leaves_the_pack(
    world: World, api, sessions: SessionMaker, clock
) -> None:
    client = api()
    await sign_in(client, world.secrets["facilitator_a"])
    assert "(a voice note)" in _section((await _pack(client, world, world.a.meeting)).text, "help")
    async with transaction(sessions) as session:
        (help_id,) = await session.scalars(
            select(Answer.id).where(Answer.question_key == "help", Answer.file_id == "voice-1")
        )
        await followups.mark_handled(
            session,
            scope=scope_of_member(world.facilitator_a, world.a.circle, Role.facilitator),
            circle_id=world.a.circle,
            answer_id=help_id,
            now=clock.now(),
        )
    help_asked = _section((await _pack(client, world, world.a.meeting)).text, "help")
    assert "(a voice note)" not in help_asked


async def test_a_kept_photo_of_student_work_shows_in_the_pack(
    world: World, api, sessions: SessionMaker, settings: Settings
) -> None:
    file_id = media.file_id_for("whatsapp:wamid.9", "image/png")
    media.save(settings.media_dir, file_id=file_id, content=b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    async with transaction(sessions) as session:
        answer = await session.scalar(select(Answer).where(Answer.file_id == "photo-2"))
        answer.file_id = file_id
    client = api()
    await sign_in(client, world.secrets["facilitator_a"])
    evidence = _section((await _pack(client, world, world.a.meeting)).text, "evidence")
    url = (
        f"/dashboard/circles/{world.a.circle}/teachers/{answer.person_id}/photos/"
        f"{file_id.removeprefix(media.PREFIX)}"
    )
    assert f'<img src="{url}" alt="Photo of two exit tickets">' in evidence
    shown = await client.get(url)
    assert shown.status_code == 200 and shown.content.startswith(b"\x89PNG")
