"""What the scripted flows do besides storing answers: settings, inquiries, practices.

The engine calls four functions; each looks up the flow and step it is given:
``suggestions`` (extra buttons), ``check`` (validate typed text), ``on_answer`` (apply
an answer right away) and ``on_complete`` (what finishing a flow means).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from zoneinfo import available_timezones

from babel.core import get_global
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import announcements, coordinator, practices
from bot.flows.buttons import Codify, KeepPiloting, encode
from bot.flows.definition import Flow, Step
from bot.flows.messages import Button, Reply
from circles.errors import DomainError, InvalidAnswer
from circles.i18n import N_, _, format_datetime, format_number, ngettext, use_language
from circles.models import (
    Answer,
    ApiToken,
    CheckIn,
    CheckInStatus,
    Circle,
    Consent,
    FlowRun,
    Inquiry,
    Meeting,
    Person,
    Phase,
    Practice,
    Role,
)
from circles.services import access, broadcasts, journeys, meetings, reviews
from circles.services.people import memberships_of
from circles.settings import normalize_language

#: Flows whose runs belong to a teacher's check-in (``/edit``, ``/checkin`` resume them).
CHECKIN_FLOWS = frozenset({"identify", "pilot", "codify"})


@dataclass
class Effect:
    """What an answer did besides being stored."""

    replies: list[Reply] = field(default_factory=list)
    stop: bool = False  # end the flow now


@dataclass
class Completion:
    """What finishing a flow did: replies, and maybe a next flow to start."""

    replies: list[Reply] = field(default_factory=list)
    begin: str | None = None
    state: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What a hook may look at."""

    session: AsyncSession
    flow: Flow
    step: Step | None
    run: FlowRun
    person: Person
    answers: dict[str, Answer]
    now: datetime


# --- suggestions and checks ---------------------------------------------------------


@cache
def _zones_by_name() -> dict[str, str]:
    zones: dict[str, str] = {}
    for zone in available_timezones():
        zones[zone.casefold()] = zone
        city = zone.rsplit("/", 1)[-1].replace("_", " ").casefold()
        zones.setdefault(city, zone)
    return zones


async def _circle_of(session: AsyncSession, person: Person) -> Circle | None:
    memberships = await memberships_of(session, person_id=person.id)
    return memberships[0][1] if memberships else None


async def suggestions(
    session: AsyncSession, *, flow: Flow, step: Step, person: Person, run: FlowRun
) -> list[str]:
    """Extra answer buttons for a typed-text step (timezones, the name Telegram gave)."""
    if step.key == "timezone":
        circle = await _circle_of(session, person)
        zones = [circle.timezone] if circle else [person.timezone]
        if circle:
            zones += get_global("territory_zones").get(circle.country, [])
        zones.append(person.timezone)
        return list(dict.fromkeys(zones))[:4]
    if step.key == "display_name":
        name = run.state.get("telegram_name") or person.display_name
        return [name] if name else []
    return []


def _parse_date(text: str) -> date:
    """2026-10-15, 15.10.2026 or 15/10/2026 (the year is needed: the season spans two)."""
    cleaned = text.strip().replace("/", ".").replace("-", ".")
    parts = [p for p in cleaned.split(".") if p]
    try:
        if len(parts) == 3 and len(parts[0]) == 4:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
        if len(parts) == 3:
            year = int(parts[2]) + (2000 if len(parts[2]) == 2 else 0)
            return date(year, int(parts[1]), int(parts[0]))
    except ValueError:
        pass
    raise InvalidAnswer(N_("Please send a date such as 2026-10-15 or 15.10.2026."))


def _parse_time(text: str) -> time:
    cleaned = text.strip().lower().replace("h", ":").replace(".", ":")
    try:
        hours, _sep, minutes = cleaned.partition(":")
        return time(int(hours), int(minutes or 0))
    except ValueError:
        raise InvalidAnswer(N_("Please send a time such as 16:30.")) from None


def current_value(step: Step, person: Person) -> str | None:
    """The choice that is already in effect for a settings question, shown with a tick."""
    if step.key == "language":
        return person.language
    if step.key == "grade_level":
        return person.grade_level
    return None


