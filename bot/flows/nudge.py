"""``/nudge``: a facilitator reminds every teacher who has not answered this week.

Reminders go through the outbox with the key ``nudge-<teacher's local date>`` (one per
chat), so a teacher is reminded by facilitators at most once a day, however often they
tap; each reminder is rendered in the teacher's language when it is sent. During a holiday
of the circle nobody is reminded.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import queued
from bot.flows.buttons import OpenCheckIn
from bot.flows.circle import names
from bot.flows.events import Button, Say
from bot.flows.visit import FACILITATORS, Replies, Visit, each_place
from circles.i18n import N_
from circles.models import Circle, OutboxPriority, Person
from circles.services import holidays, summaries
from circles.services.access import Scope
from circles.services.audit import record_nudge
from circles.services.outbox import enqueue
from circles.services.summaries import NOT_OPENED, RosterLine
from circles.text import Day, Part, Text, lines, number, t, tn

_NUDGE_OPEN = N_(
    "{name} reminds you that this week's check-in is still open. It takes about five minutes."
)
_NUDGE_START = N_(
    "{name} reminds you of this week's check-in. Send /checkin when you have five minutes."
)


def reminder(line: RosterLine, facilitator: Person | str | None) -> Say:
    """A facilitator's reminder to one teacher who has not answered (``facilitator``: the
    person, or their name as the dashboard knows it)."""
    name = facilitator.display_name if isinstance(facilitator, Person) else facilitator
    by = name or t("Your facilitator")
    if line.status == "open" and line.checkin_id is not None:
        button = Button(t("Open my check-in"), OpenCheckIn(line.checkin_id))
        return Say(t(_NUDGE_OPEN, name=by), ((button,),))
    return Say(t(_NUDGE_START, name=by))


async def _remind(
    session: AsyncSession, line: RosterLine, facilitator: Person | str | None, now: datetime
) -> bool:
    """Queue one reminder; False if this teacher was already reminded today."""
    assert line.send_to is not None
    local_day = now.astimezone(ZoneInfo(line.timezone)).date().isoformat()
    return await enqueue(
        session,
        to=line.send_to,
        payload=queued.payload(reminder(line, facilitator)),
        key=f"nudge-{local_day}",
        now=now,
        priority=OutboxPriority.bulk,
    )


async def nudge(visit: Visit) -> Replies:
    """Remind every teacher who has not answered this week, at most once a day each."""
    session, now = visit.session, visit.now

    async def answer(facilitator: Person, circle: Circle, scope: Scope) -> Replies:
        holiday = await holidays.current_holiday(session, circle=circle, now=now)
        if holiday is not None:
            on_holiday = t(
                "The circle is on holiday until {date}: no reminders are sent.",
                date=Day(holiday.ends_on),
            )
            return [Say(lines(circle.name, on_holiday))]
        roster_lines = await summaries.week_roster(session, circle=circle, now=now)
        due = [line for line in roster_lines if _due(line)]
        sent = [line for line in due if await _remind(session, line, facilitator, now)]
        if sent:
            await record_nudge(
                session, actor=scope.actor, circle_id=circle.id, queued=len(sent), now=now
            )
        return [Say(_nudged(circle, sent, len(due) - len(sent)))]

    return await each_place(visit, FACILITATORS, answer)


def _due(line: RosterLine) -> bool:
    """Whether a teacher may be reminded: not answered, reachable, not paused."""
    return line.status in ("open", NOT_OPENED) and line.reachable and not line.paused


class Reminded(StrEnum):
    """What became of one reminder from the dashboard."""

    sent = "sent"
    already = "already"  # reminded today, by /nudge or the dashboard
    not_due = "not_due"  # answered, skipped, paused, or cannot be reached
    holiday = "holiday"


async def remind_teacher(
    session: AsyncSession,
    *,
    circle: Circle,
    scope: Scope,
    person_id: int,
    by: str | None,
    now: datetime,
) -> Reminded:
    """Remind one teacher of the circle who has not answered this week, with /nudge's
    message and its once-a-day rule (a teacher of the circle the caller checked)."""
    if await holidays.current_holiday(session, circle=circle, now=now) is not None:
        return Reminded.holiday
    roster_lines = await summaries.week_roster(session, circle=circle, now=now)
    line = next((line for line in roster_lines if line.person_id == person_id), None)
    if line is None or not _due(line):
        return Reminded.not_due
    if not await _remind(session, line, by, now):
        return Reminded.already
    await record_nudge(session, actor=scope.actor, circle_id=circle.id, queued=1, now=now)
    return Reminded.sent


def _nudged(circle: Circle, sent: list[RosterLine], earlier: int) -> Text:
    text: list[Part] = [circle.name]
    if sent:
        text.append(
            tn(
                "Reminder sent to {count} teacher: {names}.",
                "Reminders sent to {count} teachers: {names}.",
                len(sent),
                count=number(len(sent)),
                names=names([line.name for line in sent]),
            )
        )
    if earlier:
        text.append(
            tn(
                "{count} teacher was already reminded today.",
                "{count} teachers were already reminded today.",
                earlier,
                count=number(earlier),
            )
        )
    if not sent and not earlier:
        text.append(t("Nobody to remind: everyone has answered, skipped or is paused."))
    return lines(*text)
