"""A weekly wave is planned a batch of circles at a time: a wave stopped midway keeps what
it committed, and the next sweep finishes exactly the rest."""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import signal
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta

import pytest
from conftest import ON_POSTGRES
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from support.people import add_person
from support.places import add_circle

from bot.flows import invitations, prompts, queued
from bot.flows.definition import library
from bot.flows.events import Invitation
from circles.clock import FakeClock
from circles.db import SessionMaker, create_engine, create_sessionmaker, transaction
from circles.models import CheckIn, Consent, Membership, Outbox, Phase, Role
from circles.services import scheduling
from scheduler import jobs
from scheduler.jobs import checkin_sweep, open_wave

OPENS = datetime(2026, 9, 7, 16, 0, tzinfo=UTC)  # Monday 16:00 in Accra (UTC+0)
CIRCLES, TEACHERS = 7, 3


async def _circles_of_teachers(sessions: SessionMaker) -> dict[int, set[str]]:
    """Seven circles in Ghana of three consenting teachers on Telegram, who joined last
    Friday; their addresses by circle."""
    joined = OPENS - timedelta(days=3)
    addresses: dict[int, set[str]] = {}
    async with transaction(sessions) as session:
        for n in range(CIRCLES):
            circle = await add_circle(session, f"Circle {n}", now=joined)
            addresses[circle.id] = set()
            for m in range(TEACHERS):
                user_id = 5000 + n * 10 + m
                person = await add_person(
                    session, telegram=user_id, consent=Consent.given, created_at=joined
                )
                session.add(
                    Membership(
                        person_id=person.id,
                        circle_id=circle.id,
                        role=Role.teacher,
                        joined_at=joined,
                    )
                )
                addresses[circle.id].add(str(user_id))
    return addresses


async def _planned(sessions: SessionMaker) -> tuple[list[CheckIn], list[Outbox]]:
    async with sessions() as session:
        checkins = list(await session.scalars(select(CheckIn)))
        invitations = list(await session.scalars(select(Outbox)))
    return checkins, invitations


def _each_teacher_invited_once(
    checkins: list[CheckIn], invitations: list[Outbox], addresses: dict[int, set[str]]
) -> None:
    """Every teacher has one check-in of this week and one invitation to it."""
    assert len(checkins) == len(invitations) == CIRCLES * TEACHERS
    assert len({(c.person_id, c.circle_id, c.scheduled_for) for c in checkins}) == len(checkins)
    assert {c.scheduled_for for c in checkins} == {OPENS}
    assert sorted(o.address for o in invitations) == sorted(set().union(*addresses.values()))
    assert {o.idempotency_key for o in invitations} == {f"checkin-{c.id}-open" for c in checkins}


def _whole_batches_only(
    checkins: list[CheckIn], invitations: list[Outbox], addresses: dict[int, set[str]]
) -> None:
    """A wave stopped midway: each circle (a batch of one or two) planned whole or not
    at all, and each check-in with its invitation."""
    by_circle = {c: sum(k.circle_id == c for k in checkins) for c in addresses}
    assert set(by_circle.values()) <= {0, TEACHERS}
    assert len(invitations) == len(checkins) < CIRCLES * TEACHERS


