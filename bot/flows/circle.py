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

from datetime import timedelta

from bot.flows.buttons import FacilitatorCommand
from bot.flows.events import Button, Say
from bot.flows.visit import FACILITATORS, READERS, Replies, Visit, each_place
from circles.models import Circle, Person, Role, TokenRole
from circles.services import attendance, roster, summaries
from circles.services.access import Scope
from circles.services.summaries import NOT_OPENED, CircleSummary, RosterLine, StatusCounts
from circles.services.weeks import Week
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
    shorten,
    t,
    tn,
    when,
)

#: Blockers and reflections are quoted up to this length.
QUOTE_LENGTH = 140

_MARKS = {
    "answered": "✅",
    "skipped": "⏭",
    "open": "⏳",
    "missed": "❌",
    NOT_OPENED: "…",
    None: "⏸",
}
_ARROWS = {"up": "↗", "down": "↘", "steady": "→"}


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
    return shorten(" ".join((text or "").split()), limit)


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


async def summary(visit: Visit) -> Replies:
    """This week's numbers for each circle the person facilitates or represents."""
    session, now = visit.session, visit.now

    async def answer(person: Person, circle: Circle, scope: Scope) -> Replies:
        numbers = await summaries.summarise_circle(session, scope=scope, circle=circle, now=now)
        return [_summary(numbers, scope.role is TokenRole.facilitator)]

    return await each_place(visit, READERS, answer)


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


async def who(visit: Visit) -> Replies:
    """Every teacher and where their check-in of this week stands."""
    session, now = visit.session, visit.now

    async def answer(person: Person, circle: Circle, scope: Scope) -> Replies:
        week = summaries.default_week(circle, now)
        roster_lines = await summaries.week_roster(session, circle=circle, now=now, week=week)
        return [_who(circle, week, roster_lines)]

    return await each_place(visit, FACILITATORS, answer)


# --- /circle ------------------------------------------------------------------------------------


async def circle(visit: Visit) -> Replies:
    """The circle at a glance: where, when, who, and the next meeting."""
    session, now = visit.session, visit.now

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

    return await each_place(visit, READERS, answer)
