"""Check-ins and their answers, filtered by week, status, phase and member."""

from __future__ import annotations

from support.world import LAST_WEEK, World


async def test_the_missed_check_ins_of_a_week(world: World, as_role) -> None:
    client = as_role("facilitator_a")
    url = f"/v1/circles/{world.a.circle}/checkins"
    week = (await client.get(url, params={"week": LAST_WEEK, "limit": 100})).json()["items"]
    assert len(week) == 10 and {c["week"] for c in week} == {LAST_WEEK}
    missed = (await client.get(url, params={"week": LAST_WEEK, "status": "missed"})).json()
    assert sorted(c["person_name"] for c in missed["items"]) == ["Efua Boateng", "Giulia Rossi"]
    assert all(c["answers"] == [] for c in missed["items"])
    ana = (await client.get(url, params={"member": world.author_a, "phase": "pilot"})).json()
    assert {c["person_id"] for c in ana["items"]} == {world.author_a}
    assert [c["scheduled_for"] for c in ana["items"]] == sorted(
        (c["scheduled_for"] for c in ana["items"]), reverse=True
    )


async def test_a_voice_note_is_shown_as_audio_with_its_length(world: World, as_role) -> None:
    response = await as_role("facilitator_a").get(
        f"/v1/circles/{world.a.circle}/checkins/{world.a.checkin}"
    )
    answers = {a["question"]: a for a in response.json()["answers"]}
    assert answers["help"]["kind"] == "voice" and answers["help"]["duration_seconds"] == 12
    assert answers["help"]["has_file"] is True
    assert answers["evidence"]["text"] == "Photo of two exit tickets"
    assert "voice-1" not in response.text and "photo-2" not in response.text  # no file ids


async def test_weeks_that_do_not_exist_are_422(world: World, as_role) -> None:
    client = as_role("facilitator_a")
    url = f"/v1/circles/{world.a.circle}/checkins"
    no_week = await client.get(url, params={"week": "2026-W60"})
    assert no_week.status_code == 422
    assert no_week.json()["detail"] == "The year 2026 has no week 60."
    assert (await client.get(url, params={"week": "2026-37"})).status_code == 422
    assert (await client.get(url, params={"status": "lost"})).status_code == 422
