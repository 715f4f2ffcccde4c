"""What facilitators (and union representatives) can ask the bot about their circle.

``/summary`` and ``/circle`` are for facilitators and union representatives (who see
no names of who has not answered); ``/who``, ``/nudge`` and ``/review`` are for
facilitators. Someone who facilitates several circles gets one message per circle.
The numbers are those of :mod:`circles.services.summaries`, the same as in the admin API.

Buttons carry ``f:<command>`` (run that command: ``f:who``, ``f:nudge``, ``f:review``,
``f:summary``, ``f:circle``) or ``r:<verb>:<practice id>`` (``r:approve``, ``r:changes``);
:func:`button` takes both. "Request changes" starts the one-question flow
``review_comment``: the facilitator's next message is the comment, which its completion
hook sends to the author (see :mod:`bot.flows.hooks`); /cancel stops it.

Nudges go through the outbox with the key ``nudge-<person id>-<teacher's local date>``,
so a teacher is reminded by facilitators at most once a day, however often they tap.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_interval, format_time, get_day_names
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import engine
from bot.flows.buttons import (
    FacilitatorAction,
    FacilitatorCommand,
    OpenCheckIn,
    Review,
    encode,
)
from bot.flows.hooks import trend_line
from bot.flows.messages import Button, Reply, Sender
from circles.errors import Conflict, NotFound
from circles.i18n import (
    N_,
    _,
    current_language,
    format_datetime,
    format_number,
    ngettext,
    use_language,
)
from circles.models import (
    Circle,
    Consent,
    OutboxPriority,
    Person,
    PracticeStatus,
    Role,
    TokenRole,
)
from circles.services import access, attendance, reviews, roster, summaries
from circles.services.access import Scope, member_scopes
from circles.services.audit import record_nudge
from circles.services.outbox import enqueue, message_payload
from circles.services.people import find_person
from circles.services.summaries import NOT_OPENED, CircleSummary, RosterLine
from circles.services.weeks import Week
from circles.settings import Settings

#: Practices shown per /review; the rest wait for the next one (or the admin API).
REVIEW_LIMIT = 5
#: Blockers and reflections quoted in a digest, and how much of each.
DIGEST_QUOTES = 3
QUOTE_LENGTH = 140

_FACILITATORS = (Role.facilitator,)
_READERS = (Role.facilitator, Role.union_rep)
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
_NUDGE_OPEN = N_(
    "{name} reminds you that this week's check-in is still open. It takes about five minutes."
)
_NUDGE_START = N_(
    "{name} reminds you of this week's check-in. Send /checkin when you have five minutes."
)


# --- who is asking ---------------------------------------------------------------------


async def _places(
    session: AsyncSession, sender: Sender, settings: Settings, roles: tuple[Role, ...]
) -> tuple[Person | None, list[tuple[Circle, Scope]], list[Reply]]:
    """The person and the circles where they have one of ``roles``, or the refusal."""
    person = await find_person(session, channel=sender.channel, address=sender.address)
    places: list[tuple[Circle, Scope]] = []
    if person is not None and person.forgotten_at is None and person.consent is Consent.given:
        places = await member_scopes(session, person_id=person.id, roles=roles)
    if person is None or not places:
        language = person.language if person else sender.language_code
        with use_language(language, settings.default_language):
            refusal = _NOT_FACILITATOR if roles == _FACILITATORS else _NOT_READER
            return None, [], [Reply(_(refusal))]
    return person, places, []


# --- rendering helpers -------------------------------------------------------------------


def _week_title(circle: Circle, week: Week) -> str:
    """ "Accra 1 · week 37 (Sep 7 – 13)" in the current language."""
    days = format_interval(
        week.monday, week.monday + timedelta(days=6), "MMMd", locale=current_language()
    )
    return _("{circle} · week {number} ({days})").format(
        circle=circle.name, number=format_number(week.number), days=days
    )


def _name(name: str | None) -> str:
    return name or _("(no name)")


def _short(text: str | None, limit: int = QUOTE_LENGTH) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ratings_line(summary: CircleSummary) -> str | None:
    ratings = summary.ratings
    means = [w.mean for w in ratings.weeks if w.mean is not None]
    if not means:
        return None
    trend = " → ".join(format_number(round(m, 1)) for m in means[-4:])
    arrow = _ARROWS.get(ratings.direction or "", "")
    return _("How well it worked: {trend}").format(trend=f"{trend} {arrow}".strip())


def _phase_line(summary: CircleSummary) -> str:
    parts = [
        f"{_(summaries.PHASE_LABELS[key])} {format_number(count)}"
        for key, count in summary.phases.items()
        if count
    ]
    return _("Phases: {phases}").format(phases=" · ".join(parts) or "–")


def _blocker_text(blocker: summaries.Blocker) -> str:
    if blocker.text:
        return _short(blocker.text)
    if blocker.duration is not None:
        return _("🎤 voice note ({seconds} s)").format(seconds=format_number(blocker.duration))
    return _("(a file)")


# --- /summary ------------------------------------------------------------------------------


def _summary_reply(summary: CircleSummary, facilitator: bool) -> Reply:
    lines = [_week_title(summary.circle, summary.week), summaries.headline(summary.checkins)]
    if summary.not_answered:
        names = ", ".join(_name(p.name) for p in summary.not_answered)
        lines.append(_("Not answered yet: {names}").format(names=names))
    lines.append(_phase_line(summary))
    rating = _ratings_line(summary)
    if rating:
        lines.append(rating)
    if summary.blockers:
        count = len(summary.blockers)
        lines.append(
            ngettext(
                "{count} answer asked for help or said what got in the way.",
                "{count} answers asked for help or said what got in the way.",
                count,
            ).format(count=format_number(count))
        )
    buttons: tuple[tuple[Button, ...], ...] = ()
    if facilitator:
        buttons = (
            (Button(_("Who has answered"), encode(FacilitatorCommand("who"))),),
            (Button(_("Remind who has not answered"), encode(FacilitatorCommand("nudge"))),),
        )
    return Reply("\n".join(lines), buttons)


async def summary(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> list[Reply]:
    """This week's numbers for each circle the person facilitates or represents."""
    person, places, refusal = await _places(session, sender, settings, _READERS)
    if person is None:
        return refusal
    replies = []
    for circle, scope in places:
        found = await summaries.summarise_circle(session, scope=scope, circle=circle, now=now)
        with use_language(person.language):
            replies.append(_summary_reply(found, scope.role is TokenRole.facilitator))
    return replies


