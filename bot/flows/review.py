"""A facilitator's review queue: ``/review`` and the Approve / Request changes buttons.

Buttons carry a :class:`~bot.flows.buttons.Review` (``r:approve:<id>``,
``r:changes:<id>``). Approving publishes the practice (its author hears about it through
the outbox, see :mod:`circles.services.reviews`); "Request changes" starts the
one-question flow ``review_comment``: the facilitator's next message is the comment,
which its completion effect sends to the author; /cancel stops it.
"""

from __future__ import annotations

from bot.flows import engine
from bot.flows.buttons import Review
from bot.flows.circle import name, short
from bot.flows.events import Button, Photo, Say
from bot.flows.hooks import trend_line
from bot.flows.visit import FACILITATORS, Replies, Visit, each_place
from circles.errors import Conflict, NotFound
from circles.i18n import N_
from circles.models import Circle, Person, PracticeStatus
from circles.services import access, reviews, summaries
from circles.services.access import Scope
from circles.text import Part, join, lines, number, quoted, t, tn

#: Practices shown per /review; the rest wait for the next one (or the admin API).
REVIEW_LIMIT = 5
#: Evidence photos shown above a practice's card (as a reader of the repository sees them).
PHOTOS_SHOWN = 3
_SECTIONS = (
    ("steps", N_("Steps: {text}")),
    ("evidence", N_("Evidence: {text}")),
    ("conditions", N_("Conditions and pitfalls: {text}")),
    ("lessons", N_("Lessons learnt: {text}")),
    ("materials", N_("Materials: {text}")),
)


def card(row: reviews.PracticeRow) -> Say:
    """One practice waiting for review, with its two buttons."""
    practice = row.practice
    text: list[Part | None] = [
        join((quoted(practice.title), " — ", name(row.author_name), f" ({row.circle_name})"), "")
    ]
    if practice.strategy is not None:
        text.append(t(summaries.STRATEGY_LABELS[practice.strategy.value]))
    context = [
        part
        for part in (
            practice.subject,
            practice.grade,
            tn(
                "{count} student",
                "{count} students",
                practice.class_size,
                count=number(practice.class_size),
            )
            if practice.class_size
            else None,
        )
        if part
    ]
    if context:
        text.append(join(context, " · "))
    if practice.summary:
        text.append(short(practice.summary, 300))
    content = practice.content or {}
    text += [
        t(label, text=short(str(content[key]), 300)) for key, label in _SECTIONS if content.get(key)
    ]
    if content.get("ratings"):
        text.append(t("Ratings: {trend}", trend=trend_line(content["ratings"])))
    buttons = (
        (
            Button(t("Approve"), Review(practice.id, "approve")),
            Button(t("Request changes"), Review(practice.id, "changes")),
        ),
    )
    return Say(lines(*text), buttons, separate=True)


def photos(row: reviews.PracticeRow) -> list[Photo]:
    """The practice's evidence photos (the first few), shown above its card."""
    kept = (row.practice.content or {}).get("evidence_photos") or []
    caption = t("Evidence of impact: “{title}”", title=row.practice.title)
    return [Photo(file_id, caption=caption) for file_id in kept[:PHOTOS_SHOWN]]


async def review(visit: Visit) -> Replies:
    """Practices awaiting review, each with Approve and Request changes buttons."""
    session = visit.session
    waiting = 0

    async def answer(person: Person, circle: Circle, scope: Scope) -> Replies:
        nonlocal waiting
        page = await reviews.list_practices(
            session, scope=scope, cursor=None, limit=REVIEW_LIMIT, status=PracticeStatus.in_review
        )
        waiting += await reviews.count_awaiting_review(session, scope=scope)
        shown.extend(row.practice.id for row in page.items)
        return [event for row in page.items for event in (*photos(row), card(row))]

    shown: list[int | None] = []
    replies = await each_place(visit, FACILITATORS, answer)
    if not replies:
        return [Say(t("No practice is waiting for review."))]
    if waiting > len(shown):
        more = waiting - len(shown)
        replies.append(
            Say(
                tn(
                    "{count} more practice is waiting; review the ones above first.",
                    "{count} more practices are waiting; review these first.",
                    more,
                    count=number(more),
                )
            )
        )
    return replies


async def review_button(visit: Visit, action: Review) -> Replies:
    """Approving publishes; requesting changes asks for the comment to send."""
    session, now = visit.session, visit.now
    person, _circles, refusal = await visit.places(FACILITATORS)
    if person is None:
        return refusal
    try:
        practice, scope = await access.practice_for_reviewer(
            session, person_id=person.id, practice_id=action.practice_id
        )
    except NotFound:
        return [Say(t(engine.CLOSED))]
    if practice.status is not PracticeStatus.in_review:
        return [Say(t("“{title}” has already been reviewed.", title=practice.title))]
    if action.verdict == "changes":
        return list(
            await engine.begin(
                session,
                person=person,
                flow_id="review_comment",
                now=now,
                state={"practice_id": practice.id},
            )
        )
    try:
        done = await reviews.approve_practice(
            session, scope=scope, practice_id=practice.id, now=now
        )
    except (Conflict, NotFound):
        return [Say(t(engine.CLOSED))]
    told = t("The author has been told.") if done.author_notified else None
    return [Say(lines(t("Published: “{title}”.", title=practice.title), told, separator=" "))]
