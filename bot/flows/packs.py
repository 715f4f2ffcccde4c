"""The meeting pack in the facilitators' chat, a day before each meeting.

From :data:`PACK_AHEAD` before a meeting (and no later than :data:`TOO_LATE` before it),
each facilitator of the circle gets the pack in short: how many teachers tried their
practice since the last meeting and how each did, how many asked for help, what got in
the way, the reflections they may read and the practices awaiting their review. The
whole pack, with the evidence of student work, is on the dashboard
(:mod:`circles.services.meeting_pack`). Keyed ``meeting-<id>-pack-<start>``: once per
facilitator and meeting time (a moved meeting gets a new pack), in quiet hours held back
like every reminder.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import queued
from bot.flows.events import Say
from circles.models import Role
from circles.services import meeting_pack, meetings
from circles.services.access import scope_of_member
from circles.services.outbox import enqueue
from circles.services.schedule import sendable_from
from circles.text import Part, join, lines, number, t, tn, when

#: Facilitators get the pack this long before the meeting starts.
PACK_AHEAD = timedelta(hours=24)
#: Closer to the start than this, a pack that could not go earlier is left out.
TOO_LATE = timedelta(hours=1)


def _rating(value: float) -> Part:
    return number(round(value, 1))


def pack_text(pack: meeting_pack.MeetingPack, timezone: str) -> Part:
    """The pack in short, for a chat (read in the facilitator's language and timezone)."""
    teachers = [
        t(
            "{name}: tried it {tried} of {asked} weeks · ratings {ratings}",
            name=line.name or "?",
            tried=number(line.tried),
            asked=number(line.asked),
            ratings=join([_rating(r) for r in line.ratings], " → ") if line.ratings else "–",
        )
        for line in pack.teachers
    ]
    return lines(
        t(
            "Your meeting pack for {circle}, for the meeting on {when}:",
            circle=pack.circle.name,
            when=when(pack.meeting.starts_at, timezone),
        ),
        tn(
            "{count} of {total} teacher tried their practice since {since}.",
            "{count} of {total} teachers tried their practice since {since}.",
            len(pack.teachers),
            count=number(pack.tried_any),
            total=number(len(pack.teachers)),
            since=when(pack.since, timezone),
        ),
        *teachers,
        tn(
            "{count} request for help",
            "{count} requests for help",
            len(pack.help),
            count=number(len(pack.help)),
        ),
        tn(
            "{count} answer on what got in the way",
            "{count} answers on what got in the way",
            len(pack.blockers),
            count=number(len(pack.blockers)),
        ),
        tn(
            "{count} reflection you may read",
            "{count} reflections you may read",
            len(pack.reflections),
            count=number(len(pack.reflections)),
        ),
        tn(
            "{count} practice awaits your review",
            "{count} practices await your review",
            len(pack.awaiting),
            count=number(len(pack.awaiting)),
        ),
        t("The whole pack, with the evidence of student work, is on the dashboard."),
    )


async def send_packs(session: AsyncSession, *, now: datetime) -> int:
    """Queue the pack of each meeting due for one to each facilitator of its circle."""
    sent = 0
    for meeting, circle, person in await meetings.due_packs(session, now=now, ahead=PACK_AHEAD):
        if meeting.starts_at - now <= TOO_LATE:
            continue
        scope = scope_of_member(person.id, circle.id, Role.facilitator)
        assert scope is not None
        pack = await meeting_pack.meeting_pack(session, scope=scope, circle=circle, meeting=meeting)
        sent += await enqueue(
            session,
            to=person,
            payload=queued.payload(Say(pack_text(pack, person.timezone))),
            key=f"meeting-{meeting.id}-pack-{int(meeting.starts_at.timestamp())}",
            now=now,
            not_before=sendable_from(now, person.timezone, circle.quiet_from, circle.quiet_until),
        )
    return sent
