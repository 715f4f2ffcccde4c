"""``GET /v1/circles/{circle_id}/teachers/{person_id}``: one teacher's page, scoped."""

from __future__ import annotations

from sqlalchemy import select
from support.world import World

from circles.db import SessionMaker
from circles.models import Answer, CheckIn, Inquiry


async def test_facilitator_reads_a_teachers_whole_journey(
    world: World, as_role, sessions: SessionMaker
) -> None:
    async with sessions() as session:
        inquiry = await session.scalar(select(Inquiry).where(Inquiry.person_id == world.a.person))
        pilot_weeks = await session.scalar(
            select(CheckIn.id).where(CheckIn.person_id == world.a.person).limit(1)
        )
        challenge = await session.scalar(
            select(Answer.value_text).where(
                Answer.person_id == world.a.person, Answer.question_key == "challenge"
            )
        )
    assert inquiry is not None and pilot_weeks is not None and challenge

    response = await as_role("facilitator_a").get(
        f"/v1/circles/{world.a.circle}/teachers/{world.a.person}"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Ana Souza"
    (shown,) = body["inquiries"]
    assert shown["challenge"] == challenge
    assert shown["baseline"] == inquiry.baseline and shown["success"] == inquiry.success
    assert shown["practice"] == inquiry.practice
    assert len(shown["weeks"]) >= 6
    last = shown["weeks"][-1]
    assert last["checkin_id"] == world.a.checkin
    assert last["week"] == "2026-W35"
    assert last["tried"] in ("yes", "partly", "no")
    questions = {a["question"] for a in last["answers"]}
    assert {"evidence", "help"} <= questions
    photo = next(a for a in last["answers"] if a["question"] == "evidence")
    assert photo["kind"] == "photo" and photo["has_file"] is True
    assert "photo-2" not in response.text  # Telegram's file ids stay inside
    (practice,) = body["practices"]
    assert practice["practice"]["title"] == "Mini whiteboards for hinge questions"


async def test_a_teacher_who_keeps_reflections_to_herself_shows_none(world: World, as_role) -> None:
    ana, bruno = world.teachers_a[0], world.teachers_a[1]  # "only me" and "the facilitators"
    client = as_role("facilitator_a")

    private = (await client.get(f"/v1/circles/{world.a.circle}/teachers/{ana}")).json()
    shared = (await client.get(f"/v1/circles/{world.a.circle}/teachers/{bruno}")).json()
    by_coordinator = (
        await as_role("coordinator").get(f"/v1/circles/{world.a.circle}/teachers/{bruno}")
    ).json()

    assert private["reflections"] == []
    assert "private" not in str(private)
    assert [r["one_word"] for r in shared["reflections"]] == ["useful"]
    assert by_coordinator["reflections"] == []  # coordinators are not in the circle


async def test_coordinator_in_scope_reads_the_teacher(world: World, as_role) -> None:
    response = await as_role("coordinator").get(
        f"/v1/circles/{world.a.circle}/teachers/{world.a.person}"
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Ana Souza"


async def test_teachers_outside_the_scope_answer_like_missing_ones(world: World, as_role) -> None:
    missing = await as_role("facilitator_a").get(f"/v1/circles/{world.a.circle}/teachers/987654")
    assert missing.status_code == 404
    for role, circle, person in (
        ("facilitator_a", world.a.circle, world.b.person),  # my circle, their teacher
        ("facilitator_a", world.a.circle, world.facilitator_a),  # not a teacher
        ("facilitator_b", world.a.circle, world.a.person),  # their circle
        ("coordinator_gh", world.a.circle, world.a.person),  # another country
    ):
        response = await as_role(role).get(f"/v1/circles/{circle}/teachers/{person}")
        assert response.status_code == 404, role
        assert "Ana Souza" not in response.text and "Kofi" not in response.text
        if circle == world.a.circle and role == "facilitator_a":
            assert response.json() == missing.json()


async def test_union_representatives_read_no_teacher(world: World, as_role) -> None:
    response = await as_role("union_rep_a").get(
        f"/v1/circles/{world.a.circle}/teachers/{world.a.person}"
    )
    assert response.status_code == 403
    assert "Ana Souza" not in response.text
