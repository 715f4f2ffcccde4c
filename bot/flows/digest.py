"""A facilitator's weekly digest: the week of each circle they facilitate, on Monday.

One message per circle (who is where in the inquiry, who missed twice, the ratings, what
got in the way, the newest reflections, practices to review) with buttons to act on it.
The scheduler queues it once a week from :data:`DIGEST_AT` on Monday in the facilitator's
timezone, keyed ``digest-<year>-<week>-<n>``; it is rendered when it is sent. A circle on
holiday that Monday has no digest that week.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import not_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import queued
from bot.flows.buttons import FacilitatorCommand
from bot.flows.circle import (
    FACILITATORS,
    NUDGE_BUTTON,
    WHO_BUTTON,
    blocker_text,
    headline,
    names,
    quote,
    ratings_line,
    short,
    week_title,
)
from bot.flows.events import Button, Say
from circles.models import Circle, Membership, Outbox, Person, Role
from circles.services import reviews, scheduling, summaries
from circles.services.access import member_scopes
from circles.services.outbox import enqueue
from circles.services.people import addresses_of
from circles.services.schedule import in_holidays
from circles.services.summaries import NOT_OPENED, CircleSummary, RosterLine
from circles.text import Capitalized, Part, join, lines, number, t, tn

#: Blockers and reflections quoted in a digest.
DIGEST_QUOTES = 3
#: Facilitators get their digest from this local time on Monday.
DIGEST_AT = time(8, 0)


async def weekly_digest(session: AsyncSession, *, person: Person, now: datetime) -> list[Say]:
    """A facilitator's week in one message per circle, with buttons to act on it.

    A circle on holiday (its local date) is left out: no digest in a holiday.
    """
    digests = []
    holidays = await scheduling.holidays_by_circle(session)
    for found, scope in await member_scopes(session, person_id=person.id, roles=FACILITATORS):
        if in_holidays(holidays[found.id], now, found.timezone):
            continue
        week_summary = await summaries.summarise_circle(session, scope=scope, circle=found, now=now)
        roster = await summaries.week_roster(session, circle=found, now=now, week=week_summary.week)
        missing = set(await summaries.missed_in_a_row(session, circle=found, now=now))
        to_review = await reviews.count_awaiting_review(session, scope=scope)
        digests.append(_digest(week_summary, roster, missing, to_review))
    return digests


def _digest(
    summary: CircleSummary, roster: list[RosterLine], missing: set[int], to_review: int
) -> Say:
    text: list[Part | None] = [
        t("Your weekly digest"),
        week_title(summary.circle, summary.week),
        headline(summary.checkins),
    ]
    for phase, label in summaries.PHASE_LABELS.items():
        in_phase = [line.name for line in roster if line.stage == phase]
        if in_phase:
            text.append(join((Capitalized(t(label)), ": ", names(in_phase)), ""))
    repeat = [line.name for line in roster if line.person_id in missing]
    if repeat:
        text.append(t("Missed two check-ins in a row: {names}", names=names(repeat)))
    text.append(ratings_line(summary))
    if summary.blockers:
        text.append(t("What got in the way, and where the circle could help:"))
        text += [quote(b.name, blocker_text(b)) for b in summary.blockers[:DIGEST_QUOTES]]
    if summary.reflections:
        text.append(t("From the newest reflections:"))
        text += [
            quote(r.name, short(r.learnt or r.will_change or r.one_word))
            for r in summary.reflections[:DIGEST_QUOTES]
        ]
    rows = []
    if any(line.status in ("open", NOT_OPENED) for line in roster):
        rows.append(NUDGE_BUTTON)
    if to_review:
        text.append(
            tn(
                "{count} practice is waiting for your review.",
                "{count} practices are waiting for your review.",
                to_review,
                count=number(to_review),
            )
        )
        rows.append((Button(t("Review practices"), FacilitatorCommand("review")),))
    rows.append(WHO_BUTTON)
    return Say(lines(*text), tuple(rows))


async def send_digests(session: AsyncSession, *, now: datetime) -> int:
    """Queue each facilitator's weekly digest once, on Monday morning in their timezone."""
    facilitators = list(
        await session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .join(Circle, Circle.id == Membership.circle_id)
            .where(
                Membership.role == Role.facilitator,
                scheduling.reachable(now),
                not_(scheduling.idle_circles(now.date())),
            )
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
    due = [(person, key) for person, key in due if person.id in send_to]
    result = await session.execute(
        select(Outbox.channel, Outbox.address, Outbox.idempotency_key).where(
            tuple_(Outbox.channel, Outbox.address, Outbox.idempotency_key).in_(
                [(*send_to[person.id], f"{key}-0") for person, key in due]
            )
        )
    )
    sent_before = {(channel, address, key) for channel, address, key in result}
    count = 0
    for person, key in due:
        if (*send_to[person.id], f"{key}-0") in sent_before:
            continue
        digests = await weekly_digest(session, person=person, now=now)
        for n, digest in enumerate(digests):
            await enqueue(
                session,
                to=send_to[person.id],
                payload=queued.payload(digest),
                key=f"{key}-{n}",
                now=now,
            )
        count += bool(digests)
    return count
