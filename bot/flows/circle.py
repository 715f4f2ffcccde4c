"""A facilitator's view of their circle: ``/summary``, ``/who`` and ``/circle``.

``/summary`` and ``/circle`` are for facilitators and union representatives (who see no
names of who has not answered); ``/who`` is for facilitators. Someone who facilitates
several circles gets one message per circle. The numbers are those of
:mod:`circles.services.summaries`, the same as in the admin API. Who may ask
(:func:`places`) and the helpers that write a week, a name or a ratings trend are shared
with ``/nudge`` (:mod:`bot.flows.nudge`), the review queue (:mod:`bot.flows.review`) and
the weekly digest (:mod:`bot.flows.digest`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.buttons import FacilitatorCommand
from bot.flows.events import Button, Event, Say
from bot.flows.messages import Sender
from circles.i18n import N_
from circles.models import Circle, Consent, Person, Role, TokenRole
from circles.services import attendance, roster, summaries
from circles.services.access import Scope, member_scopes
from circles.services.people import find_person
from circles.services.summaries import NOT_OPENED, CircleSummary, RosterLine, StatusCounts
from circles.services.weeks import Week
from circles.settings import Settings
from circles.text import (
    Country,
    Days,
    Part,
    Percent,
    Text,
    TimeOfDay,
    Weekday,
    join,
    lines,
    number,
    t,
    tn,
    when,
)

#: Blockers and reflections are quoted up to this length.
QUOTE_LENGTH = 140

FACILITATORS = (Role.facilitator,)
READERS = (Role.facilitator, Role.union_rep)
_NOT_FACILITATOR = N_("This is for the facilitators of a circle.")
_NOT_READER = N_("This is for the facilitators and union representatives of a circle.")
_MARKS = {
    "answered": "✅",
    "skipped": "⏭",
    "open": "⏳",
    "missed": "❌",
    NOT_OPENED: "…",
    None: "⏸",
}
_ARROWS = {"up": "↗", "down": "↘", "steady": "→"}

#: What a facilitator's command answers: messages, and the engine's replies for a flow.
Replies = list[Event]


# --- who is asking ---------------------------------------------------------------------


async def places(
    session: AsyncSession, sender: Sender, roles: tuple[Role, ...]
) -> tuple[Person | None, list[tuple[Circle, Scope]], Replies]:
    """The person and the circles where they have one of ``roles``, or the refusal."""
    person = await find_person(session, channel=sender.channel, address=sender.address)
    found: list[tuple[Circle, Scope]] = []
    if person is not None and person.forgotten_at is None and person.consent is Consent.given:
        found = await member_scopes(session, person_id=person.id, roles=roles)
    if person is None or not found:
        return None, [], [Say(t(_NOT_FACILITATOR if roles == FACILITATORS else _NOT_READER))]
    return person, found, []


#: One circle's part of a command's answer, for the person asking and their scope there.
Answer = Callable[[Person, Circle, Scope], Awaitable[Replies]]


async def each_place(
    session: AsyncSession, sender: Sender, roles: tuple[Role, ...], answer: Answer
) -> Replies:
    """``answer`` for each circle where the sender has one of ``roles``, or the refusal."""
    person, found, refusal = await places(session, sender, roles)
    if person is None:
        return refusal
    replies: Replies = []
    for circle, scope in found:
        replies += await answer(person, circle, scope)
    return replies


# --- how things are written ------------------------------------------------------------


def week_title(circle: Circle, week: Week) -> Text:
    """ "Accra 1 · week 37 (Sep 7 – 13)"."""
    return t(
        "{circle} · week {number} ({days})",
        circle=circle.name,
        number=number(week.number),
        days=Days(week.monday, week.monday + timedelta(days=6)),
    )


def name(value: str | None) -> Part:
    return value or t("(no name)")


def names(values: list[str | None]) -> Text:
    """Names separated by commas."""
    return join([name(value) for value in values], ", ")


def short(text: str | None, limit: int = QUOTE_LENGTH) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote(who: str | None, said: Part) -> Part:
    """ "• Ana: the projector broke", one string when it can be (see ``privacy``)."""
    # Erasing a person drops the stored lines that start with their name, so a name and
    # its quote stay one string in a queued digest.
    if who and isinstance(said, str):
        return f"• {who}: {said}"
    return join(("• ", name(who), ": ", said), "")


def headline(counts: StatusCounts) -> Text:
    """ "7 of 10 teachers answered this week (70%)." (as ``summaries.headline``)."""
    if counts.response_rate is None:
        return t("Nobody was expected to check in this week.")
    return tn(
        "{answered} of {expected} teacher answered this week ({rate}).",
        "{answered} of {expected} teachers answered this week ({rate}).",
        counts.expected,
        answered=number(counts.answered),
        expected=number(counts.expected),
        rate=Percent(counts.response_rate),
    )


def ratings_line(summary: CircleSummary) -> Text | None:
    ratings = summary.ratings
    means = [w.mean for w in ratings.weeks if w.mean is not None]
    if not means:
        return None
    trend: Part = join([number(round(m, 1)) for m in means[-4:]], " → ")
    arrow = _ARROWS.get(ratings.direction or "", "")
    return t("How well it worked: {trend}", trend=lines(trend, arrow or None, separator=" "))


def _phase_line(summary: CircleSummary) -> Text:
    parts = [
        lines(t(summaries.PHASE_LABELS[key]), number(count), separator=" ")
        for key, count in summary.phases.items()
        if count
    ]
    return t("Phases: {phases}", phases=join(parts, " · ") if parts else "–")


def blocker_text(blocker: summaries.Blocker) -> Part:
    if blocker.text:
        return short(blocker.text)
    if blocker.duration is not None:
        return t("🎤 voice note ({seconds} s)", seconds=number(blocker.duration))
    return t("(a file)")


NUDGE_BUTTON = (Button(t("Remind who has not answered"), FacilitatorCommand("nudge")),)
WHO_BUTTON = (Button(t("Who has answered"), FacilitatorCommand("who")),)


# --- /summary ------------------------------------------------------------------------------


def _summary(summary: CircleSummary, facilitator: bool) -> Say:
    text: list[Part | None] = [week_title(summary.circle, summary.week), headline(summary.checkins)]
    if summary.not_answered:
        text.append(
            t("Not answered yet: {names}", names=names([p.name for p in summary.not_answered]))
        )
    text += [_phase_line(summary), ratings_line(summary)]
    if summary.blockers:
        count = len(summary.blockers)
        text.append(
            tn(
                "{count} answer asked for help or said what got in the way.",
                "{count} answers asked for help or said what got in the way.",
                count,
                count=number(count),
            )
        )
    return Say(lines(*text), (WHO_BUTTON, NUDGE_BUTTON) if facilitator else ())


async def summary(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> Replies:
    """This week's numbers for each circle the person facilitates or represents."""

    async def answer(person: Person, circle: Circle, scope: Scope) -> Replies:
        numbers = await summaries.summarise_circle(session, scope=scope, circle=circle, now=now)
        return [_summary(numbers, scope.role is TokenRole.facilitator)]

    return await each_place(session, sender, READERS, answer)


