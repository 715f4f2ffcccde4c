"""What the scheduler says: weekly check-in invitations, nudges, and closing the week.

An invitation *is* the first question of the flow that fits the teacher's phase, with
buttons ``o:<check-in id>:<value>`` (or no buttons for a text question). The flow run
itself starts only when the teacher answers, so a wave of 100,000 invitations is a few
bulk inserts, not 100,000 conversations.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import facilitator
from bot.flows.buttons import OpenCheckIn, decode, encode
from bot.flows.definition import AnswerType, Flow, library
from circles.i18n import N_, _, use_language
from circles.models import (
    Channel,
    CheckIn,
    CheckInStatus,
    Membership,
    Outbox,
    OutboxPriority,
    OutboxState,
    Person,
    Phase,
    Role,
)
from circles.services import scheduling
from circles.services.outbox import enqueue, message_payload
from circles.services.people import addresses_of
from circles.services.schedule import (
    CHECKIN_WINDOW,
    in_holidays,
    latest_occurrence,
    previous_occurrence,
    sendable_from,
)

log = logging.getLogger(__name__)

PHASE_FLOWS = {Phase.identify: "identify", Phase.pilot: "pilot", Phase.codify: "codify"}
#: Rows inserted per statement in a wave.
BATCH = 2000
_HOUR = timedelta(hours=1)

_NUDGE = N_("Your check-in for this week is still open. It takes about five minutes.")
_OPEN_BUTTON = N_("Open my check-in")


@dataclass(frozen=True)
class Wave:
    """What one sweep of openings did."""

    opened: int = 0
    missed: int = 0


def invitation(flow: Flow, language: str, checkin_id: int) -> dict:
    """The outbox payload that opens a check-in: intro and first question, in ``language``."""
    step = flow.steps[0]
    with use_language(language):
        text = (_(flow.intro) + "\n\n" if flow.intro else "") + _(step.prompt)
        if step.type is AnswerType.scale or step.type is AnswerType.yes_no:
            labels = {"yes": _("Yes"), "no": _("No")}
            buttons = [
                [(labels.get(v, v), encode(OpenCheckIn(checkin_id, v))) for v in step.values]
            ]
        elif step.type is AnswerType.single_choice:
            buttons = [
                [(_(c.label), encode(OpenCheckIn(checkin_id, c.value)))] for c in step.choices
            ]
        else:
            buttons = [[(_(_OPEN_BUTTON), encode(OpenCheckIn(checkin_id)))]]
    return message_payload(text, buttons)


async def open_checkins(session: AsyncSession, *, now: datetime) -> Wave:
    """Open every check-in that is due and not yet opened; record missed ones.

    Derived from the database alone, so it is safe to run again at any time and after
    any restart: an occurrence that already has a row is left alone (the unique
    constraint makes a race between two processes fail rather than double up). An
    occurrence whose window passed while nobody ran this sweep is recorded as missed.
    Work per member is a few dictionary look-ups: occurrences, quiet hours, holidays
    and invitation texts are computed once per circle, timezone and language.
    """
    members = await scheduling.due_teachers(session, now=now)
    circles = await scheduling.all_circles(session)
    holidays = await scheduling.holidays_by_circle(session)
    meetings = await scheduling.meetings_by_circle(session, now=now)
    existing = await scheduling.existing_checkins(session, since=now - 3 * CHECKIN_WINDOW)
    phases = await scheduling.current_phases(session)
    slots: dict[tuple[int, str], tuple[list[datetime], datetime]] = {}
    templates: dict[tuple[Phase, str], dict] = {}
    opened: list[tuple[dict, scheduling.Member]] = []
    missed: list[dict] = []
    opened_total = 0
    for member in members:
        circle = circles[member.circle_id]
        slot_key = (circle.id, member.timezone)
        if slot_key not in slots:
            latest = latest_occurrence(circle, member.timezone, now, meetings[circle.id])
            earlier = previous_occurrence(circle, member.timezone, latest)
            due = [
                w
                for w in (earlier, latest)
                if not in_holidays(holidays[circle.id], w, circle.timezone)
            ]
            quiet = sendable_from(now, member.timezone, circle.quiet_from, circle.quiet_until)
            slots[slot_key] = (due, quiet)
        due, _quiet = slots[slot_key]
        inquiry_id, phase = phases.get(member.person_id, (None, Phase.identify))
        for when in due:
            if when < member.joined_at or (member.person_id, circle.id, when) in existing:
                continue
            row = {
                "person_id": member.person_id,
                "circle_id": circle.id,
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
                    "next_nudge_at": now + circle.first_nudge_hours * _HOUR,
                }
                opened.append((row, member))
            else:
                missed.append(row | {"status": CheckInStatus.missed})
        if len(opened) >= BATCH:
            await _open_batch(session, opened, slots, templates, now)
            opened_total += len(opened)
            opened = []
    if opened:
        await _open_batch(session, opened, slots, templates, now)
        opened_total += len(opened)
    for chunk in _chunks(missed):
        await session.execute(insert(CheckIn.__table__), chunk)
    if opened_total or missed:
        log.info("opened %d check-ins, recorded %d missed", opened_total, len(missed))
    return Wave(opened=opened_total, missed=len(missed))


async def _open_batch(
    session: AsyncSession,
    opened: list[tuple[dict, scheduling.Member]],
    slots: dict,
    templates: dict,
    now: datetime,
) -> None:
    """Insert one batch of open check-ins, read their ids back, queue their invitations.

    Ids are read back with one query rather than ``RETURNING``: SQLite can only return
    them in order one row at a time, which made a 100,000-teacher wave several times
    slower.
    """
    table = CheckIn.__table__
    await session.execute(insert(table), [row for row, _member in opened])
    found = await session.execute(
        select(table.c.id, table.c.person_id, table.c.circle_id, table.c.scheduled_for).where(
            table.c.opened_at == now,
            table.c.person_id.in_({row["person_id"] for row, _member in opened}),
        )
    )
    ids = {(person, circle, when): checkin for checkin, person, circle, when in found.all()}
    outbox = []
    for row, member in opened:
        checkin_id = ids[(row["person_id"], row["circle_id"], row["scheduled_for"])]
        key = (row["phase"], member.language)
        if key not in templates:
            flow = library().latest(PHASE_FLOWS.get(row["phase"], "identify"))
            templates[key] = invitation(flow, member.language, 0)
        _due, quiet = slots[(member.circle_id, member.timezone)]
        outbox.append(
            _outbox_row(
                (member.channel, member.address),
                _retarget(templates[key], checkin_id),
                f"checkin-{checkin_id}-open",
                quiet,
                now,
            )
        )
    await session.execute(insert(Outbox.__table__), outbox)


async def nudge_checkins(session: AsyncSession, *, now: datetime) -> int:
    """Send the first and second reminder for check-ins still unanswered."""
    due = await scheduling.checkins_to_nudge(session, now=now)
    send_to = await addresses_of(session, person_ids=[person.id for _c, person, _ci in due])
    rows = []
    for checkin, person, circle in due:
        checkin.nudges_sent += 1
        checkin.next_nudge_at = (
            (checkin.opened_at or now) + circle.second_nudge_hours * _HOUR
            if checkin.nudges_sent == 1
            else None
        )
        with use_language(person.language):
            payload = message_payload(
                _(_NUDGE), [[(_(_OPEN_BUTTON), encode(OpenCheckIn(checkin.id)))]]
            )
        rows.append(
            _outbox_row(
                send_to[person.id],
                payload,
                f"checkin-{checkin.id}-nudge-{checkin.nudges_sent}",
                sendable_from(now, person.timezone, circle.quiet_from, circle.quiet_until),
                now,
            )
        )
    for chunk in _chunks(rows):
        await session.execute(insert(Outbox.__table__), chunk)
    return len(rows)


#: Facilitators get their digest from this local time on Monday.
DIGEST_AT = time(8, 0)


async def send_digests(session: AsyncSession, *, now: datetime) -> int:
    """Queue each facilitator's weekly digest once, on Monday morning in their timezone."""
    facilitators = list(
        await session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.role == Role.facilitator, scheduling.reachable(now))
            .distinct()
        )
    )
    due = []
    for person in facilitators:
        local = now.astimezone(ZoneInfo(person.timezone))
        if local.weekday() == 0 and local.time() >= DIGEST_AT:
            year, week, _day = local.isocalendar()
            due.append((person, f"digest-{year}-{week:02d}"))
    send_to = await addresses_of(session, person_ids=[person.id for person, _key in due])
    result = await session.execute(
        select(Outbox.channel, Outbox.address, Outbox.idempotency_key).where(
            tuple_(Outbox.channel, Outbox.address, Outbox.idempotency_key).in_(
                [(*send_to[person.id], f"{key}-0") for person, key in due]
            )
        )
    )
    sent_before = {(channel, address, key) for channel, address, key in result}
    queued = 0
    for person, key in due:
        if (*send_to[person.id], f"{key}-0") in sent_before:
            continue
        replies = await facilitator.weekly_digest(session, person=person, now=now)
        for n, reply in enumerate(replies):
            buttons = [[(b.label, b.data) for b in row] for row in reply.buttons]
            await enqueue(
                session,
                channel=send_to[person.id].channel,
                address=send_to[person.id].address,
                key=f"{key}-{n}",
                payload=message_payload(reply.text, buttons or None),
                now=now,
            )
        queued += bool(replies)
    return queued


async def close_checkins(session: AsyncSession, *, now: datetime) -> int:
    """Close check-ins whose week is over as missed."""
    return await scheduling.close_overdue_checkins(session, now=now)


# --- helpers ---------------------------------------------------------------------------


def _retarget(template: dict, checkin_id: int) -> dict:
    """The invitation template with this check-in's id in every button."""
    buttons = [
        [{"label": b["label"], "data": _retargeted(b["data"], checkin_id)} for b in row]
        for row in template.get("buttons", [])
    ]
    return {**template, "buttons": buttons} if buttons else dict(template)


def _retargeted(data: str, checkin_id: int) -> str:
    action = decode(data)
    if isinstance(action, OpenCheckIn):
        return encode(replace(action, checkin_id=checkin_id))
    return data


def _outbox_row(
    to: tuple[Channel, str], payload: dict, key: str, not_before: datetime, now: datetime
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


__all__ = ["Wave", "close_checkins", "invitation", "nudge_checkins", "open_checkins"]
