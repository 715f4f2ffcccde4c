"""Effects with no dialogue of their own yet: checks, suggestions, settings, onboarding.

The effects registered here (see :mod:`bot.flows.effects`) are named by the flow
definitions; the engine runs them by name. Effects that belong to a domain module live
there: the inquiry journey's in :mod:`bot.flows.journey`, reflections in
:mod:`bot.flows.reflections`, revisions in :mod:`bot.flows.revisions`, broadcasts in
:mod:`bot.flows.coordinator`, scheduling a meeting in :mod:`bot.flows.meetings`.
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel.core import get_global
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.effects import Answered, Completion, Context, effect
from bot.flows.events import Say
from circles.errors import DomainError, InvalidAnswer
from circles.i18n import N_
from circles.models import (
    Answer,
    Channel,
    CheckIn,
    CheckInStatus,
    Circle,
    Consent,
    Person,
    Practice,
    Role,
)
from circles.phones import country_of_number
from circles.questions import Question
from circles.services import access, journeys, reviews
from circles.services.people import identities_of, memberships_of
from circles.settings import normalize_language
from circles.text import Part, TimeOfDay, join, lines, number, t

# --- suggestions and checks ---------------------------------------------------------


@cache
def _zones_by_name() -> dict[str, str]:
    zones: dict[str, str] = {}
    for zone in available_timezones():
        zones[zone.casefold()] = zone
        city = zone.rsplit("/", 1)[-1].replace("_", " ").casefold()
        zones.setdefault(city, zone)
    return zones


async def circle_of(session: AsyncSession, person: Person) -> Circle | None:
    memberships = await memberships_of(session, person_id=person.id)
    return memberships[0][1] if memberships else None


#: Timezone buttons offered at most.
ZONES_OFFERED = 4


def _country_zones(country: str | None) -> list[str]:
    return list(get_global("territory_zones").get(country or "", []))


@effect("nearby_timezones")
async def nearby_timezones(ctx: Context) -> list[str]:
    """Timezones to tap: the person's circles' (real circles before demo ones), the first
    of the country their WhatsApp number is from, their circles' countries' others, and the
    one in use."""
    circles = [c for _m, c in await memberships_of(ctx.session, person_id=ctx.person.id)]
    circles.sort(key=lambda circle: circle.demo)  # stable: oldest first within each
    real = [c for c in circles if not c.demo]
    numbers = [
        identity.address
        for identity in await identities_of(ctx.session, person_id=ctx.person.id)
        if identity.channel == Channel.whatsapp
    ]
    zones = [c.timezone for c in real]
    zones += [zone for n in numbers for zone in _country_zones(country_of_number(n))[:1]]
    zones += [zone for c in real for zone in _country_zones(c.country)]
    zones += [ctx.person.timezone, *(c.timezone for c in circles if c.demo)]
    return list(dict.fromkeys(zones))[:ZONES_OFFERED]


def _local_time(zone: str, now: datetime) -> TimeOfDay:
    return TimeOfDay(now.astimezone(ZoneInfo(zone)).time().replace(second=0, microsecond=0))


@effect("timezone_now")
async def timezone_now(ctx: Context) -> Part:
    """The timezone in use and its time now, above the question that changes it."""
    zone = ctx.person.timezone
    return t(
        "Your timezone now: {zone}, where it is {time}.", zone=zone, time=_local_time(zone, ctx.now)
    )


@effect("set_timezone_and_confirm")
async def set_timezone_and_confirm(ctx: Context, answer: Answer | None) -> Answered:
    """Use the chosen timezone, and say which it is and its time (a typed "Accra" becomes
    "Africa/Accra, now 14:05")."""
    await set_timezone(ctx, answer)
    zone = ctx.person.timezone
    text = t(
        "{zone}, now {time}. I will remind you at this local time.",
        zone=zone,
        time=_local_time(zone, ctx.now),
    )
    return Answered([Say(text)])


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
        raise InvalidAnswer(N_("Please keep it to {limit} characters or fewer."), limit=number(60))
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
    text = t(
        "Understood. I keep nothing about you except that you declined. If you change "
        "your mind, send /start and answer again."
    )
    return Answered([Say(text)], stop=True)


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


def answer_text(answers: dict[str, Answer], key: str) -> str | None:
    """An answer as text to store: a number written plainly ("4", "2.5"), in no locale."""
    answer = answers.get(key)
    if answer is None:
        return None
    value = answer.value_number
    plain = None if value is None else str(int(value)) if float(value).is_integer() else str(value)
    return answer.value_text or answer.value_choice or plain


def answer_choice(answers: dict[str, Answer], key: str) -> str | None:
    answer = answers.get(key)
    return answer.value_choice if answer is not None else None


@effect("finish_onboarding")
async def finish_onboarding(ctx: Context, edited: bool) -> Completion:
    """Welcome a consenting teacher and start their inquiry with the identify flow."""
    person = ctx.person
    if person.consent is not Consent.given:
        return Completion()
    place = await journeys.teacher_place(ctx.session, person_id=person.id)
    done = t("You are all set, {name}!", name=person.display_name or "")
    if place is None:
        return Completion(
            [Say(lines(done, t("Send /help to see what you can do."), separator=" "))]
        )
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
    return Completion([Say(done)], begin="identify", state=state)


def trend_line(ratings: list[float]) -> Part:
    """ "2 → 3 → 4 ↗": a teacher's ratings while piloting, the last eight, and an arrow when
    the last one went up or down (a flat end has none: "3 → 3 →" would read as unfinished).
    The caller adds the label: "Ratings: {trend}"."""
    numbers = join((number(r) for r in ratings[-8:]), " → ")
    if len(ratings) < 2 or ratings[-1] == ratings[-2]:
        return numbers
    arrow = "↗" if ratings[-1] > ratings[-2] else "↘"
    return lines(numbers, arrow, separator=" ")


@effect("skip_checkin")
async def skip_checkin(ctx: Context, edited: bool) -> Completion:
    """Skip this week's check-in with the reason given."""
    if ctx.run.checkin_id:
        checkin = await ctx.session.get_one(CheckIn, ctx.run.checkin_id)
        await journeys.skip_checkin(
            ctx.session,
            checkin=checkin,
            reason=answer_text(ctx.answers, Question.reason),
            now=ctx.now,
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
    if edited or practice is None or scope is None:
        return Completion()
    if not comment:
        again = t("Please type the comment: a voice note cannot be passed on.")
        state = {"practice_id": practice.id, "resume": ctx.run.state.get("resume")}
        return Completion([Say(again)], begin="review_comment", state=state)
    try:
        done = await reviews.request_changes(
            ctx.session, scope=scope, practice_id=practice.id, comment=comment, now=ctx.now
        )
    except DomainError as problem:
        return Completion([Say(t(problem.message, **problem.params))])
    text = lines(
        t("“{title}” goes back to its author with your comment.", title=practice.title),
        None
        if done.author_notified
        else t("The author cannot be reached in the bot at the moment."),
        separator=" ",
    )
    return Completion([Say(text)])
