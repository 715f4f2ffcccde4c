"""What the scripted flows do besides storing answers: settings, inquiries, practices.

The effects registered here (see :mod:`bot.flows.effects`) are named by the flow
definitions; the engine runs them by name. Effects that belong to another dialogue
module live there (broadcasts in :mod:`bot.flows.coordinator`, revisions in
:mod:`bot.flows.practices`, scheduling a meeting in :mod:`bot.flows.meetings`).
"""

from __future__ import annotations

from datetime import date, time
from functools import cache
from zoneinfo import available_timezones

from babel.core import get_global
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.buttons import Codify, KeepPiloting, encode
from bot.flows.effects import Answered, Completion, Context, effect
from bot.flows.messages import Button, Reply
from circles.errors import DomainError, InvalidAnswer
from circles.i18n import N_, _, format_number, ngettext, use_language
from circles.models import (
    Answer,
    CheckIn,
    CheckInStatus,
    Circle,
    Consent,
    Inquiry,
    Person,
    Phase,
    Practice,
    Role,
)
from circles.questions import Question
from circles.services import access, journeys, reviews
from circles.services.people import memberships_of
from circles.settings import normalize_language

#: Flows whose runs belong to a teacher's check-in (``/edit``, ``/checkin`` resume them).
CHECKIN_FLOWS = frozenset({"identify", "pilot", "codify"})


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


@effect("nearby_timezones")
async def nearby_timezones(ctx: Context) -> list[str]:
    """The circle's timezone, its country's others and the person's own, as buttons."""
    circle = await _circle_of(ctx.session, ctx.person)
    zones = [circle.timezone] if circle else [ctx.person.timezone]
    if circle:
        zones += get_global("territory_zones").get(circle.country, [])
    zones.append(ctx.person.timezone)
    return list(dict.fromkeys(zones))[:4]


@effect("telegram_name")
async def telegram_name(ctx: Context) -> list[str]:
    """The name Telegram gave (or the one already set), as a button."""
    name = ctx.run.state.get("telegram_name") or ctx.person.display_name
    return [name] if name else []


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


@effect("language_in_use")
async def language_in_use(ctx: Context) -> str | None:
    """The language the bot uses with the person now, ticked."""
    return ctx.person.language


@effect("grade_level_set")
async def grade_level_set(ctx: Context) -> str | None:
    """The grade level the person gave before, ticked."""
    return ctx.person.grade_level


@effect("timezone_name")
async def timezone_name(ctx: Context, text: str) -> str:
    """A timezone typed by name or city, normalised to its IANA name."""
    zone = _zones_by_name().get(text.strip().casefold().replace("_", " ")) or _zones_by_name().get(
        text.strip().casefold()
    )
    if zone is None:
        raise InvalidAnswer(
            N_(
                "I do not know the timezone {name}. Type a name such as Europe/Zurich, "
                "or tap one of the buttons."
            ),
            name=text,
        )
    return zone


@effect("meeting_date")
async def meeting_date(ctx: Context, text: str) -> str:
    """A typed meeting date, as an ISO date."""
    return _parse_date(text).isoformat()


@effect("meeting_time")
async def meeting_time(ctx: Context, text: str) -> str:
    """A typed meeting time, as HH:MM."""
    return _parse_time(text).strftime("%H:%M")


@effect("at_most_60_characters")
async def at_most_60_characters(ctx: Context, text: str) -> str:
    """A short name or word: at most 60 characters."""
    if len(text) > 60:
        raise InvalidAnswer(
            N_("Please keep it to {limit} characters or fewer."), limit=format_number(60)
        )
    return text


# --- effects of single answers ----------------------------------------------------------


@effect("record_consent")
async def record_consent(ctx: Context, answer: Answer | None) -> Answered:
    """Agreeing records consent; declining forgets everything but the refusal and ends."""
    person = ctx.person
    if answer is not None and answer.value_choice == "agree":
        person.consent, person.consent_at = Consent.given, ctx.now
        return Answered()
    person.consent, person.consent_at = Consent.refused, ctx.now
    person.display_name = person.subjects = person.grade_level = None
    ctx.run.state = {"seq": ctx.run.state.get("seq", 0)}  # forget the name Telegram gave
    await ctx.session.execute(delete(Answer).where(Answer.flow_run_id == ctx.run.id))
    with use_language(person.language):
        text = _(
            "Understood. I keep nothing about you except that you declined. If you change "
            "your mind, send /start and answer again."
        )
    return Answered([Reply(text)], stop=True)