async def check(session: AsyncSession, *, flow: Flow, step: Step, text: str, person: Person) -> str:
    """Validate and normalise a typed answer for steps with special rules."""
    if step.key == "timezone":
        zone = _zones_by_name().get(
            text.strip().casefold().replace("_", " ")
        ) or _zones_by_name().get(text.strip().casefold())
        if zone is None:
            raise InvalidAnswer(
                N_(
                    "I do not know the timezone {name}. Type a name such as Europe/Zurich, "
                    "or tap one of the buttons."
                ),
                name=text,
            )
        return zone
    if flow.id == "meeting" and step.key == "date":
        return _parse_date(text).isoformat()
    if flow.id == "meeting" and step.key == "time":
        return _parse_time(text).strftime("%H:%M")
    if step.key in ("display_name", "one_word") and len(text) > 60:
        raise InvalidAnswer(
            N_("Please keep it to {limit} characters or fewer."), limit=format_number(60)
        )
    return text


# --- effects of single answers ----------------------------------------------------------


async def _consent(ctx: Context, answer: Answer | None) -> Effect:
    person = ctx.person
    if answer is not None and answer.value_choice == "agree":
        person.consent, person.consent_at = Consent.given, ctx.now
        return Effect()
    person.consent, person.consent_at = Consent.refused, ctx.now
    person.display_name = person.subjects = person.grade_level = None
    ctx.run.state = {"seq": ctx.run.state.get("seq", 0)}  # forget the name Telegram gave
    await ctx.session.execute(delete(Answer).where(Answer.flow_run_id == ctx.run.id))
    with use_language(person.language):
        text = _(
            "Understood. I keep nothing about you except that you declined. If you change "
            "your mind, send /start and answer again."
        )
    return Effect([Reply(text)], stop=True)


async def _language(ctx: Context, answer: Answer | None) -> Effect:
    chosen = normalize_language(answer.value_choice or "") if answer else None
    if chosen:
        ctx.person.language = chosen
    return Effect()


async def _profile(ctx: Context, answer: Answer | None) -> Effect:
    assert ctx.step is not None
    value = None
    if answer is not None:
        value = answer.value_choice or answer.value_text
    if ctx.step.key == "timezone" and value:
        ctx.person.timezone = value
    elif ctx.step.key == "display_name" and value:
        ctx.person.display_name = value[:120]
    elif ctx.step.key == "subjects":
        ctx.person.subjects = value[:200] if value else None
    elif ctx.step.key == "grade_level":
        ctx.person.grade_level = value
    return Effect()


_ON_ANSWER: dict[str, Callable[[Context, Answer | None], Awaitable[Effect]]] = {
    "consent": _consent,
    "language": _language,
    "timezone": _profile,
    "display_name": _profile,
    "subjects": _profile,
    "grade_level": _profile,
}
#: Flows whose steps change the person's settings (by step key).
SETTINGS_FLOWS = frozenset({"onboarding", "language", "timezone"})


async def _broadcast_audience(ctx: Context, answer: Answer | None) -> Effect:
    """Show how many people the chosen audience reaches before asking to confirm."""
    token = await ctx.session.get(ApiToken, int(ctx.run.state.get("token_id") or 0))
    if token is None or answer is None:
        return Effect()
    audience = coordinator.audience_for(token, answer.value_choice or "")
    count = await broadcasts.count_recipients(ctx.session, audience=audience)
    with use_language(ctx.person.language):
        return Effect([Reply(coordinator.reach_text(count))])


async def on_answer(
    session: AsyncSession,
    *,
    flow: Flow,
    step: Step,
    run: FlowRun,
    person: Person,
    answers: dict[str, Answer],
    now: datetime,
) -> Effect:
    """Apply an answer right away where the flow needs it (language, consent, …)."""
    if flow.id == "broadcast" and step.key == "audience":
        ctx = Context(session, flow, step, run, person, answers, now)
        return await _broadcast_audience(ctx, answers.get(step.key))
    handler = _ON_ANSWER.get(step.key) if flow.id in SETTINGS_FLOWS else None
    if handler is None:
        return Effect()
    ctx = Context(session, flow, step, run, person, answers, now)
    return await handler(ctx, answers.get(step.key))