async def test_a_wave_killed_midway_is_finished_by_the_next_sweep_exactly_once(
    sessions: SessionMaker, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    addresses = await _circles_of_teachers(sessions)
    planner = prompts.open_checkins
    batches = []

    async def killed_in_third_batch(session, *, now, batch=None):
        batches.append(batch)
        wave = await planner(session, now=now, batch=batch)
        if len(batches) == 3:  # its rows are written, not committed: the process dies here
            raise RuntimeError("killed")
        return wave

    monkeypatch.setattr(prompts, "open_checkins", killed_in_third_batch)
    with pytest.raises(RuntimeError, match="killed"):
        await open_wave(sessions, now=OPENS, circles_per_batch=2, workers=1)
    checkins, invitations = await _planned(sessions)
    done = sorted(addresses)[:4]  # the two batches committed before the third died
    assert sorted({c.circle_id for c in checkins}) == done
    assert len(checkins) == len(invitations) == 4 * TEACHERS
    assert {o.address for o in invitations} == set().union(*(addresses[c] for c in done))

    monkeypatch.setattr(prompts, "open_checkins", planner)
    clock.set(OPENS + timedelta(minutes=1))
    sweep = await checkin_sweep(sessions, clock)
    assert (sweep.opened, sweep.missed) == ((CIRCLES - 4) * TEACHERS, 0)
    _each_teacher_invited_once(*await _planned(sessions), addresses)

    clock.set(OPENS + timedelta(minutes=2))
    assert (await checkin_sweep(sessions, clock)).opened == 0


@pytest.mark.parametrize("workers", [1, 3])
async def test_batches_cover_every_circle_once(sessions: SessionMaker, workers: int) -> None:
    addresses = await _circles_of_teachers(sessions)
    wave = await open_wave(sessions, now=OPENS, circles_per_batch=3, workers=workers)
    assert wave.opened == CIRCLES * TEACHERS
    checkins, invitations = await _planned(sessions)
    assert sorted({c.circle_id for c in checkins}) == sorted(addresses)
    assert len(checkins) == len(invitations) == CIRCLES * TEACHERS
    assert sorted(o.address for o in invitations) == sorted(set().union(*addresses.values()))
    assert {o.idempotency_key for o in invitations} == {f"checkin-{c.id}-open" for c in checkins}


@pytest.mark.skipif(
    not ON_POSTGRES, reason="SQLite writes one transaction at a time: one worker plans there"
)
async def test_a_wave_of_two_workers_killed_midway_leaves_whole_batches_and_is_finished(
    sessions: SessionMaker, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    addresses = await _circles_of_teachers(sessions)
    planner = prompts.open_checkins
    written = []

    async def killed_in_third_batch(session, *, now, batch=None):
        wave = await planner(session, now=now, batch=batch)
        written.append(batch)
        if len(written) == 3:  # the third batch written, not committed
            raise RuntimeError("killed")
        return wave

    monkeypatch.setattr(prompts, "open_checkins", killed_in_third_batch)
    with pytest.raises(RuntimeError, match="killed"):
        await open_wave(sessions, now=OPENS, circles_per_batch=2, workers=2)
    checkins, invitations = await _planned(sessions)
    _whole_batches_only(checkins, invitations, addresses)
    assert checkins  # what was planned before the third batch was committed

    monkeypatch.setattr(prompts, "open_checkins", planner)
    clock.set(OPENS + timedelta(minutes=1))
    await checkin_sweep(sessions, clock)
    _each_teacher_invited_once(*await _planned(sessions), addresses)


@pytest.mark.parametrize("phase", list(prompts.PHASE_FLOWS))
@pytest.mark.parametrize("checkin_id", [1, 42, 2_147_483_647])
def test_a_queued_invitation_reads_back_as_the_one_built_for_its_checkin(
    phase: Phase, checkin_id: int
) -> None:
    payload = json.loads(prompts._invitation_json(phase, checkin_id, None, None))
    assert payload == queued.payload(Invitation(prompts.PHASE_FLOWS[phase], checkin_id))
    flow = library().latest(prompts.PHASE_FLOWS[phase])
    built = invitations.invitation(flow, checkin_id)
    assert queued.shown(payload, "fr") == queued.shown(queued.payload(built), "fr")
    assert len(json.dumps(payload)) < 80  # what it is made of, not its text and buttons


@settings(max_examples=60, deadline=None)
@given(
    practice=st.text(min_size=1, max_size=400),
    plan=st.one_of(st.none(), st.text(min_size=1, max_size=700)),
    checkin_id=st.integers(min_value=1, max_value=2**31 - 1),
)
def test_a_queued_pilot_invitation_names_the_teachers_own_words(
    practice: str, plan: str | None, checkin_id: int
) -> None:
    """Whatever a teacher wrote (quotes, braces, line breaks, an essay), the queued
    invitation shows what the one built for it shows, and keeps no more of it."""
    encoded = prompts._invitation_json(Phase.pilot, checkin_id, practice, plan)
    built = invitations.invitation(
        library().latest("pilot"), checkin_id, practice=practice, plan=plan
    )
    payload = json.loads(encoded)
    assert payload == queued.payload(
        Invitation(
            "pilot",
            checkin_id,
            invitations.practice_shown(practice),
            plan and invitations.plan_shown(plan),
        )
    )  # the JSON written by hand is the event's, however the teacher's words need escaping
    shown = queued.shown(payload, "en")
    assert shown == queued.shown(queued.payload(built), "en")
    assert len(encoded) < 80 + 6 * (80 + 300)  # the practice and plan as shown, escaped


def test_an_invitation_whose_flow_is_gone_does_not_read() -> None:
    payload = queued.payload(Invitation("retired-flow", 7))
    with pytest.raises(ValueError, match="flow is gone"):
        queued.shown(payload, "en")


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite plans in one process, one writer at a time")
async def test_a_big_wave_is_planned_by_several_processes_each_check_in_once(
    sessions: SessionMaker,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    addresses = await _circles_of_teachers(sessions)
    caplog.set_level(logging.DEBUG)

    async def out_of_order(session, *, now, batch=None):
        raise AssertionError("planned in the scheduler's process")

    # Spawned processes import the planner afresh: only they can plan this wave.
    monkeypatch.setattr(prompts, "open_checkins", out_of_order)
    wave = await open_wave(sessions, now=OPENS, circles_per_batch=1, processes=3)
    assert (wave.opened, wave.missed) == (CIRCLES * TEACHERS, 0)
    _each_teacher_invited_once(*await _planned(sessions), addresses)
    # What the processes logged is in the scheduler's log: each batch's line, once.
    from_processes = [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.flows.prompts" and r.process != os.getpid()
    ]
    assert from_processes == [f"opened {TEACHERS} check-ins, recorded 0 missed"] * CIRCLES

    clock.set(OPENS + timedelta(minutes=1))  # and the next sweep finds nothing left to do
    assert await open_wave(sessions, now=clock.now(), circles_per_batch=1, processes=3) == (
        prompts.Wave()
    )


async def test_a_wave_too_small_for_its_processes_is_planned_in_the_schedulers_own(
    sessions: SessionMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _circles_of_teachers(sessions)
    planner, planned_here = prompts.open_checkins, []

    async def counted(session, *, now, batch=None):
        planned_here.append(batch)
        return await planner(session, now=now, batch=batch)

    monkeypatch.setattr(prompts, "open_checkins", counted)
    # Seven batches are fewer than two for each of four processes: not worth starting them.
    wave = await open_wave(sessions, now=OPENS, circles_per_batch=1, processes=4)
    assert wave.opened == CIRCLES * TEACHERS and len(planned_here) == CIRCLES


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite plans in one process, one writer at a time")
async def test_a_planning_process_killed_leaves_whole_batches_and_the_next_sweep_the_rest(
    sessions: SessionMaker, clock: FakeClock
) -> None:
    addresses = await _circles_of_teachers(sessions)
    wave = asyncio.create_task(open_wave(sessions, now=OPENS, circles_per_batch=1, processes=2))
    # Nothing signals a process's start: look until one is there (not a wait for time).
    while not (started := multiprocessing.active_children()):  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    os.kill(started[0].pid, signal.SIGKILL)  # before it could have planned anything
    with pytest.raises(BrokenProcessPool):
        await wave
    checkins, invitations = await _planned(sessions)
    _whole_batches_only(checkins, invitations, addresses)

    clock.set(OPENS + timedelta(minutes=1))
    sweep = await checkin_sweep(sessions, clock)
    assert sweep.opened == CIRCLES * TEACHERS - len(checkins)
    _each_teacher_invited_once(*await _planned(sessions), addresses)


class _StopsAfter:
    """A wave's stop signal that is set once ``begun`` batches were begun."""

    def __init__(self, begun: int) -> None:
        self.left = begun

    def is_set(self) -> bool:
        self.left -= 1
        return self.left < 0


@pytest.mark.parametrize("begun", [0, 1, 3])
def test_a_planning_process_begins_no_batch_once_its_wave_is_stopped(
    database_url: str, monkeypatch: pytest.MonkeyPatch, begun: int
) -> None:
    """What a planning process does (run here, in this process): its share's batches one
    after another, until the wave's stop signal is set (the scheduler stopping, another
    planning process failing); then it ends with what it committed."""

    async def circles_in_batches_of_one() -> list[scheduling.CircleBatch]:
        engine = create_engine(database_url)
        try:
            sessions = create_sessionmaker(engine)
            await _circles_of_teachers(sessions)
            async with sessions() as session:
                return await scheduling.circle_batches(session, size=1, now=OPENS)
        finally:
            await engine.dispose()

    async def planned_circles() -> set[int]:
        engine = create_engine(database_url)
        try:
            checkins, invitations = await _planned(create_sessionmaker(engine))
        finally:
            await engine.dispose()
        assert len(invitations) == len(checkins)
        return {c.circle_id for c in checkins}

    batches = asyncio.run(circles_in_batches_of_one())
    monkeypatch.setattr(jobs, "_stop", _StopsAfter(begun))
    assert jobs._plan_share(database_url, OPENS, batches, 1) == (begun * TEACHERS, 0)
    assert asyncio.run(planned_circles()) == {b.ids[0] for b in batches[:begun]}
