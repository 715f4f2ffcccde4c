"""The next school year in the bot: the goodbye to an interrupted check-in, and each
continuing teacher's question — go on with the journey, or start a new inquiry.

The API and ``circles year`` close and open years through :func:`close` and
:func:`open_next`, which call :mod:`circles.services.years` and queue the messages (keys
``year-<id>-closed`` and ``year-<id>-continue``, WhatsApp templates ``year_closed`` and
``year_continue``). A choice is recorded once (:func:`circles.services.years.record_choice`):
a second press, an old button of a closed year or someone else's is "already closed".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import announcements, engine, queued
from bot.flows.actions import Pressed, closed, on
from bot.flows.buttons import ChooseYearPath
from bot.flows.engine import Outcome
from bot.flows.events import Button, Done, Say
from circles.models import Circle, OutboxPriority, Person, Role, YearChoice
from circles.services import holidays, inquiries, journeys, meetings, years
from circles.services.outbox import enqueue
from circles.services.schedule import sendable_from
from circles.text import t

GO_ON = t("Continue my journey")


@dataclass(frozen=True)
class Gathering:
    """A meeting of the new year: its day and local time, and where (a place or a link)."""

    day: date
    at: time
    place: str | None = None


NEW_INQUIRY = t("Start a new inquiry")


def closed_key(year_id: int) -> str:
    """The outbox key of the message to someone whose check-in the year's end closed."""
    return f"year-{year_id}-closed"


def continue_key(year_id: int) -> str:
    """The outbox key of the continuing teachers' question."""
    return f"year-{year_id}-continue"


def closed_message(label: str) -> Say:
    """To a member whose check-in or conversation the end of the year closed."""
    return Say(
        t(
            "Your circle's school year {label} has ended, so this week's questions are "
            "closed. Everything you already answered is kept. Thank you for this year!",
            label=label,
        )
    )


def continue_question(year_id: int, label: str) -> Say:
    """To a continuing teacher: go on with the journey, or begin a new inquiry."""
    return Say(
        t(
            "A new school year, {label}, begins in your circle. Would you like to continue "
            "your journey with the practice you are working on, or start a new inquiry?",
            label=label,
        ),
        (
            (Button(GO_ON, ChooseYearPath(year_id, YearChoice.continue_journey)),),
            (Button(NEW_INQUIRY, ChooseYearPath(year_id, YearChoice.new_inquiry)),),
        ),
    )


async def _send(
    session: AsyncSession, *, circle: Circle, to: Person, message: Say, key: str, now: datetime
) -> bool:
    return await enqueue(
        session,
        to=to,
        payload=queued.payload(message),
        key=key,
        now=now,
        priority=OutboxPriority.bulk,
        not_before=sendable_from(now, to.timezone, circle.quiet_from, circle.quiet_until),
    )


async def close(
    session: AsyncSession, *, circle: Circle, actor: str, now: datetime
) -> years.Closed:
    """Close the circle's open year and tell everyone whose questions it closed."""
    done = await years.close_year(session, circle=circle, actor=actor, now=now)
    for person in done.interrupted:
        await _send(
            session,
            circle=circle,
            to=person,
            message=closed_message(done.year.label),
            key=closed_key(done.year.id),
            now=now,
        )
    return done


async def open_next(
    session: AsyncSession,
    *,
    circle: Circle,
    label: str,
    starts_on: date,
    ends_on: date,
    actor: str,
    now: datetime,
    keep: Sequence[int] | None = None,
    calendar: years.Calendar = years.Calendar(),
    days_off: Sequence[holidays.Dates] = (),
    invites: Sequence[tuple[Role, int]] = (),
    gatherings: Sequence[Gathering] = (),
) -> years.Opened:
    """Open the circle's next year, schedule its first meetings (every member is invited)
    and ask each continuing teacher about their journey."""
    opened = await years.open_year(
        session,
        circle=circle,
        label=label,
        starts_on=starts_on,
        ends_on=ends_on,
        actor=actor,
        now=now,
        keep=keep,
        calendar=calendar,
        holidays=days_off,
        invites=invites,
        meeting_days=[gathering.day for gathering in gatherings],
    )
    for gathering in gatherings:
        meeting = await meetings.schedule_meeting(
            session,
            circle=circle,
            starts_at=meetings.meeting_start(gathering.day, gathering.at, circle.timezone),
            place=gathering.place,
            agenda=None,
            created_by=None,
            now=now,
            actor=actor,
        )
        await announcements.announce(session, meeting=meeting, circle=circle, kind="new", now=now)
    question = continue_question(opened.year.id, opened.year.label)
    for person in opened.continuing:
        await _send(
            session,
            circle=circle,
            to=person,
            message=question,
            key=continue_key(opened.year.id),
            now=now,
        )
    return opened


@on(ChooseYearPath)
async def choose(pressed: Pressed, action: ChooseYearPath) -> Outcome:
    """Record the teacher's choice once; a new inquiry begins with identify's questions."""
    session, person, now = pressed.session, pressed.person, pressed.now
    chosen = await years.record_choice(
        session, year_id=action.year_id, person_id=person.id, choice=action.choice, now=now
    )
    if chosen is None:
        return closed()
    year, _member = chosen
    if action.choice is YearChoice.continue_journey:
        return Outcome(
            [
                Done(GO_ON),
                Say(
                    t(
                        "Good: your journey goes on where you left it. Your check-ins "
                        "continue as before."
                    )
                ),
            ]
        )
    current = await journeys.current_inquiry(session, person_id=person.id, circle_id=year.circle_id)
    if current is not None:
        await inquiries.set_aside(session, inquiry=current, now=now)
    circle = await session.get(Circle, year.circle_id)
    assert circle is not None
    inquiry = await journeys.start_inquiry(session, person=person, circle=circle, now=now)
    replies = await engine.begin(
        session, person=person, flow_id="identify", now=now, state={"inquiry_id": inquiry.id}
    )
    return Outcome([Done(NEW_INQUIRY), *replies])