# --- effects of finished flows ----------------------------------------------------------


def _text(answers: dict[str, Answer], key: str) -> str | None:
    answer = answers.get(key)
    if answer is None:
        return None
    return (
        answer.value_text
        or answer.value_choice
        or (None if answer.value_number is None else format_number(answer.value_number))
    )


def _choice(answers: dict[str, Answer], key: str) -> str | None:
    answer = answers.get(key)
    return answer.value_choice if answer is not None else None


async def _after_onboarding(ctx: Context, edited: bool) -> Completion:
    person = ctx.person
    if person.consent is not Consent.given:
        return Completion()
    place = await journeys.teacher_place(ctx.session, person_id=person.id)
    with use_language(person.language):
        done = _("You are all set, {name}!").format(name=person.display_name or "")
        if place is None:
            return Completion([Reply(done + " " + _("Send /help to see what you can do."))])
    inquiry = await journeys.current_inquiry(
        ctx.session, person_id=person.id, circle_id=place.circle.id
    )
    if inquiry is None:
        inquiry = await journeys.start_inquiry(
            ctx.session, person=person, circle=place.circle, now=ctx.now
        )
    checkin = await journeys.this_weeks_checkin(
        ctx.session, person=person, circle=place.circle, inquiry=inquiry, now=ctx.now
    )
    open_now = (
        checkin is not None
        and checkin.status is CheckInStatus.open
        and journeys.is_open(checkin, ctx.now)
    )
    state = {"inquiry_id": inquiry.id, "checkin_id": checkin.id if open_now else None}
    return Completion([Reply(done)], begin="identify", state=state)


async def _inquiry(ctx: Context) -> Inquiry | None:
    inquiry_id = ctx.run.state.get("inquiry_id")
    return await ctx.session.get(Inquiry, int(inquiry_id)) if inquiry_id else None


async def _after_identify(ctx: Context, edited: bool) -> Completion:
    inquiry = await _inquiry(ctx)
    if inquiry is not None:
        await journeys.set_practice(
            ctx.session,
            inquiry=inquiry,
            strategy=_choice(ctx.answers, "strategy"),
            practice=_text(ctx.answers, "practice"),
            now=ctx.now,
        )
    await journeys.mark_answered(ctx.session, checkin_id=ctx.run.checkin_id, now=ctx.now)
    return Completion()


def trend_line(ratings: list[float]) -> str:
    """ "2 → 3 → 4 ↗" for a teacher's ratings (translated label added by the caller)."""
    numbers = " → ".join(format_number(r) for r in ratings[-8:])
    if len(ratings) < 2:
        return numbers
    arrow = "↗" if ratings[-1] > ratings[-2] else "↘" if ratings[-1] < ratings[-2] else "→"
    return f"{numbers} {arrow}"


async def _after_pilot(ctx: Context, edited: bool) -> Completion:
    await journeys.mark_answered(ctx.session, checkin_id=ctx.run.checkin_id, now=ctx.now)
    inquiry = await _inquiry(ctx)
    if inquiry is None or edited:
        return Completion()
    ratings = await journeys.ratings(ctx.session, inquiry_id=inquiry.id)
    iterations = await journeys.pilot_iterations(ctx.session, inquiry_id=inquiry.id)
    replies = []
    with use_language(ctx.person.language):
        if ratings:
            replies.append(
                Reply(_("Your ratings so far: {trend}").format(trend=trend_line(ratings)))
            )
        if iterations >= journeys.CODIFY_AFTER and inquiry.phase is Phase.pilot:
            text = ngettext(
                "You have piloted your practice {count} time. Would you like to write it "
                "down for other teachers now, or keep piloting?",
                "You have piloted your practice {count} times. Would you like to write it "
                "down for other teachers now, or keep piloting?",
                iterations,
            ).format(count=format_number(iterations))
            replies.append(
                Reply(
                    text,
                    (
                        (Button(_("Codify my practice"), encode(Codify(inquiry.id))),),
                        (Button(_("Keep piloting"), encode(KeepPiloting(inquiry.id))),),
                    ),
                )
            )
    return Completion(replies)


