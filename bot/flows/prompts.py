"""What the scheduler says: weekly check-in invitations, nudges, and closing the week.

An invitation *is* the first question of the flow that fits the teacher's phase, with
buttons ``o:<check-in id>:<value>`` (or no buttons for a text question). The flow run
itself starts only when the teacher answers, so a wave of 100,000 invitations is a few
bulk inserts, not 100,000 conversations. Invitations and nudges are queued as events,
rendered in each teacher's language when they are sent; an invitation is queued as what
it is made of (:class:`bot.flows.events.Invitation`) and built when it is sent
(:mod:`bot.flows.invitations`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import queued
from bot.flows.buttons import OpenCheckIn
from bot.flows.events import Button, Say
from bot.flows.invitations import OPEN_BUTTON, plan_shown, practice_shown
from circles.db import JsonText, bulk_insert
from circles.i18n import N_
from circles.models import (
    Channel,
    CheckIn,
    CheckInStatus,
    Circle,
    Holiday,
    Outbox,
    OutboxPriority,
    OutboxState,
    Phase,
)
from circles.services import journeys, scheduling, waves
from circles.services.outbox import EVENTS
from circles.services.people import addresses_of
from circles.services.schedule import (
    CHECKIN_WINDOW,
    in_holidays,
    latest_occurrence,
    next_occurrence,
    previous_occurrence,
    sendable_from,
)
from circles.text import t

log = logging.getLogger(__name__)

PHASE_FLOWS = {Phase.identify: "identify", Phase.pilot: "pilot", Phase.codify: "codify"}
#: Rows inserted per statement in a wave.
BATCH = 2000
_HOUR = timedelta(hours=1)

_NUDGE = N_("Your check-in for this week is still open. It takes about five minutes.")


@dataclass(frozen=True)
class Wave:
    """What one sweep of openings did."""

    opened: int = 0
    missed: int = 0


async def open_checkins(
    session: AsyncSession, *, now: datetime, batch: scheduling.CircleBatch | None = None
) -> Wave:
    """Open every check-in (of ``batch``'s circles, or of all) that is due and not yet
    opened; record missed ones.

    Derived from the database alone, so it is safe to run again at any time and after
    any restart: an occurrence that already has a row is left alone (the unique
    constraint makes a race between two processes fail rather than double up). An
    occurrence whose window passed while nobody ran this sweep is recorded as missed.
    Work per member is a few dictionary look-ups: occurrences, quiet hours and holidays
    are computed once per circle and timezone, and an invitation is queued as what it is
    made of, rendered only when it is sent. The
    scheduler plans a wave one batch of circles at a time, each in its own transaction
    (``scheduler.jobs.open_wave``), so a wave interrupted midway is finished by the next
    sweep from where it stopped.
    """
    await session.flush()  # the per-member reads below are Core: they do not autoflush
    members = await scheduling.due_teachers(session, now=now, batch=batch)
    circles = await scheduling.all_circles(session, batch=batch)
    holidays = await scheduling.holidays_by_circle(session, batch=batch)
    meetings = await scheduling.meetings_by_circle(session, now=now, batch=batch)
    year_starts = await scheduling.year_starts(session, batch=batch)
    slots: dict[tuple[int, str], _Slot] = {}
    for member in members:
        slot_key = (member.circle_id, member.timezone)
        if slot_key not in slots:
            slots[slot_key] = _slot(
                circles[member.circle_id],
                member.timezone,
                now,
                meetings[member.circle_id],
                holidays[member.circle_id],
                year_starts.get(member.circle_id),
            )
    # Only the occurrences due now are looked up: not the weeks of history before them.
    existing = await scheduling.existing_checkins(
        session, at={when for slot in slots.values() for when in slot.due}, batch=batch
    )
    phases = await scheduling.current_phases(session, batch=batch)
    opened: list[tuple[dict, scheduling.Member]] = []
    missed: list[dict] = []
    opened_total = 0
    for member in members:
        circle_id = member.circle_id
        slot = slots[(circle_id, member.timezone)]
        inquiry_id, phase = phases.get(member.person_id, (None, Phase.identify))
        for when in slot.due:
            if when < member.joined_at or (member.person_id, circle_id, when) in existing:
                continue
            row = {
                "person_id": member.person_id,
                "circle_id": circle_id,
                "inquiry_id": inquiry_id,
                "phase": phase,
                "scheduled_for": when,
                "closes_at": when + CHECKIN_WINDOW,
                "nudges_sent": 0,
            }
            if now < when + CHECKIN_WINDOW:
                row |= {
                    "status": CheckInStatus.open,
                    "opened_at": now,
                    "next_nudge_at": slot.first_nudge,
                }
                opened.append((row, member))
            else:
                missed.append(row | {"status": CheckInStatus.missed})
        if len(opened) >= BATCH:
            await _open_batch(session, opened, slots, now)
            opened_total += len(opened)
            opened = []
    if opened:
        await _open_batch(session, opened, slots, now)
        opened_total += len(opened)
    await bulk_insert(session, CheckIn.__table__, missed)
    if opened_total or missed:
        log.debug("opened %d check-ins, recorded %d missed", opened_total, len(missed))
    await _mark_planned(session, now, circles, members, meetings, year_starts, batch)
    return Wave(opened=opened_total, missed=len(missed))


@dataclass(frozen=True, slots=True)
class _Slot:
    """What a circle's members in one timezone have in common in a sweep."""

    #: The occurrences due (the latest and the one before; not in a holiday, not before
    #: the open school year began).
    due: tuple[datetime, ...]
    #: When their invitations may be sent (after the circle's quiet hours).
    quiet: datetime
    #: When a check-in opened now gets its first nudge.
    first_nudge: datetime


def _slot(
    circle: Circle,
    timezone: str,
    now: datetime,
    meetings: list[datetime],
    holidays: list[Holiday],
    year_start: datetime | None,
) -> _Slot:
    latest = latest_occurrence(circle, timezone, now, meetings)
    earlier = previous_occurrence(circle, timezone, latest)
    due = tuple(
        when
        for when in (earlier, latest)
        if not in_holidays(holidays, when, circle.timezone)
        and (year_start is None or when >= year_start)
    )
    return _Slot(
        due,
        sendable_from(now, timezone, circle.quiet_from, circle.quiet_until),
        now + circle.first_nudge_hours * _HOUR,
    )


async def _mark_planned(
    session: AsyncSession,
    now: datetime,
    circles: dict,
    members: list[scheduling.Member],
    meetings: dict[int, list[datetime]],
    year_starts: dict[int, datetime],
    batch: scheduling.CircleBatch | None,
) -> None:
    """Record, for every circle just planned, when the planner next needs to look at it:
    the next opening in any of its members' timezones (and its own), a pause ending, an
    open school year beginning (:mod:`circles.services.waves`)."""
    zones: dict[int, set[str]] = {circle_id: {c.timezone} for circle_id, c in circles.items()}
    for member in members:
        zones[member.circle_id].add(member.timezone)
    pauses = await scheduling.pauses_ending(session, now=now, batch=batch)
    marks = {}
    for circle_id, circle in circles.items():
        upcoming = [
            next_occurrence(circle, zone, now, meetings[circle_id]) for zone in zones[circle_id]
        ]
        upcoming += [when for when in (pauses.get(circle_id), year_starts.get(circle_id)) if when]
        marks[circle_id] = waves.replan_at(circle_id, now, upcoming)
    await waves.mark(session, marks)


async def _open_batch(
    session: AsyncSession,
    opened: list[tuple[dict, scheduling.Member]],
    slots: dict,
    now: datetime,
) -> None:
    """Insert one batch of open check-ins, their ids back in order, and queue their
    invitations (:func:`circles.db.bulk_insert`: ``COPY`` on PostgreSQL)."""
    ids = await bulk_insert(
        session,
        CheckIn.__table__,
        [row for row, _member in opened],
        ids_by=("person_id", "circle_id", "scheduled_for"),
    )
    piloting = [row["inquiry_id"] for row, _m in opened if row["phase"] is Phase.pilot]
    recalls = await journeys.pilot_recalls(session, inquiry_ids=[i for i in piloting if i])
    outbox = []
    for (row, member), checkin_id in zip(opened, ids, strict=True):
        phase = row["phase"]
        practice = plan = None
        if phase is Phase.pilot and (recall := recalls.get(row["inquiry_id"])) is not None:
            practice, plan = recall  # each week builds on the last: this teacher's own words
        quiet = slots[(member.circle_id, member.timezone)].quiet
        outbox.append(
            _outbox_row(
                (member.channel, member.address),
                _invitation_json(phase, checkin_id, practice, plan),
                f"checkin-{checkin_id}-open",
                quiet,
                now,
            )
        )
    await bulk_insert(session, Outbox.__table__, outbox)


async def nudge_checkins(session: AsyncSession, *, now: datetime) -> int:
    """Send the first and second reminder for check-ins still unanswered.

    A reminder that falls on a holiday of the circle waits: it goes when the holiday is
    over, if the check-in is still open then.
    """
    due = await scheduling.checkins_to_nudge(session, now=now)
    if due:
        holidays = await scheduling.holidays_by_circle(session)
        due = [
            (checkin, person, circle)
            for checkin, person, circle in due
            if not in_holidays(holidays[circle.id], now, circle.timezone)
        ]
    send_to = await addresses_of(session, person_ids=[person.id for _c, person, _ci in due])
    rows = []
    for checkin, person, circle in due:
        checkin.nudges_sent += 1
        checkin.next_nudge_at = (
            (checkin.opened_at or now) + circle.second_nudge_hours * _HOUR
            if checkin.nudges_sent == 1
            else None
        )
        button = Button(t(OPEN_BUTTON), OpenCheckIn(checkin.id))
        rows.append(
            _outbox_row(
                send_to[person.id],
                queued.payload(Say(t(_NUDGE), ((button,),))),
                f"checkin-{checkin.id}-nudge-{checkin.nudges_sent}",
                sendable_from(now, person.timezone, circle.quiet_from, circle.quiet_until),
                now,
            )
        )
    for chunk in _chunks(rows):
        await session.execute(insert(Outbox.__table__), chunk)
    return len(rows)


async def close_checkins(session: AsyncSession, *, now: datetime) -> int:
    """Close check-ins whose week is over as missed."""
    return await scheduling.close_overdue_checkins(session, now=now)


# --- helpers ---------------------------------------------------------------------------


def _invitation_json(
    phase: Phase, checkin_id: int, practice: str | None, plan: str | None
) -> JsonText:
    """The outbox payload of a check-in's invitation, encoded (what the message shows of
    the practice and plan is all it keeps of them).

    The JSON of :func:`bot.flows.queued.payload` of the :class:`~bot.flows.events.Invitation`,
    written directly: a wave writes a million of them, and ``json.dumps`` of the payload's
    nested dict and list was a fifth of the planner's time (``bench.million``). Only the
    teacher's words go through the JSON encoder's string escaping.
    """
    flow = PHASE_FLOWS.get(phase, "identify")
    shown = (
        _json_text(practice_shown(practice) if practice else None),
        _json_text(plan_shown(plan) if plan else None),
    )
    return JsonText(f"{_INVITATION_JSON[flow]}{checkin_id:d}, {shown[0]}, {shown[1]}]}}}}")


def _json_text(value: str | None) -> str:
    return "null" if value is None else _escape(value)


_escape = json.encoder.encode_basestring_ascii  # what json.dumps does to a str
#: Each flow's invitation payload up to its check-in id.
_INVITATION_JSON = {
    flow: f'{{"v": {EVENTS}, "event": {{"invite": [{json.dumps(flow)}, '
    for flow in PHASE_FLOWS.values()
}


def _outbox_row(
    to: tuple[Channel, str], payload: dict | JsonText, key: str, not_before: datetime, now: datetime
) -> dict:
    return {
        "channel": to[0],
        "address": to[1],
        "payload": payload,
        "priority": OutboxPriority.bulk,
        "idempotency_key": key,
        "state": OutboxState.pending,
        "attempts": 0,
        "not_before": not_before,
        "created_at": now,
    }


def _chunks(rows: list[dict]) -> list[list[dict]]:
    return [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]


__all__ = ["Wave", "close_checkins", "nudge_checkins", "open_checkins"]