@effect("set_language")
async def set_language(ctx: Context, answer: Answer | None) -> Answered:
    """Switch to the chosen language at once (the next question is already in it)."""
    chosen = normalize_language(answer.value_choice or "") if answer else None
    if chosen:
        ctx.person.language = chosen
    return Answered()


def _given(answer: Answer | None) -> str | None:
    return (answer.value_choice or answer.value_text) if answer is not None else None


@effect("set_timezone")
async def set_timezone(ctx: Context, answer: Answer | None) -> Answered:
    """Use the chosen timezone from now on."""
    value = _given(answer)
    if value:
        ctx.person.timezone = value
    return Answered()


@effect("set_display_name")
async def set_display_name(ctx: Context, answer: Answer | None) -> Answered:
    """Call the person by the name they gave."""
    value = _given(answer)
    if value:
        ctx.person.display_name = value[:120]
    return Answered()


@effect("set_subjects")
async def set_subjects(ctx: Context, answer: Answer | None) -> Answered:
    """Record the subjects taught (a skip clears them)."""
    value = _given(answer)
    ctx.person.subjects = value[:200] if value else None
    return Answered()


@effect("set_grade_level")
async def set_grade_level(ctx: Context, answer: Answer | None) -> Answered:
    """Record the grade level taught (a skip clears it)."""
    ctx.person.grade_level = _given(answer)
    return Answered()


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


@effect("finish_onboarding")
async def finish_onboarding(ctx: Context, edited: bool) -> Completion:
    """Welcome a consenting teacher and start their inquiry with the identify flow."""
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


@effect("record_practice_choice")
async def record_practice_choice(ctx: Context, edited: bool) -> Completion:
    """Record the inquiry's strategy and practice; the check-in is answered."""
    inquiry = await _inquiry(ctx)
    if inquiry is not None:
        await journeys.set_practice(
            ctx.session,
            inquiry=inquiry,
            strategy=_choice(ctx.answers, Question.strategy),
            practice=_text(ctx.answers, Question.practice),
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


@effect("record_pilot_week")
async def record_pilot_week(ctx: Context, edited: bool) -> Completion:
    """Mark the week answered; show the ratings trend and, when due, offer to codify."""
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


@effect("codify_practice")
async def codify_practice(ctx: Context, edited: bool) -> Completion:
    """Write the practice down for the repository; the check-in is answered."""
    inquiry = await _inquiry(ctx)
    place = await journeys.teacher_place(ctx.session, person_id=ctx.person.id)
    if inquiry is not None and place is not None:
        fields = {key: _text(ctx.answers, key) for key in ctx.answers}
        size = ctx.answers.get(Question.class_size)
        fields[Question.class_size] = size.value_number if size is not None else None
        fields[Question.share_scope] = _choice(ctx.answers, Question.share_scope)
        fields[Question.show_name] = _choice(ctx.answers, Question.show_name)
        fields[Question.grade_band] = _choice(ctx.answers, Question.grade_band)
        evidence = ctx.answers.get(Question.evidence)
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


@effect("record_reflection")
async def record_reflection(ctx: Context, edited: bool) -> Completion:
    """Store a member's reflection on a meeting."""
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
            learnt=_text(ctx.answers, Question.learnt),
            will_change=_text(ctx.answers, Question.will_change),
            one_word=_text(ctx.answers, Question.one_word),
            visibility=_choice(ctx.answers, Question.visibility) or "facilitators",
            now=ctx.now,
        )
    return Completion()


@effect("skip_checkin")
async def skip_checkin(ctx: Context, edited: bool) -> Completion:
    """Skip this week's check-in with the reason given."""
    if ctx.run.checkin_id:
        checkin = await ctx.session.get_one(CheckIn, ctx.run.checkin_id)
        await journeys.skip_checkin(
            ctx.session, checkin=checkin, reason=_text(ctx.answers, Question.reason), now=ctx.now
        )
    return Completion()


@effect("send_back_for_changes")
async def send_back_for_changes(ctx: Context, edited: bool) -> Completion:
    """A facilitator's comment on a practice: send the practice back to its author."""
    practice_id = int(ctx.run.state.get("practice_id") or 0)
    answer = ctx.answers.get(Question.comment)
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
