"""The evidence repository in the bot: search, browse, read, adopt, revise, digest opt-out.

``/practices <words>`` searches the published practices that reach the member's circles
(five per page); ``/practices`` alone offers the five strategies to browse. Buttons
(typed actions of :mod:`bot.flows.buttons`, registered here with
:func:`~bot.flows.actions.on`): ``SearchPage`` the next page of a search (the words are
cut to fit the codec's button data), ``Browse`` a strategy, ``ReadPractice`` a practice
in full, ``AdoptPractice`` "I'll try this" (a new inquiry piloting it), ``RevisePractice``
one's own practice (the ``revise`` flow, one part at a time; it goes back to review),
``StopDigest`` / ``RestartDigest`` the digest of practices from other circles.
``/mypractices`` lists one's own practices with their status and the reviewer's comment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.actions import Pressed, on
from bot.flows.buttons import (
    AdoptPractice,
    Browse,
    ReadPractice,
    RestartDigest,
    SearchPage,
    StopDigest,
)
from bot.flows.engine import Outcome
from bot.flows.events import Button, Done, Notice, Photo, Rows, Say
from bot.flows.visit import Replies, Visit, members_only
from circles.errors import NotFound
from circles.models import FlowRun, FlowStatus, Person, Practice, Strategy
from circles.services import access, journeys, repository, showcase
from circles.services.summaries import STRATEGY_LABELS
from circles.text import Part, number, t, tn

PAGE = 5
#: Evidence photos shown with a practice that is read in full (the newest are last).
PHOTOS_SHOWN = 3
#: The furthest page a button may ask for: beyond any real result list, short of what
#: a database's OFFSET or the sum offset + page could overflow.
MAX_OFFSET = 1_000_000
READ = t("Read")
TRY = t("I'll try this")
SEND_AGAIN = t("Send them again")


# --- commands ----------------------------------------------------------------------------


@members_only
async def search_practices(visit: Visit, person: Person, words: str) -> Replies:
    """``/practices [words]``: search the repository, or browse it by strategy."""
    return await search(visit.session, person=person, words=words)


def _try(practice: Practice, reader: Person) -> tuple[Button, ...]:
    """ "I'll try this", unless the reader wrote the practice."""
    return () if practice.author_id == reader.id else (Button(TRY, AdoptPractice(practice.id)),)


def _list_replies(
    results: repository.Results, more: Button | None, heading: Part, reader: Person
) -> Replies:
    replies: Replies = [Say(heading)]
    for found in results.items:
        practice = found.practice
        buttons = (Button(READ, ReadPractice(practice.id)), *_try(practice, reader))
        replies.append(Say(showcase.card(found, full=False), (buttons,), separate=True))
    if more is not None and results.next_offset is not None:
        shown = results.offset + len(results.items)
        replies.append(
            Say(
                t("Shown {shown} of {total}.", shown=number(shown), total=number(results.total)),
                ((more,),),
            )
        )
    return replies


def _strategy_buttons() -> Rows:
    return tuple(
        (Button(t(label), Browse(Strategy(value), 0)),) for value, label in STRATEGY_LABELS.items()
    )


async def search(session: AsyncSession, *, person: Person, words: str, offset: int = 0) -> Replies:
    """One page of search results, or the strategies to browse when no words are given."""
    reader = await repository.reader_of_member(session, person.id)
    wanted = repository.words_of(words)
    if not wanted:
        return [
            Say(
                t(
                    "Search the practices other teachers published: send /practices "
                    "and a few words, for example /practices exit tickets. "
                    "Or browse by strategy:"
                ),
                _strategy_buttons(),
            )
        ]
    searched = " ".join(wanted)
    results = await repository.search(
        session,
        reader=reader,
        filters=repository.Filters(words=searched),
        offset=offset,
        limit=PAGE,
    )
    if not results.total:
        return [
            Say(
                t(
                    "No published practice matches “{words}”. Try fewer or other "
                    "words, or browse by strategy:",
                    words=searched,
                ),
                _strategy_buttons(),
            )
        ]
    heading = tn(
        "{count} practice matches “{words}”:",
        "{count} practices match “{words}”:",
        results.total,
        count=number(results.total),
        words=searched,
    )
    more = Button(t("More"), SearchPage(results.next_offset or 0, searched))
    return _list_replies(results, more, heading, person)


async def browse(
    session: AsyncSession, *, person: Person, strategy: Strategy, offset: int
) -> Replies:
    """Published practices that use ``strategy``, newest first."""
    reader = await repository.reader_of_member(session, person.id)
    results = await repository.search(
        session,
        reader=reader,
        filters=repository.Filters(strategy=strategy),
        offset=offset,
        limit=PAGE,
    )
    label = t(STRATEGY_LABELS[strategy.value])
    if not results.total:
        return [Say(t("No published practice uses “{strategy}” yet.", strategy=label))]
    heading = t("{strategy}: {count}", strategy=label, count=number(results.total))
    more = Button(t("More"), Browse(strategy, results.next_offset or 0))
    return _list_replies(results, more, heading, person)


# --- buttons -----------------------------------------------------------------------------


@on(SearchPage)
async def next_page(pressed: Pressed, action: SearchPage) -> Outcome:
    """The next page of a search."""
    offset = min(action.offset, MAX_OFFSET)
    return Outcome(
        await search(pressed.session, person=pressed.person, words=action.words, offset=offset)
    )


@on(Browse)
async def browse_strategy(pressed: Pressed, action: Browse) -> Outcome:
    """A page of the practices of one strategy."""
    offset = min(action.offset, MAX_OFFSET)
    return Outcome(
        await browse(
            pressed.session, person=pressed.person, strategy=action.strategy, offset=offset
        )
    )


@on(StopDigest)
async def stop_digest(pressed: Pressed, action: StopDigest) -> Outcome:
    """No more practices from other circles."""
    pressed.person.practice_digest = False
    text = t(
        "You will get no more practices from other circles. "
        "Send /practices to look for some yourself."
    )
    return Outcome(
        [Done(t("Stop these messages")), Say(text, ((Button(SEND_AGAIN, RestartDigest()),),))]
    )


@on(RestartDigest)
async def restart_digest(pressed: Pressed, action: RestartDigest) -> Outcome:
    """Practices from other circles again, from time to time."""
    pressed.person.practice_digest = True
    text = t("Good: from time to time you will get a practice from another circle.")
    return Outcome([Done(SEND_AGAIN), Say(text)])


_GONE = t("This practice is no longer in the repository.")


@on(ReadPractice)
async def read(pressed: Pressed, action: ReadPractice) -> Outcome:
    """A practice in full, with its evidence photos."""
    practice_id = action.practice_id
    try:
        found = await access.practice_for_reader(
            pressed.session, person_id=pressed.person.id, practice_id=practice_id
        )
    except NotFound:
        return Outcome([Notice(_GONE)])
    photos = list((found.practice.content or {}).get("evidence_photos") or [])
    mine_or_try = _try(found.practice, pressed.person)
    return Outcome(
        [
            *(Photo(photo, caption=t("Evidence of impact")) for photo in photos[:PHOTOS_SHOWN]),
            Say(showcase.card(found, full=True), tuple(filter(None, [mine_or_try]))),
        ]
    )


@on(AdoptPractice)
async def adopt(pressed: Pressed, action: AdoptPractice) -> Outcome:
    """ "I'll try this": a new inquiry piloting the practice."""
    session, person, now = pressed.session, pressed.person, pressed.now
    try:
        found = await access.practice_for_reader(
            session, person_id=person.id, practice_id=action.practice_id
        )
    except NotFound:
        return Outcome([Notice(_GONE)])
    practice = found.practice
    place = await journeys.teacher_place(session, person_id=person.id)
    if place is None:
        return Outcome([Notice(t("Only teachers of a circle can pilot a practice."))])
    if practice.author_id == person.id:
        return Outcome([Notice(t("This is your own practice."))])
    adopted = await repository.adopt(
        session, person=person, circle=place.circle, practice=practice, now=now
    )
    title = practice.title
    if adopted.already:
        return Outcome([Done(TRY), Say(t("You are already trying “{title}”.", title=title))])
    if adopted.busy is not None:
        return Outcome(
            [
                Say(
                    t(
                        "You are piloting another practice right now. Codify it or finish "
                        "it first (see /journey), then tap “I'll try this” again."
                    )
                )
            ]
        )
    await _stop_identifying(session, person=person, inquiry_id=adopted.inquiry.id, now=now)
    text = t(
        "Good choice! You are now piloting “{title}”. At your next check-in I "
        "will ask you how it went, and your ratings will help other teachers.",
        title=title,
    )
    return Outcome([Done(TRY), Say(text)])


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