async def _after_codify(ctx: Context, edited: bool) -> Completion:
    inquiry = await _inquiry(ctx)
    place = await journeys.teacher_place(ctx.session, person_id=ctx.person.id)
    if inquiry is not None and place is not None:
        fields = {key: _text(ctx.answers, key) for key in ctx.answers}
        size = ctx.answers.get("class_size")
        fields["class_size"] = size.value_number if size is not None else None
        fields["share_scope"] = _choice(ctx.answers, "share_scope")
        fields["show_name"] = _choice(ctx.answers, "show_name")
        fields["grade_band"] = _choice(ctx.answers, "grade_band")
        evidence = ctx.answers.get("evidence")
        fields["evidence_photos"] = [evidence.file_id] if evidence and evidence.file_id else []
        await journeys.codify(
            ctx.session,
            inquiry=inquiry,
            author=ctx.person,
            circle=place.circle,
            fields=fields,
            now=ctx.now,
        )
    await journeys.mark_answered(ctx.session, checkin_id=ctx.run.checkin_id, now=ctx.now)
    return Completion()


async def _after_reflection(ctx: Context, edited: bool) -> Completion:
    circle_id = ctx.run.state.get("circle_id")
    circle = (
        await ctx.session.get(Circle, int(circle_id))
        if circle_id
        else await _circle_of(ctx.session, ctx.person)
    )
    if circle is not None:
        await journeys.record_reflection(
            ctx.session,
            person=ctx.person,
            circle=circle,
            flow_run_id=ctx.run.id,
            meeting_id=ctx.run.meeting_id,
            learnt=_text(ctx.answers, "learnt"),
            will_change=_text(ctx.answers, "will_change"),
            one_word=_text(ctx.answers, "one_word"),
            visibility=_choice(ctx.answers, "visibility") or "facilitators",
            now=ctx.now,
        )
    return Completion()


async def _after_skip(ctx: Context, edited: bool) -> Completion:
    if ctx.run.checkin_id:
        checkin = await ctx.session.get_one(CheckIn, ctx.run.checkin_id)
        await journeys.skip_checkin(
            ctx.session, checkin=checkin, reason=_text(ctx.answers, "reason"), now=ctx.now
        )
    return Completion()


async def _after_meeting(ctx: Context, edited: bool) -> Completion:
    circle = await ctx.session.get_one(Circle, int(ctx.run.state["circle_id"]))
    day = date.fromisoformat(_text(ctx.answers, "date") or "")
    at = time.fromisoformat(_text(ctx.answers, "time") or "")
    starts = meetings.meeting_start(day, at, circle.timezone)
    moving = ctx.run.state.get("move")
    with use_language(ctx.person.language):
        try:
            if moving:
                meeting = await ctx.session.get_one(Meeting, int(moving))
                await meetings.move_meeting(
                    ctx.session, meeting=meeting, starts_at=starts, by=ctx.person, now=ctx.now
                )
                place = _text(ctx.answers, "place")
                if place:
                    is_link = place.startswith(("http://", "https://"))
                    meeting.online_url = place if is_link else None
                    meeting.place = None if is_link else place
                meeting.agenda = _text(ctx.answers, "agenda") or meeting.agenda
            else:
                meeting = await meetings.schedule_meeting(
                    ctx.session,
                    circle=circle,
                    starts_at=starts,
                    place=_text(ctx.answers, "place"),
                    agenda=_text(ctx.answers, "agenda"),
                    created_by=ctx.person,
                    now=ctx.now,
                )
        except InvalidAnswer as invalid:
            return Completion(
                [
                    Reply(
                        _(invalid.message).format(**invalid.params)
                        + " "
                        + _("Send /meeting to try again.")
                    )
                ]
            )
        told = await announcements.announce(
            ctx.session,
            meeting=meeting,
            circle=circle,
            kind="moved" if moving else "new",
            now=ctx.now,
        )
        text = ngettext(
            "The meeting is set for {when}. {count} member is told.",
            "The meeting is set for {when}. {count} members are told.",
            told,
        ).format(
            when=format_datetime(meeting.starts_at, ctx.person.timezone), count=format_number(told)
        )
    return Completion([Reply(text)])


