"""The teachers' questions to their circle: their facilitators read them, nobody else."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from support.web import sign_in
from support.world import World

from circles.db import SessionMaker, transaction
from circles.models import Circle, Person
from circles.services import peers


async def _ask(sessions: SessionMaker, world: World, clock) -> None:
    """Two questions in circle A (one anonymous, one answered and thanked), one in B."""
    now = clock.now()
    async with transaction(sessions) as session:
        a = await session.get_one(Circle, world.a.circle)
        b = await session.get_one(Circle, world.b.circle)
        ana, bia, caio = [await session.get_one(Person, i) for i in world.teachers_a[:3]]
        kofi = await session.get_one(Person, world.b.person)
        named, _ = await peers.ask_question(
            session, asker=ana, circle=a, text="How short can an exit ticket be?",
            anonymous=False, now=now - timedelta(hours=2),
        )  # fmt: skip
        await peers.ask_question(
            session, asker=bia, circle=a, text="Anyone tried peer marking?", anonymous=True,
            now=now - timedelta(hours=1),
        )  # fmt: skip
        answer = await peers.answer_question(
            session, question=named, answerer=caio, text="One question is enough.", now=now
        )
        peers.thank(answer, now=now)
        await peers.ask_question(
            session, asker=kofi, circle=b, text="Kofi asks about traffic lights", anonymous=False,
            now=now,
        )  # fmt: skip


async def test_facilitators_read_their_circles_questions_and_answers(
    world: World, as_role, sessions, clock
) -> None:
    await _ask(sessions, world, clock)
    response = await as_role("facilitator_a").get(f"/v1/circles/{world.a.circle}/questions")
    assert response.status_code == 200
    anonymous, named = response.json()["items"]
    assert (anonymous["text"], anonymous["anonymous"]) == ("Anyone tried peer marking?", True)
    assert anonymous["asker_id"] is None and anonymous["asker_name"] is None
    assert anonymous["answers"] == []
    async with sessions() as session:
        ana, caio = [
            await session.scalar(select(Person.display_name).where(Person.id == i))
            for i in (world.teachers_a[0], world.teachers_a[2])
        ]
    assert (named["asker_id"], named["asker_name"]) == (world.teachers_a[0], ana)
    assert named["sent_to"] == 0  # the seeded teachers have no app to be reached on
    [answer] = named["answers"]
    assert (answer["answerer_name"], answer["text"]) == (caio, "One question is enough.")
    assert answer["thanked_at"] is not None
    assert "Kofi" not in response.text

    first = await as_role("facilitator_a").get(
        f"/v1/circles/{world.a.circle}/questions", params={"limit": 1}
    )
    cursor = first.json()["next_cursor"]
    rest = await as_role("facilitator_a").get(
        f"/v1/circles/{world.a.circle}/questions", params={"cursor": cursor}
    )
    assert [q["text"] for q in rest.json()["items"]] == ["How short can an exit ticket be?"]


async def test_nobody_outside_the_circle_reads_its_questions(
    world: World, as_role, api, sessions, clock
) -> None:
    await _ask(sessions, world, clock)
    url = f"/v1/circles/{world.a.circle}/questions"
    assert (await as_role("facilitator_b").get(url)).status_code == 404
    assert (await as_role("coordinator_gh").get(url)).status_code == 404
    for role in ("admin", "coordinator", "union_rep_a"):
        refused = await as_role(role).get(url)
        assert refused.status_code == 403, role
        assert refused.headers["content-type"] == "application/problem+json"
        assert "peer marking" not in refused.text
    assert (await api().get(url)).status_code == 401
    bad = await as_role("facilitator_a").get(url, params={"cursor": "nonsense"})
    assert bad.status_code == 422
    assert (await as_role("facilitator_a").get(url, params={"limit": 0})).status_code == 422
    only = await as_role("admin").get(url)
    assert (
        only.json()["detail"] == "Only the facilitators of the circle read its teachers' questions."
    )


async def test_the_dashboard_shows_the_questions_to_the_circles_facilitators_only(
    world: World, api, sessions, clock
) -> None:
    await _ask(sessions, world, clock)
    facilitator = api()
    await sign_in(facilitator, world.secrets["facilitator_a"])
    page = await facilitator.get(f"/dashboard/circles/{world.a.circle}")
    assert page.status_code == 200
    assert 'id="questions"' in page.text
    assert "Anyone tried peer marking?" in page.text
    assert "One question is enough." in page.text
    assert "Without a name" in page.text
    assert "traffic lights" not in page.text
    assert (await facilitator.get(f"/dashboard/circles/{world.b.circle}")).status_code == 404
    for role in ("admin", "union_rep_a"):
        other = api()
        await sign_in(other, world.secrets[role])
        shown = await other.get(f"/dashboard/circles/{world.a.circle}")
        assert shown.status_code == 200
        assert "peer marking" not in shown.text and 'id="questions"' not in shown.text