# --- /who -----------------------------------------------------------------------------------


def _who_reply(circle: Circle, week: Week, lines: list[RosterLine]) -> Reply:
    text = [_week_title(circle, week)]
    for line in lines:
        status = (
            _(summaries.STATUS_LABELS[line.status])
            if line.status is not None
            else (_("paused") if line.paused else _("not expected"))
        )
        text.append(f"{_MARKS[line.status]} {_name(line.name)}: {status}")
    if not lines:
        text.append(_("This circle has no teachers yet."))
    waiting = any(line.status in ("open", NOT_OPENED) for line in lines)
    buttons = (
        ((Button(_("Remind who has not answered"), encode(FacilitatorCommand("nudge"))),),)
        if waiting
        else ()
    )
    return Reply("\n".join(text), buttons)


async def who(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> list[Reply]:
    """Every teacher and where their check-in of this week stands."""
    person, places, refusal = await _places(session, sender, settings, _FACILITATORS)
    if person is None:
        return refusal
    replies = []
    for circle, _scope in places:
        week = summaries.default_week(circle, now)
        lines = await summaries.week_roster(session, circle=circle, now=now, week=week)
        with use_language(person.language):
            replies.append(_who_reply(circle, week, lines))
    return replies


# --- /nudge -----------------------------------------------------------------------------------


async def _remind(
    session: AsyncSession, line: RosterLine, facilitator: Person, now: datetime
) -> bool:
    """Queue one reminder; False if this teacher was already reminded today."""
    assert line.send_to is not None
    local_day = now.astimezone(ZoneInfo(line.timezone)).date().isoformat()
    with use_language(line.language):
        name = facilitator.display_name or _("Your facilitator")
        if line.status == "open" and line.checkin_id is not None:
            payload = message_payload(
                _(_NUDGE_OPEN).format(name=name),
                [[(_("Open my check-in"), encode(OpenCheckIn(line.checkin_id)))]],
            )
        else:
            payload = message_payload(_(_NUDGE_START).format(name=name))
    return await enqueue(
        session,
        channel=line.send_to.channel,
        address=line.send_to.address,
        payload=payload,
        key=f"nudge-{local_day}",
        now=now,
        priority=OutboxPriority.bulk,
    )


async def nudge(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> list[Reply]:
    """Remind every teacher who has not answered this week, at most once a day each."""
    person, places, refusal = await _places(session, sender, settings, _FACILITATORS)
    if person is None:
        return refusal
    replies = []
    for circle, scope in places:
        lines = await summaries.week_roster(session, circle=circle, now=now)
        due = [
            line
            for line in lines
            if line.status in ("open", NOT_OPENED) and line.reachable and not line.paused
        ]
        sent = [line for line in due if await _remind(session, line, person, now)]
        if sent:
            await record_nudge(
                session, actor=scope.actor, circle_id=circle.id, queued=len(sent), now=now
            )
        with use_language(person.language):
            replies.append(Reply(_nudge_text(circle, sent, len(due) - len(sent))))
    return replies


def _nudge_text(circle: Circle, sent: list[RosterLine], earlier: int) -> str:
    lines = [circle.name]
    if sent:
        lines.append(
            ngettext(
                "Reminder sent to {count} teacher: {names}.",
                "Reminders sent to {count} teachers: {names}.",
                len(sent),
            ).format(count=format_number(len(sent)), names=", ".join(_name(s.name) for s in sent))
        )
    if earlier:
        lines.append(
            ngettext(
                "{count} teacher was already reminded today.",
                "{count} teachers were already reminded today.",
                earlier,
            ).format(count=format_number(earlier))
        )
    if not sent and not earlier:
        lines.append(_("Nobody to remind: everyone has answered, skipped or is paused."))
    return "\n".join(lines)


# --- /circle ------------------------------------------------------------------------------------


async def circle(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> list[Reply]:
    """The circle at a glance: where, when, who, and the next meeting."""
    person, places, refusal = await _places(session, sender, settings, _READERS)
    if person is None:
        return refusal
    replies = []
    for found, _scope in places:
        row = await roster.circle_row(session, circle=found)
        meeting = await attendance.next_meeting(session, circle=found, now=now)
        with use_language(person.language):
            locale = Locale.parse(person.language)
            country = locale.territories.get(found.country, found.country)
            day = get_day_names("wide", locale=locale)[found.checkin_weekday]
            at = format_time(found.checkin_time, "short", locale=locale)
            members = row.members
            lines = [
                f"{found.name} ({country})",
                _("Check-ins: {day} at {time} ({timezone})").format(
                    day=day, time=at, timezone=found.timezone
                ),
                ngettext("{count} teacher", "{count} teachers", members[Role.teacher]).format(
                    count=format_number(members[Role.teacher])
                )
                + " · "
                + ngettext(
                    "{count} facilitator", "{count} facilitators", members[Role.facilitator]
                ).format(count=format_number(members[Role.facilitator]))
                + " · "
                + ngettext(
                    "{count} union representative",
                    "{count} union representatives",
                    members[Role.union_rep],
                ).format(count=format_number(members[Role.union_rep])),
            ]
            if meeting is not None:
                when = format_datetime(meeting.starts_at, person.timezone, person.language)
                where = meeting.place or meeting.online_url or ""
                lines.append(
                    _("Next meeting: {when}").format(when=when) + (f" — {where}" if where else "")
                )
            else:
                lines.append(_("No meeting is scheduled."))
            replies.append(Reply("\n".join(lines)))
    return replies


# --- /review ----------------------------------------------------------------------------------


def _practice_reply(row: reviews.PracticeRow) -> Reply:
    practice = row.practice
    lines = [f"“{practice.title}” — {_name(row.author_name)} ({row.circle_name})"]
    if practice.strategy is not None:
        lines.append(_(summaries.STRATEGY_LABELS[practice.strategy.value]))
    context = " · ".join(
        part
        for part in (
            practice.subject,
            practice.grade,
            ngettext("{count} student", "{count} students", practice.class_size).format(
                count=format_number(practice.class_size)
            )
            if practice.class_size
            else None,
        )
        if part
    )
    if context:
        lines.append(context)
    if practice.summary:
        lines.append(_short(practice.summary, 300))
    content = practice.content or {}
    for key, label in (
        ("steps", N_("Steps: {text}")),
        ("evidence", N_("Evidence: {text}")),
        ("conditions", N_("Conditions and pitfalls: {text}")),
        ("lessons", N_("Lessons learnt: {text}")),
    ):
        if content.get(key):
            lines.append(_(label).format(text=_short(str(content[key]), 300)))
    if content.get("ratings"):
        lines.append(_("Ratings: {trend}").format(trend=trend_line(content["ratings"])))
    buttons = (
        (
            Button(_("Approve"), encode(Review(practice.id, "approve"))),
            Button(_("Request changes"), encode(Review(practice.id, "changes"))),
        ),
    )
    return Reply("\n".join(lines), buttons, separate=True)


async def review(
    session: AsyncSession, *, sender: Sender, settings: Settings, now: datetime
) -> list[Reply]:
    """Practices awaiting review, each with Approve and Request changes buttons."""
    person, places, refusal = await _places(session, sender, settings, _FACILITATORS)
    if person is None:
        return refusal
    replies = []
    waiting = 0
    for _circle, scope in places:
        page = await reviews.list_practices(
            session, scope=scope, cursor=None, limit=REVIEW_LIMIT, status=PracticeStatus.in_review
        )
        waiting += await reviews.count_awaiting_review(session, scope=scope)
        with use_language(person.language):
            replies += [_practice_reply(row) for row in page.items]
    with use_language(person.language):
        if not replies:
            return [Reply(_("No practice is waiting for review."))]
        if waiting > len(replies):
            more = waiting - len(replies)
            replies.append(
                Reply(
                    ngettext(
                        "{count} more practice is waiting; review the ones above first.",
                        "{count} more practices are waiting; review these first.",
                        more,
                    ).format(count=format_number(more))
                )
            )
    return replies


async def review_button(
    session: AsyncSession, *, sender: Sender, action: Review, settings: Settings, now: datetime
) -> list[Reply]:
    """Approving publishes; requesting changes asks for the comment to send."""
    person, _circles, refusal = await _places(session, sender, settings, _FACILITATORS)
    if person is None:
        return refusal
    practice_id, verb = action.practice_id, action.verdict
    with use_language(person.language):
        try:
            practice, scope = await access.practice_for_reviewer(
                session, person_id=person.id, practice_id=practice_id
            )
        except NotFound:
            return [Reply(_(engine.CLOSED))]
        if practice.status is not PracticeStatus.in_review:
            return [Reply(_("“{title}” has already been reviewed.").format(title=practice.title))]
    if verb == "changes":
        return await engine.begin(
            session,
            person=person,
            flow_id="review_comment",
            now=now,
            state={"practice_id": practice.id},
        )
    try:
        done = await reviews.approve_practice(
            session, scope=scope, practice_id=practice.id, now=now
        )
    except (Conflict, NotFound):
        with use_language(person.language):
            return [Reply(_(engine.CLOSED))]
    with use_language(person.language):
        text = _("Published: “{title}”.").format(title=practice.title)
        if done.author_notified:
            text += " " + _("The author has been told.")
        return [Reply(text)]


# --- the weekly digest ---------------------------------------------------------------------------


async def weekly_digest(session: AsyncSession, *, person: Person, now: datetime) -> list[Reply]:
    """A facilitator's week in one message per circle, with buttons to act on it."""
    replies = []
    for found, scope in await member_scopes(session, person_id=person.id, roles=_FACILITATORS):
        week_summary = await summaries.summarise_circle(session, scope=scope, circle=found, now=now)
        lines = await summaries.week_roster(session, circle=found, now=now, week=week_summary.week)
        missing = set(await summaries.missed_in_a_row(session, circle=found, now=now))
        to_review = await reviews.count_awaiting_review(session, scope=scope)
        with use_language(person.language):
            replies.append(_digest(week_summary, lines, missing, to_review))
    return replies


def _digest(
    summary: CircleSummary, lines: list[RosterLine], missing: set[int], to_review: int
) -> Reply:
    text = [
        _("Your weekly digest"),
        _week_title(summary.circle, summary.week),
        summaries.headline(summary.checkins),
    ]
    for phase, label in summaries.PHASE_LABELS.items():
        names = [
            _name(line.name)
            for line in lines
            if (line.phase.value if line.phase else "not_started") == phase
        ]
        if names:
            text.append(f"{_(label).capitalize()}: {', '.join(names)}")
    repeat = [_name(line.name) for line in lines if line.person_id in missing]
    if repeat:
        text.append(_("Missed two check-ins in a row: {names}").format(names=", ".join(repeat)))
    rating = _ratings_line(summary)
    if rating:
        text.append(rating)
    if summary.blockers:
        text.append(_("What got in the way, and where the circle could help:"))
        text += [f"• {_name(b.name)}: {_blocker_text(b)}" for b in summary.blockers[:DIGEST_QUOTES]]
    if summary.reflections:
        text.append(_("From the newest reflections:"))
        text += [
            f"• {_name(r.name)}: {_short(r.learnt or r.will_change or r.one_word)}"
            for r in summary.reflections[:DIGEST_QUOTES]
        ]
    rows: list[tuple[Button, ...]] = []
    if any(line.status in ("open", NOT_OPENED) for line in lines):
        rows.append(
            (Button(_("Remind who has not answered"), encode(FacilitatorCommand("nudge"))),)
        )
    if to_review:
        text.append(
            ngettext(
                "{count} practice is waiting for your review.",
                "{count} practices are waiting for your review.",
                to_review,
            ).format(count=format_number(to_review))
        )
        rows.append((Button(_("Review practices"), encode(FacilitatorCommand("review"))),))
    rows.append((Button(_("Who has answered"), encode(FacilitatorCommand("who"))),))
    return Reply("\n".join(text), tuple(rows))


# --- buttons ------------------------------------------------------------------------------------

_COMMANDS: dict[str, Callable[..., Awaitable[list[Reply]]]] = {
    "summary": summary,
    "who": who,
    "nudge": nudge,
    "review": review,
    "circle": circle,
}


async def button(
    session: AsyncSession,
    *,
    sender: Sender,
    action: FacilitatorAction | None,
    settings: Settings,
    now: datetime,
) -> list[Reply]:
    """A facilitator's button: a command runs it, a review decision is taken; None is closed."""
    match action:
        case Review():
            return await review_button(
                session, sender=sender, action=action, settings=settings, now=now
            )
        case FacilitatorCommand(command=name):
            return await _COMMANDS[name](session, sender=sender, settings=settings, now=now)
    with use_language(sender.language_code, settings.default_language):
        return [Reply(_(engine.CLOSED))]