async def _after_review_comment(ctx: Context, edited: bool) -> Completion:
    """A facilitator's comment on a practice: send the practice back to its author."""
    practice_id = int(ctx.run.state.get("practice_id") or 0)
    answer = ctx.answers.get("comment")
    comment = answer.value_text if answer is not None else None
    places = await access.member_scopes(
        ctx.session, person_id=ctx.person.id, roles=(Role.facilitator,)
    )
    practice = await ctx.session.get(Practice, practice_id) if practice_id else None
    scope = next((s for c, s in places if practice and c.id == practice.circle_id), None)
    with use_language(ctx.person.language):
        if edited or practice is None or scope is None:
            return Completion()
        if not comment:
            again = _("Please type the comment: a voice note cannot be passed on.")
            state = {"practice_id": practice.id, "resume": ctx.run.state.get("resume")}
            return Completion([Reply(again)], begin="review_comment", state=state)
        try:
            done = await reviews.request_changes(
                ctx.session, scope=scope, practice_id=practice.id, comment=comment, now=ctx.now
            )
        except DomainError as problem:
            return Completion([Reply(_(problem.message).format(**problem.params))])
        text = _("“{title}” goes back to its author with your comment.").format(
            title=practice.title
        )
        if not done.author_notified:
            text += " " + _("The author cannot be reached in the bot at the moment.")
        return Completion([Reply(text)])


async def _after_broadcast(ctx: Context, edited: bool) -> Completion:
    with use_language(ctx.person.language):
        if _choice(ctx.answers, "confirm") != "yes":
            return Completion([Reply(_("Not sent. Send /broadcast to start again."))])
        token = await coordinator.coordinator_token(ctx.session, person=ctx.person, now=ctx.now)
        text = _text(ctx.answers, "text")
        if token is None or not text:
            return Completion([Reply(_("Not sent: your coordinator token is no longer valid."))])
        item = await broadcasts.create_broadcast(
            ctx.session,
            variants={ctx.person.language: text},
            default_language=ctx.person.language,
            audience=coordinator.audience_for(token, _choice(ctx.answers, "audience") or ""),
            created_by=f"token:{token.id}",
            now=ctx.now,
        )
        queued = await broadcasts.fan_out(ctx.session, broadcast=item, now=ctx.now)
        reply = ngettext(
            "Sent: it is on its way to {count} person. /broadcasts shows how it goes.",
            "Sent: it is on its way to {count} people. /broadcasts shows how it goes.",
            queued,
        ).format(count=format_number(queued))
        return Completion([Reply(reply)])


async def _after_revise(ctx: Context, edited: bool) -> Completion:
    if edited:  # a revision is applied once; a later edit of its message changes nothing
        return Completion()
    return Completion(
        await practices.after_revise(
            ctx.session, person=ctx.person, state=ctx.run.state, answers=ctx.answers, now=ctx.now
        )
    )


async def _nothing(ctx: Context, edited: bool) -> Completion:
    return Completion()


_ON_COMPLETE: dict[str, Callable[[Context, bool], Awaitable[Completion]]] = {
    "onboarding": _after_onboarding,
    "identify": _after_identify,
    "pilot": _after_pilot,
    "codify": _after_codify,
    "reflection": _after_reflection,
    "skip": _after_skip,
    "meeting": _after_meeting,
    "broadcast": _after_broadcast,
    "review_comment": _after_review_comment,
    "revise": _after_revise,
    "language": _nothing,
    "timezone": _nothing,
}


async def on_complete(
    session: AsyncSession,
    *,
    flow: Flow,
    run: FlowRun,
    person: Person,
    answers: dict[str, Answer],
    now: datetime,
    edited: bool,
) -> Completion:
    """Do what finishing ``flow`` means."""
    ctx = Context(session, flow, None, run, person, answers, now)
    return await _ON_COMPLETE.get(flow.id, _nothing)(ctx, edited)


def known_flows() -> frozenset[str]:
    """Flow ids the hooks know how to finish (``circles flows check`` compares)."""
    return frozenset(_ON_COMPLETE)
