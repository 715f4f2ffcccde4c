"""The evidence repository in the bot: search, browse, read, adopt, revise, digest opt-out.

``/practices <words>`` searches the published practices that reach the member's circles
(five per page); ``/practices`` alone offers the five strategies to browse. Buttons:

``p:q:<offset>:<words>`` next page of a search (the words are cut to fit Telegram's
64-byte button data), ``p:s:<strategy>:<offset>`` browse a strategy, ``p:v:<id>`` read a
practice in full, ``p:a:<id>`` "I'll try this" (a new inquiry piloting it),
``p:r:<id>`` revise one's own practice (the ``revise`` flow, one part at a time; it goes
back to review), ``p:off`` / ``p:on`` stop or restart the digest of practices from
other circles. ``/mypractices`` lists one's own practices with their status and the
reviewer's comment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import engine
from bot.flows.buttons import (
    AdoptPractice,
    Browse,
    PracticeAction,
    ReadPractice,
    RestartDigest,
    RevisePractice,
    SearchPage,
    StopDigest,
    encode,
)
from bot.flows.effects import Completion, Context, effect
from bot.flows.messages import Button, Reply
from circles.errors import Conflict, NotFound
from circles.i18n import N_, _, format_number, ngettext, use_language
from circles.models import FlowRun, FlowStatus, Person, Practice, PracticeStatus, Strategy
from circles.questions import Question
from circles.services import access, journeys, repository, showcase
from circles.services.summaries import STRATEGY_LABELS

PAGE = 5
#: Evidence photos shown with a practice that is read in full (the newest are last).
PHOTOS_SHOWN = 3
#: The furthest page a button may ask for: beyond any real result list, short of what
#: a database's OFFSET or the sum offset + page could overflow.
MAX_OFFSET = 1_000_000
STATUS_LABELS: dict[PracticeStatus, str] = {
    PracticeStatus.draft: N_("Draft"),
    PracticeStatus.in_review: N_("Waiting for review"),
    PracticeStatus.changes_requested: N_("Changes requested"),
    PracticeStatus.published: N_("Published"),
    PracticeStatus.archived: N_("Archived"),
}
REVISABLE = (
    PracticeStatus.in_review,
    PracticeStatus.changes_requested,
    PracticeStatus.published,
)


def _list_replies(results: repository.Results, more: str | None, heading: str) -> list[Reply]:
    replies = [Reply(heading)]
    for found in results.items:
        practice = found.practice
        replies.append(
            Reply(
                showcase.card(found, full=False),
                (
                    (
                        Button(_("Read"), encode(ReadPractice(practice.id))),
                        Button(_("I'll try this"), encode(AdoptPractice(practice.id))),
                    ),
                ),
                separate=True,
            )
        )
    if more is not None and results.next_offset is not None:
        shown = results.offset + len(results.items)
        replies.append(
            Reply(
                _("Shown {shown} of {total}.").format(
                    shown=format_number(shown), total=format_number(results.total)
                ),
                ((Button(_("More"), more),),),
            )
        )
    return replies


def _strategy_buttons() -> tuple[tuple[Button, ...], ...]:
    return tuple(
        (Button(_(label), encode(Browse(Strategy(value), 0))),)
        for value, label in STRATEGY_LABELS.items()
    )


async def search(
    session: AsyncSession, *, person: Person, words: str, offset: int = 0
) -> list[Reply]:
    """One page of search results, or the strategies to browse when no words are given."""
    reader = await repository.reader_of_member(session, person.id)
    wanted = repository.words_of(words)
    with use_language(person.language):
        if not wanted:
            return [
                Reply(
                    _(
                        "Search the practices other teachers published: send /practices "
                        "and a few words, for example /practices exit tickets. "
                        "Or browse by strategy:"
                    ),
                    _strategy_buttons(),
                )
            ]
        results = await repository.search(
            session,
            reader=reader,
            filters=repository.Filters(words=" ".join(wanted)),
            offset=offset,
            limit=PAGE,
        )
        if not results.total:
            return [
                Reply(
                    _(
                        "No published practice matches “{words}”. Try fewer or other "
                        "words, or browse by strategy:"
                    ).format(words=" ".join(wanted)),
                    _strategy_buttons(),
                )
            ]
        heading = ngettext(
            "{count} practice matches “{words}”:",
            "{count} practices match “{words}”:",
            results.total,
        ).format(count=format_number(results.total), words=" ".join(wanted))
        more = encode(SearchPage(results.next_offset or 0, " ".join(wanted)))
        return _list_replies(results, more, heading)


async def browse(
    session: AsyncSession, *, person: Person, strategy: Strategy, offset: int
) -> list[Reply]:
    """Published practices that use ``strategy``, newest first."""
    reader = await repository.reader_of_member(session, person.id)
    results = await repository.search(
        session,
        reader=reader,
        filters=repository.Filters(strategy=strategy),
        offset=offset,
        limit=PAGE,
    )
    with use_language(person.language):
        label = _(STRATEGY_LABELS[strategy.value])
        if not results.total:
            return [Reply(_("No published practice uses “{strategy}” yet.").format(strategy=label))]
        heading = _("{strategy}: {count}").format(
            strategy=label, count=format_number(results.total)
        )
        more = encode(Browse(strategy, results.next_offset or 0))
        return _list_replies(results, more, heading)


async def mine(session: AsyncSession, *, person: Person) -> list[Reply]:
    """The person's own practices, with status, reviewer's comment and a Revise button."""
    practices = list(
        await session.scalars(
            select(Practice).where(Practice.author_id == person.id).order_by(Practice.id)
        )
    )
    with use_language(person.language):
        if not practices:
            return [
                Reply(
                    _(
                        "You have not codified a practice yet. After a few pilot weeks, "
                        "/journey offers to write yours down."
                    )
                )
            ]
        replies = [Reply(_("Your practices:"))]
        for practice in practices:
            lines = [
                f"“{practice.title}”",
                _("Status: {status}").format(status=_(STATUS_LABELS[practice.status])),
                _("Version {number}").format(number=format_number(practice.version)),
            ]
            if practice.status is PracticeStatus.changes_requested and practice.review_comment:
                lines += ["", _("Your facilitator asks:"), practice.review_comment]
            buttons: list[Button] = []
            if practice.status is PracticeStatus.published:
                buttons.append(Button(_("Read"), encode(ReadPractice(practice.id))))
            if practice.status in REVISABLE:
                buttons.append(Button(_("Revise"), encode(RevisePractice(practice.id))))
            replies.append(
                Reply("\n".join(lines), (tuple(buttons),) if buttons else (), separate=True)
            )
        return replies


async def button(
    session: AsyncSession, *, person: Person, action: PracticeAction, now: datetime
) -> engine.Outcome:
    """A ``p:`` button; practice ids are checked in :mod:`circles.services.access`."""
    with use_language(person.language):
        closed = engine.Outcome(notice=_(engine.CLOSED))
        match action:
            case SearchPage(offset=offset, words=words):
                return engine.Outcome(
                    await search(
                        session, person=person, words=words, offset=min(offset, MAX_OFFSET)
                    )
                )
            case Browse(strategy=strategy, offset=offset):
                return engine.Outcome(
                    await browse(
                        session, person=person, strategy=strategy, offset=min(offset, MAX_OFFSET)
                    )
                )
            case StopDigest():
                person.practice_digest = False
                return engine.Outcome(
                    [
                        Reply(
                            _(
                                "You will get no more practices from other circles. "
                                "Send /practices to look for some yourself."
                            ),
                            ((Button(_("Send them again"), encode(RestartDigest())),),),
                        )
                    ],
                    chosen=_("Stop these messages"),
                )
            case RestartDigest():
                person.practice_digest = True
                text = _("Good: from time to time you will get a practice from another circle.")
                return engine.Outcome([Reply(text)], chosen=_("Send them again"))
            case RevisePractice(practice_id=number):
                return await _revise(session, person=person, practice_id=number, now=now)
            case ReadPractice(practice_id=number) | AdoptPractice(practice_id=number):
                pass
            case _:
                return closed
        try:
            found = await access.practice_for_reader(
                session, person_id=person.id, practice_id=number
            )
        except NotFound:
            return engine.Outcome(notice=_("This practice is no longer in the repository."))
        if isinstance(action, ReadPractice):
            photos = list((found.practice.content or {}).get("evidence_photos") or [])
            return engine.Outcome(
                [
                    *(
                        Reply(_("Evidence of impact"), photo=photo)
                        for photo in photos[:PHOTOS_SHOWN]
                    ),
                    Reply(
                        showcase.card(found, full=True),
                        ((Button(_("I'll try this"), encode(AdoptPractice(number))),),),
                    ),
                ]
            )
        return await _adopt(session, person=person, found=found, now=now)


async def _adopt(
    session: AsyncSession, *, person: Person, found: repository.Found, now: datetime
) -> engine.Outcome:
    practice = found.practice
    place = await journeys.teacher_place(session, person_id=person.id)
    if place is None:
        return engine.Outcome(notice=_("Only teachers of a circle can pilot a practice."))
    if practice.author_id == person.id:
        return engine.Outcome(notice=_("This is your own practice."))
    adopted = await repository.adopt(
        session, person=person, circle=place.circle, practice=practice, now=now
    )
    title = practice.title
    if adopted.already:
        return engine.Outcome(
            [Reply(_("You are already trying “{title}”.").format(title=title))],
            chosen=_("I'll try this"),
        )
    if adopted.busy is not None:
        return engine.Outcome(
            [
                Reply(
                    _(
                        "You are piloting another practice right now. Codify it or finish "
                        "it first (see /journey), then tap “I'll try this” again."
                    )
                )
            ]
        )
    await _stop_identifying(session, person=person, inquiry_id=adopted.inquiry.id, now=now)
    return engine.Outcome(
        [
            Reply(
                _(
                    "Good choice! You are now piloting “{title}”. At your next check-in I "
                    "will ask you how it went, and your ratings will help other teachers."
                ).format(title=title)
            )
        ],
        chosen=_("I'll try this"),
    )


async def _stop_identifying(
    session: AsyncSession, *, person: Person, inquiry_id: int | None, now: datetime
) -> None:
    """The adopted practice replaces the one still being identified: stop asking about it.

    Otherwise the open identify conversation would take the teacher's next messages (and
    hold up /checkin), and finishing it would overwrite the adopted strategy and practice.
    """
    runs = await session.scalars(
        select(FlowRun).where(
            FlowRun.person_id == person.id,
            FlowRun.flow_id == "identify",
            FlowRun.status.in_([FlowStatus.active, FlowStatus.waiting]),
        )
    )
    for run in runs:
        if inquiry_id is not None and int(run.state.get("inquiry_id") or 0) == inquiry_id:
            run.status = FlowStatus.cancelled
            run.updated_at = now


async def _revise(
    session: AsyncSession, *, person: Person, practice_id: int, now: datetime
) -> engine.Outcome:
    try:
        practice = await access.practice_for_author(
            session, person_id=person.id, practice_id=practice_id
        )
    except NotFound:
        return engine.Outcome(notice=_(engine.CLOSED))
    if practice.status not in REVISABLE:
        return engine.Outcome(notice=_(engine.CLOSED))
    replies = await engine.begin(
        session, person=person, flow_id="revise", now=now, state={"practice_id": practice.id}
    )
    return engine.Outcome(replies, chosen=_("Revise"))


_TEXT_PARTS = ("summary", "steps", "evidence", "conditions", "lessons")


async def after_revise(
    session: AsyncSession, *, person: Person, state: dict, answers: dict, now: datetime
) -> list[Reply]:
    """Apply the revised part and send the practice back to review."""
    practice_id = int(state.get("practice_id") or 0)
    practice = await session.get(Practice, practice_id) if practice_id else None
    part = answers.get(Question.part)
    with use_language(person.language):
        if practice is None or practice.author_id != person.id or part is None:
            return [Reply(_(engine.CLOSED))]
        field = part.value_choice
        changes: dict = {}
        text = answers.get(Question.text)
        if field in _TEXT_PARTS and text is not None and text.value_text:
            changes[field] = text.value_text
        elif field == "title" and answers.get(Question.title) is not None:
            changes["title"] = (answers[Question.title].value_text or "")[:200]
        elif field == "share_scope" and answers.get(Question.share_scope) is not None:
            changes["share_scope"] = answers[Question.share_scope].value_choice
        elif field == "show_name" and answers.get(Question.show_name) is not None:
            changes["author_visible"] = answers[Question.show_name].value_choice == "yes"
        try:
            await repository.revise(session, practice=practice, changes=changes, now=now)
        except Conflict:
            return [Reply(_(engine.CLOSED))]
        if field == "evidence" and text is not None and text.file_id:
            photos = list((practice.content or {}).get("evidence_photos") or [])
            practice.content = {
                **(practice.content or {}),
                "evidence_photos": [*photos, text.file_id],
            }
        return [
            Reply(
                _(
                    "Thank you. “{title}” is back with your facilitators for review "
                    "(version {version})."
                ).format(title=practice.title, version=format_number(practice.version)),
                ((Button(_("Change something else"), encode(RevisePractice(practice.id))),),),
            )
        ]


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
