"""A teacher's own practices: ``/mypractices``, their review, and revising one.

``RevisePractice`` starts the ``revise`` flow (one part at a time); when it is finished,
the ``apply_revision`` effect changes that part and sends the practice back to review.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import engine
from bot.flows.actions import Pressed, closed, on
from bot.flows.buttons import ReadPractice, RevisePractice
from bot.flows.effects import Completion, Context, effect
from bot.flows.engine import Outcome
from bot.flows.events import Button, Done, Say
from bot.flows.practices import READ
from bot.flows.visit import Replies, Visit, members_only
from circles.errors import Conflict, NotFound
from circles.models import Person, Practice, PracticeStatus
from circles.questions import Question
from circles.services import access, repository
from circles.text import Part, lines, number, quoted, t, tn

STATUS_LABELS = {
    PracticeStatus.draft: t("Draft"),
    PracticeStatus.in_review: t("Waiting for review"),
    PracticeStatus.changes_requested: t("Changes requested"),
    PracticeStatus.published: t("Published"),
    PracticeStatus.archived: t("Archived"),
}
REVISABLE = (
    PracticeStatus.in_review,
    PracticeStatus.changes_requested,
    PracticeStatus.published,
)
REVISE = t("Revise")


@members_only
async def my_practices(visit: Visit, person: Person) -> Replies:
    """``/mypractices``: one's own practices, their status, and Revise."""
    return await mine(visit.session, person=person)


async def mine(session: AsyncSession, *, person: Person) -> Replies:
    """The person's own practices, with status, reviewer's comment and a Revise button."""
    practices = list(
        await session.scalars(
            select(Practice).where(Practice.author_id == person.id).order_by(Practice.id)
        )
    )
    if not practices:
        return [
            Say(
                t(
                    "You have not codified a practice yet. After a few pilot weeks, "
                    "/journey offers to write yours down."
                )
            )
        ]
    replies: Replies = [Say(t("Your practices:"))]
    for practice in practices:
        parts: list[Part | None] = [
            quoted(practice.title),
            t("Status: {status}", status=STATUS_LABELS[practice.status]),
            t("Version {number}", number=number(practice.version)),
        ]
        if practice.status is PracticeStatus.changes_requested and practice.review_comment:
            parts += ["", t("Your facilitator asks:"), practice.review_comment]
        buttons: list[Button] = []
        if practice.status is PracticeStatus.published:
            buttons.append(Button(READ, ReadPractice(practice.id)))
        if practice.status in REVISABLE:
            buttons.append(Button(REVISE, RevisePractice(practice.id)))
        replies.append(Say(lines(*parts), (tuple(buttons),) if buttons else (), separate=True))
    return replies


# --- revising ----------------------------------------------------------------------------


@on(RevisePractice)
async def revise(pressed: Pressed, action: RevisePractice) -> Outcome:
    """Revise one's own practice: the ``revise`` flow, one part at a time."""
    session, person, now = pressed.session, pressed.person, pressed.now
    try:
        practice = await access.practice_for_author(
            session, person_id=person.id, practice_id=action.practice_id
        )
    except NotFound:
        return closed()
    if practice.status not in REVISABLE:
        return closed()
    replies = await engine.begin(
        session, person=person, flow_id="revise", now=now, state={"practice_id": practice.id}
    )
    return Outcome([Done(REVISE), *replies])


_TEXT_PARTS = ("summary", "steps", "evidence", "conditions", "lessons", "materials")


async def after_revise(
    session: AsyncSession, *, person: Person, state: dict, answers: dict, now: datetime
) -> Replies:
    """Apply the revised part and send the practice back to review."""
    practice_id = int(state.get("practice_id") or 0)
    practice = await session.get(Practice, practice_id) if practice_id else None
    part = answers.get(Question.part)
    if practice is None or practice.author_id != person.id or part is None:
        return [Say(t(engine.CLOSED))]
    field = part.value_choice
    changes: dict = {}
    # revise v1 asks every text part as "text"; v2 asks the evidence as "evidence"
    text = answers.get(Question.evidence) or answers.get(Question.text)
    photo = text.file_id if text is not None else None
    if photo is not None:
        pass  # a photo adds evidence (below); it never replaces the part's text
    elif field in _TEXT_PARTS and text is not None and text.value_text:
        changes[field] = text.value_text
    elif field == "title" and answers.get(Question.title) is not None:
        changes[Question.title] = (answers[Question.title].value_text or "")[:200]
    elif field == "share_scope" and answers.get(Question.share_scope) is not None:
        changes[Question.share_scope] = answers[Question.share_scope].value_choice
    elif field == "show_name" and answers.get(Question.show_name) is not None:
        changes["author_visible"] = answers[Question.show_name].value_choice == "yes"
    try:
        await repository.revise(session, practice=practice, changes=changes, now=now)
    except Conflict:
        return [Say(t(engine.CLOSED))]
    if photo is not None:
        photos = list((practice.content or {}).get("evidence_photos") or [])
        practice.content = {**(practice.content or {}), "evidence_photos": [*photos, photo]}
    thanks = t(
        "Thank you. “{title}” is back with your facilitators for review (version {version}).",
        title=practice.title,
        version=number(practice.version),
    )
    again = Button(t("Change something else"), RevisePractice(practice.id))
    return [Say(thanks, ((again,),))]


@effect("part_now")
async def part_now(ctx: Context) -> Part | None:
    """The part being revised as it reads now, shown before its new text is asked for."""
    practice_id = int(ctx.run.state.get("practice_id") or 0)
    practice = await ctx.session.get(Practice, practice_id) if practice_id else None
    part = ctx.answers.get(Question.part)
    if practice is None or practice.author_id != ctx.person.id or part is None:
        return None
    field = part.value_choice or ""
    content = practice.content or {}
    now = practice.title if field == "title" else practice.summary if field == "summary" else None
    if field in _TEXT_PARTS and field != "summary":
        now = content.get(field)
    shown: list[Part | None] = [t("It reads now:"), now or t("(nothing yet)")]
    if field == "evidence":
        photos = len(content.get("evidence_photos") or [])
        if photos:
            shown.append(
                tn("and {count} photo", "and {count} photos", photos, count=number(photos))
            )
    return lines(*shown)


@effect("apply_revision")
async def apply_revision(ctx: Context, edited: bool) -> Completion:
    """Apply a finished revision once (a later edit of its message changes nothing)."""
    if edited:
        return Completion()
    return Completion(
        await after_revise(
            ctx.session, person=ctx.person, state=ctx.run.state, answers=ctx.answers, now=ctx.now
        )
    )