# --- /who -----------------------------------------------------------------------------------


def _status(line: RosterLine) -> Part:
    if line.status is not None:
        return t(summaries.STATUS_LABELS[line.status])
    return t("paused") if line.paused else t("not expected")


def _who(circle: Circle, week: Week, roster_lines: list[RosterLine]) -> Say:
    text: list[Part] = [week_title(circle, week)]
    text += [
        join((f"{_MARKS[line.status]} ", name(line.name), ": ", _status(line)), "")
        for line in roster_lines
    ]
    if not roster_lines:
        text.append(t("This circle has no teachers yet."))
    waiting = any(line.status in ("open", NOT_OPENED) for line in roster_lines)
    return Say(lines(*text), (NUDGE_BUTTON,) if waiting else ())


async def who(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> Replies:
    """Every teacher and where their check-in of this week stands."""

    async def answer(person: Person, circle: Circle, scope: Scope) -> Replies:
        week = summaries.default_week(circle, now)
        roster_lines = await summaries.week_roster(session, circle=circle, now=now, week=week)
        return [_who(circle, week, roster_lines)]

    return await each_place(session, sender, FACILITATORS, answer)


# --- /circle ------------------------------------------------------------------------------------


async def circle(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> Replies:
    """The circle at a glance: where, when, who, and the next meeting."""

    async def answer(person: Person, place: Circle, scope: Scope) -> Replies:
        row = await roster.circle_row(session, circle=place)
        meeting = await attendance.next_meeting(session, circle=place, now=now)
        members = row.members
        text: list[Part] = [
            join((place.name, " (", Country(place.country), ")"), ""),
            t(
                "Check-ins: {day} at {time} ({timezone})",
                day=Weekday(place.checkin_weekday),
                time=TimeOfDay(place.checkin_time),
                timezone=place.timezone,
            ),
            join(
                (
                    tn(
                        "{count} teacher",
                        "{count} teachers",
                        members[Role.teacher],
                        count=number(members[Role.teacher]),
                    ),
                    tn(
                        "{count} facilitator",
                        "{count} facilitators",
                        members[Role.facilitator],
                        count=number(members[Role.facilitator]),
                    ),
                    tn(
                        "{count} union representative",
                        "{count} union representatives",
                        members[Role.union_rep],
                        count=number(members[Role.union_rep]),
                    ),
                ),
                " · ",
            ),
        ]
        if meeting is not None:
            where = meeting.place or meeting.online_url or ""
            text.append(
                lines(
                    t("Next meeting: {when}", when=when(meeting.starts_at, person.timezone)),
                    f"— {where}" if where else None,
                    separator=" ",
                )
            )
        else:
            text.append(t("No meeting is scheduled."))
        return [Say(lines(*text))]

    return await each_place(session, sender, READERS, answer)
