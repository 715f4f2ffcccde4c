"""``/dashboard``: the facilitator's and coordinator's view of their circles, in HTML.

Signed in with an API token: the form's token is checked by the token service, a
server-side session is opened (:mod:`circles.services.websessions`) and only its random
key goes into the signed session cookie. Every request checks that the session and its
token are still live: signing out, or a revoked or expired token, signs the browser out,
and a copy of the cookie stops working too. What a page shows follows the same
:class:`~circles.services.access.Scope` as the ``/v1`` routes: a circle outside it
answers 404 like one that does not exist, names need ``read_details``, reviews need
``write_circle``, and reflections are read as far as their authors allowed.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import Response
from markupsafe import Markup

from api.auth import record_use_later
from api.deps import ClockDep, SessionDep
from api.params import CircleId, Country, HolidayId, MeetingId, PracticeId
from api.web import charts
from api.web.pages import (
    SignInRequired,
    WebError,
    WebSession,
    language_of,
    page,
    percent,
    redirect,
    web_session,
)
from bot.flows import announcements
from circles.i18n import N_, _, current_language, format_number, use_language
from circles.models import Circle, Person, PracticeStatus, RsvpResponse, YearStatus
from circles.services import (
    attendance,
    dashboard,
    followups,
    holidays,
    meeting_pack,
    meetings,
    partnerships,
    peers,
    reviews,
    simulation,
    summaries,
    years,
)
from circles.services.access import Permission, Scope, circle_for, scope_of_token
from circles.services.circles import list_circles
from circles.services.sandbox import listed
from circles.services.tokens import authenticate, record_use
from circles.services.websessions import end_web_session, start_web_session, web_session_token
from circles.services.weeks import Week, WeekWindow, week_of

router = APIRouter(prefix="/dashboard", include_in_schema=False)

PHASES = (
    ("not_started", N_("not started")),
    ("identify", N_("identify")),
    ("pilot", N_("pilot")),
    ("codify", N_("codify")),
    ("in_review", N_("in review")),
    ("done", N_("done")),
)
RSVP_NAMES = {
    RsvpResponse.yes: N_("coming"),
    RsvpResponse.no: N_("not coming"),
    RsvpResponse.maybe: N_("maybe"),
}
REVIEW_QUEUE = 20
#: The newest questions of the circle's teachers shown (the API pages through them all).
QUESTIONS_SHOWN = 10
#: The session key's place in the signed cookie.
SESSION_KEY = "session"


class Viewer:
    """The signed-in token: its scope, its session and the language of its pages."""

    def __init__(
        self, scope: Scope, web: WebSession, language: str, name: str | None = None
    ) -> None:
        self.scope = scope
        self.web = web
        self.language = language
        self.name = name  # the token holder's name, when the token belongs to a person


async def get_viewer(
    request: Request, background: BackgroundTasks, session: SessionDep, clock: ClockDep
) -> Viewer:
    """The viewer of a dashboard page; to the sign-in form without a live session."""
    web, now = web_session(request), clock.now()
    key = web.get(SESSION_KEY)
    token = await web_session_token(session, key=key, now=now) if isinstance(key, str) else None
    if token is None:
        raise SignInRequired
    record_use_later(request, background, token, now)
    holder = await session.get(Person, token.person_id) if token.person_id else None
    language = language_of(request, holder.language if holder is not None else None)
    request.state.web_language = language
    return Viewer(
        scope_of_token(token), web, language, holder.display_name if holder is not None else None
    )


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


@router.get("/sign-in")
async def sign_in_form(request: Request) -> Response:
    """The sign-in form."""
    web = web_session(request)
    return page(request, web, "sign_in.html", language=language_of(request), failed=False)


@router.post("/sign-in")
async def sign_in(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    csrf: Annotated[str, Form()] = "",
    token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check the token and open a server-side session; the cookie gets only its key."""
    web, now = web_session(request), clock.now()
    web.check_csrf(csrf)
    found = await authenticate(session, secret=token.strip(), now=now) if token else None
    if found is None:
        language = language_of(request)
        return page(request, web, "sign_in.html", language=language, failed=True, status=401)
    await _end(session, web, now)
    web.set(SESSION_KEY, await start_web_session(session, token=found, now=now))
    web.set("csrf", secrets.token_urlsafe(24))  # a new session, a new form secret
    await record_use(session, token_id=found.id, now=now)
    return redirect(request, web, "/dashboard")


@router.post("/sign-out")
async def sign_out(
    request: Request, session: SessionDep, clock: ClockDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    """End the session on the server: the cookie, or any copy of it, lets nobody in."""
    web = web_session(request)
    web.check_csrf(csrf)
    await _end(session, web, clock.now())
    return redirect(request, web, "/dashboard/sign-in")


async def _end(session: SessionDep, web: WebSession, now: datetime) -> None:
    key = web.get(SESSION_KEY)
    if isinstance(key, str):
        await end_web_session(session, key=key, now=now)
    web.set(SESSION_KEY, None)
    web.set("token", None)  # what cookies from before server-side sessions held


@router.get("")
async def overview(request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep):
    """One circle's page for facilitators; circles side by side per country for the others."""
    scope, now = viewer.scope, clock.now()
    circles = [
        c for c in await list_circles(session) if scope.covers(c) and listed(c, scope.circle_ids)
    ]
    if len(circles) == 1 and not scope.may(Permission.read_across):
        return redirect(request, viewer.web, f"/dashboard/circles/{circles[0].id}")
    # The last complete week (this week has barely begun in most places) and the trend.
    week = week_of(now, "UTC").shift(-1)
    # Coordinators see how many partnerships there are per country, never who or what.
    paired = (
        (await partnerships.stats(session, scope=scope)).countries
        if scope.may(Permission.read_across)
        else None
    )
    countries = []
    for country in sorted({c.country for c in circles}):
        area = await summaries.country_summary(
            session, scope=scope, country=country, now=now, week=week
        )
        history = await summaries.circle_weeks(
            session,
            scope=scope,
            window=WeekWindow(week, summaries.TREND_WEEKS),
            now=now,
            country=country,
        )
        days_off = (
            await holidays.list_country_holidays(session, scope=scope, country=country, now=now)
            if scope.may(Permission.read_across)
            else None
        )
        pairs = None if paired is None else paired.get(country, partnerships.Counts())
        with use_language(viewer.language):
            countries.append((area, *_country_charts(area, history, week), days_off, pairs))
    return page(
        request,
        viewer.web,
        "dashboard_overview.html",
        language=viewer.language,
        countries=countries,
        week=week,
        trend_weeks=summaries.TREND_WEEKS,
        today=now.date(),
        done=request.query_params.get("done"),
    )


def _country_charts(
    area: summaries.AreaSummary, history: list[summaries.CircleWeek], week: Week
) -> tuple[Markup, Markup]:
    """The last complete week circle by circle, and the country's trend week by week."""
    names = [line.name for line in area.lines]
    rates = [line.checkins.response_rate for line in area.lines]
    last = charts.bars(
        rates,
        [name[:12] for name in names],
        title=_("Response rate in the week of {date}, circle by circle").format(
            date=format_date(week.monday, "medium", locale=current_language())
        ),
        value_labels=[percent(rate) for rate in rates],
    ) + charts.table(
        _("The numbers"),
        [_("Circle"), _("Answered"), _("Expected"), _("Response rate")],
        [
            [
                name,
                format_number(line.checkins.answered),
                format_number(line.checkins.expected),
                percent(line.checkins.response_rate),
            ]
            for name, line in zip(names, area.lines, strict=True)
        ],
    )
    by_week: dict[Week, summaries.StatusCounts] = {}
    for line in history:
        by_week[line.week] = by_week.get(line.week, summaries.StatusCounts()) + line.checkins
    weeks = WeekWindow(week, summaries.TREND_WEEKS).weeks
    counts = [by_week.get(w, summaries.StatusCounts()) for w in weeks]
    trend = _response_chart(
        weeks, [(c.answered, c.expected) for c in counts], title=_("Response rate week by week")
    )
    return last, trend


def _response_chart(weeks: list[Week], counts: list[tuple[int, int]], *, title: str) -> Markup:
    """Response rate per week from (answered, expected), as bars with values and a table."""
    labels = [_week_label(week) for week in weeks]
    rates = [answered / expected if expected else None for answered, expected in counts]
    return charts.bars(
        rates, labels, title=title, value_labels=[percent(rate) for rate in rates]
    ) + charts.table(
        _("The numbers"),
        [_("Week"), _("Answered"), _("Expected"), _("Response rate")],
        [
            [
                _("{label}, from {date}").format(
                    label=label,
                    date=format_date(week.monday, "medium", locale=current_language()),
                ),
                format_number(answered),
                format_number(expected),
                percent(rate),
            ]
            for label, week, (answered, expected), rate in zip(
                labels, weeks, counts, rates, strict=True
            )
        ],
    )


@router.get("/circles/{circle_id}")
async def circle_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    circle_id: CircleId,
) -> Response:
    """Everything a facilitator follows about one circle, on one page."""
    scope, now = viewer.scope, clock.now()
    circle = await circle_for(
        session, scope=scope, circle_id=circle_id, permission=Permission.read_summaries
    )
    now = await simulation.circle_time(session, circle=circle, now=now)
    summary = await summaries.summarise_circle(session, scope=scope, circle=circle, now=now)
    weeks = dashboard.window(circle, now)
    rates = await dashboard.weekly_response(session, scope=scope, circle=circle, weeks=weeks)
    details = scope.may(Permission.read_details)
    trends = (
        await dashboard.teacher_trends(session, scope=scope, circle=circle, weeks=weeks)
        if details
        else []
    )
    roster = await summaries.week_roster(session, circle=circle, now=now) if details else []
    requests = await followups.open_requests(session, scope=scope, circle=circle) if details else []
    upcoming = []
    if details:
        for meeting in (await meetings.upcoming_meetings(session, circle_id=circle.id, now=now))[
            :5
        ]:
            upcoming.append((meeting, await meetings.rsvp_people(session, meeting_id=meeting.id)))
    queue = (
        (
            await reviews.list_practices(
                session,
                scope=scope,
                cursor=None,
                limit=REVIEW_QUEUE,
                status=PracticeStatus.in_review,
                circle_id=circle.id,
            )
        ).items
        if scope.may(Permission.write_circle)
        else []
    )
    with use_language(viewer.language):
        response_chart = _response_chart(
            weeks,
            [(rate.answered, rate.expected) for rate in rates],
            title=_("Response rate per week"),
        )
        stages = [(_(label), summary.phases.get(key, 0)) for key, label in PHASES]
        funnel_chart = charts.funnel(stages, title=_("Where the teachers are")) + charts.table(
            _("The numbers"),
            [_("Phase"), _("Teachers")],
            [[label, format_number(count)] for label, count in stages],
        )
        ratings_chart = _ratings_chart(circle.id, weeks, trends) if trends else None
        headline = summaries.headline(summary.checkins)
    days_off = await holidays.list_holidays(session, circle=circle, now=now)
    questions = (
        (
            await peers.list_questions(session, circle=circle, cursor=None, limit=QUESTIONS_SHOWN)
        ).items
        if peers.may_read_questions(scope)
        else None
    )
    school_years = await years.list_years(session, circle=circle)
    return page(
        request,
        viewer.web,
        "dashboard_circle.html",
        language=viewer.language,
        circle=circle,
        years=school_years,
        current_year=next((y.id for y in school_years if y.status is YearStatus.open), None),
        summary=summary,
        headline=headline,
        response_chart=response_chart,
        funnel_chart=funnel_chart,
        ratings_chart=ratings_chart,
        upcoming=upcoming,
        holidays=days_off,
        today=now.astimezone(ZoneInfo(circle.timezone)).date(),
        now=now,
        local_day=lambda at: at.astimezone(ZoneInfo(circle.timezone)).date().isoformat(),
        local_time=lambda at: at.astimezone(ZoneInfo(circle.timezone)).strftime("%H:%M"),
        simulated_at=now if now != clock.now() else None,
        queue=queue,
        questions=questions,
        may_review=scope.may(Permission.write_circle),
        rsvp_names=RSVP_NAMES,
        roster=sorted(roster, key=lambda line: ((line.name or "").casefold(), line.person_id)),
        teacher_ids={line.person_id for line in roster},
        phase_names=dict(PHASES),
        strategy_labels=summaries.STRATEGY_LABELS,
        requests=requests,
        blocker_labels=summaries.BLOCKER_LABELS,
        viewer_name=viewer.name,
        done=request.query_params.get("done"),
    )


def _week_label(week: Week) -> str:
    return _("W{number}").format(number=week.number)


def _rating(value: float | None) -> str:
    if value is None:
        return "–"
    return format_decimal(round(value, 1), format="0.#", locale=current_language())


def _ratings_chart(
    circle_id: int, weeks: list[Week], trends: list[dashboard.TeacherTrend]
) -> Markup:
    """Each teacher's rating line (1–5, with its numbers), then one table of them all."""
    labels = [_week_label(week) for week in weeks]
    lines = [
        Markup(
            '<h3 class="chart-name"><a class="teacher" href="/dashboard/circles/{}/teachers/{}">'
            "{}</a></h3>"
        ).format(circle_id, trend.person_id, trend.name or "?")
        + charts.line(
            trend.means,
            labels,
            title=_("How well it worked for {name}, week by week").format(name=trend.name or "?"),
            value_labels=[_rating(mean) for mean in trend.means],
        )
        for trend in trends
    ]
    return Markup("").join(lines) + charts.table(
        _("The numbers"),
        [_("Teacher"), *labels],
        [[trend.name or "?", *(_rating(mean) for mean in trend.means)] for trend in trends],
    )


@router.post("/practices/{practice_id}/approve")
async def approve(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    practice_id: PracticeId,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Publish a practice that awaits review (the author hears it in the bot)."""
    viewer.web.check_csrf(csrf)
    reviewed = await reviews.approve_practice(
        session, scope=viewer.scope, practice_id=practice_id, now=clock.now()
    )
    return _back_to_review(request, viewer, reviewed, "approved")


@router.post("/practices/{practice_id}/changes")
async def ask_changes(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    practice_id: PracticeId,
    csrf: Annotated[str, Form()] = "",
    comment: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Send a practice back to its author with a comment."""
    viewer.web.check_csrf(csrf)
    reviewed = await reviews.request_changes(
        session, scope=viewer.scope, practice_id=practice_id, comment=comment, now=clock.now()
    )
    return _back_to_review(request, viewer, reviewed, "changes")


def _back_to_review(
    request: Request, viewer: Viewer, reviewed: reviews.Reviewed, done: str
) -> Response:
    """To the review queue of the practice's circle, saying what was done."""
    circle_id = reviewed.row.practice.circle_id
    return redirect(request, viewer.web, f"/dashboard/circles/{circle_id}?done={done}#review")


BAD_DATES = N_("Please give the first and last day as dates (YYYY-MM-DD).")
BAD_MEETING_TIME = N_("Please give the meeting's day as a date and its time as hours and minutes.")


async def _writable_circle(
    session: SessionDep, viewer: Viewer, circle_id: int, csrf: str
) -> Circle:
    """The circle a form changes, once its CSRF value and the viewer's right are checked."""
    viewer.web.check_csrf(csrf)
    return await circle_for(
        session, scope=viewer.scope, circle_id=circle_id, permission=Permission.write_circle
    )


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise WebError(422, BAD_DATES) from None


@router.post("/circles/{circle_id}/holidays")
async def add_holiday(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    circle_id: CircleId,
    csrf: Annotated[str, Form()] = "",
    starts_on: Annotated[str, Form(max_length=10)] = "",
    ends_on: Annotated[str, Form(max_length=10)] = "",
    name: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    """Add a holiday to the circle: no check-in, reminder or digest on these dates."""
    circle = await _writable_circle(session, viewer, circle_id, csrf)
    await holidays.add_holiday(
        session,
        circle=circle,
        dates=holidays.Dates(_day(starts_on), _day(ends_on), name),
        actor=viewer.scope.actor,
        now=clock.now(),
    )
    return redirect(
        request, viewer.web, f"/dashboard/circles/{circle.id}?done=holiday-added#holidays"
    )


@router.post("/circles/{circle_id}/holidays/{holiday_id}/remove")
async def remove_holiday(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    circle_id: CircleId,
    holiday_id: HolidayId,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Remove one of the circle's own holidays."""
    circle = await _writable_circle(session, viewer, circle_id, csrf)
    await holidays.remove_holiday(
        session, circle=circle, holiday_id=holiday_id, actor=viewer.scope.actor, now=clock.now()
    )
    return redirect(
        request, viewer.web, f"/dashboard/circles/{circle.id}?done=holiday-removed#holidays"
    )


def _meeting_start(circle_timezone: str, day: str, at: str) -> datetime:
    """The instant of a meeting typed as a local day and time of the circle."""
    try:
        return meetings.meeting_start(
            date.fromisoformat(day.strip()), time.fromisoformat(at.strip()), circle_timezone
        )
    except ValueError:
        raise WebError(422, BAD_MEETING_TIME) from None


@router.post("/circles/{circle_id}/meetings")
async def schedule_meeting(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    circle_id: CircleId,
    csrf: Annotated[str, Form()] = "",
    day: Annotated[str, Form(max_length=10)] = "",
    at: Annotated[str, Form(max_length=8)] = "",
    place: Annotated[str, Form(max_length=300)] = "",
    agenda: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Schedule a meeting as /meeting does in the bot: every member is invited."""
    circle = await _writable_circle(session, viewer, circle_id, csrf)
    meeting = await meetings.schedule_meeting(
        session,
        circle=circle,
        starts_at=_meeting_start(circle.timezone, day, at),
        place=place.strip() or None,
        agenda=agenda.strip() or None,
        created_by=None,
        now=clock.now(),
        actor=viewer.scope.actor,
    )
    await announcements.announce(
        session, meeting=meeting, circle=circle, kind="new", now=clock.now()
    )
    return redirect(
        request, viewer.web, f"/dashboard/circles/{circle.id}?done=meeting-scheduled#meetings"
    )


@router.post("/circles/{circle_id}/meetings/{meeting_id}/move")
async def move_meeting(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    circle_id: CircleId,
    meeting_id: MeetingId,
    csrf: Annotated[str, Form()] = "",
    day: Annotated[str, Form(max_length=10)] = "",
    at: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Move a meeting that has not begun; members are told and asked again."""
    viewer.web.check_csrf(csrf)
    circle, meeting = await attendance.meeting_to_change(
        session, scope=viewer.scope, circle_id=circle_id, meeting_id=meeting_id, now=clock.now()
    )
    await meetings.move_meeting(
        session,
        meeting=meeting,
        starts_at=_meeting_start(circle.timezone, day, at),
        by=None,
        now=clock.now(),
        actor=viewer.scope.actor,
    )
    await announcements.announce(
        session, meeting=meeting, circle=circle, kind="moved", now=clock.now()
    )
    return redirect(
        request, viewer.web, f"/dashboard/circles/{circle.id}?done=meeting-moved#meetings"
    )


@router.post("/circles/{circle_id}/meetings/{meeting_id}/cancel")
async def cancel_meeting(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    circle_id: CircleId,
    meeting_id: MeetingId,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Call off a meeting that has not begun; members are told."""
    viewer.web.check_csrf(csrf)
    circle, meeting = await attendance.meeting_to_change(
        session, scope=viewer.scope, circle_id=circle_id, meeting_id=meeting_id, now=clock.now()
    )
    await meetings.cancel_meeting(
        session, meeting=meeting, by=None, now=clock.now(), actor=viewer.scope.actor
    )
    await announcements.announce(
        session, meeting=meeting, circle=circle, kind="cancelled", now=clock.now()
    )
    return redirect(
        request, viewer.web, f"/dashboard/circles/{circle.id}?done=meeting-cancelled#meetings"
    )


@router.get("/circles/{circle_id}/meetings/{meeting_id}/pack")
async def meeting_pack_page(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    circle_id: CircleId,
    meeting_id: MeetingId,
) -> Response:
    """The meeting pack, one printable page (:mod:`circles.services.meeting_pack`)."""
    circle = await circle_for(
        session, scope=viewer.scope, circle_id=circle_id, permission=Permission.read_details
    )
    row, _rsvps = await attendance.get_meeting(session, circle=circle, meeting_id=meeting_id)
    pack = await meeting_pack.meeting_pack(
        session, scope=viewer.scope, circle=circle, meeting=row.meeting
    )
    with use_language(viewer.language):
        labels = [_week_label(week) for week, _mean in pack.ratings]
        means = [mean for _week, mean in pack.ratings]
        trend = (
            charts.line(
                means,
                labels,
                title=_("How well it worked in the circle, week by week"),
                value_labels=[_rating(mean) for mean in means],
            )
            + charts.table(
                _("The numbers"),
                [_("Week"), _("Mean rating")],
                [[label, _rating(mean)] for label, mean in zip(labels, means, strict=True)],
            )
            if any(mean is not None for mean in means)
            else None
        )
    return page(
        request,
        viewer.web,
        "meeting_pack.html",
        language=viewer.language,
        pack=pack,
        circle=circle,
        trend=trend,
        rating=_rating,
    )


@router.post("/countries/{country}/holidays")
async def add_country_holiday(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    country: Country,
    csrf: Annotated[str, Form()] = "",
    starts_on: Annotated[str, Form(max_length=10)] = "",
    ends_on: Annotated[str, Form(max_length=10)] = "",
    name: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    """Add a holiday to every circle of a country (coordinators of it, admins)."""
    viewer.web.check_csrf(csrf)
    holiday = await holidays.add_country_holiday(
        session,
        scope=viewer.scope,
        country=country,
        dates=holidays.Dates(_day(starts_on), _day(ends_on), name),
        now=clock.now(),
    )
    return redirect(
        request, viewer.web, f"/dashboard?done=holiday-added#holidays-{holiday.country}"
    )


@router.post("/countries/{country}/holidays/{holiday_id}/remove")
async def remove_country_holiday(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    country: Country,
    holiday_id: HolidayId,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Remove one of a country's holidays."""
    viewer.web.check_csrf(csrf)
    await holidays.remove_country_holiday(
        session, scope=viewer.scope, country=country, holiday_id=holiday_id, now=clock.now()
    )
    return redirect(
        request, viewer.web, f"/dashboard?done=holiday-removed#holidays-{country.upper()}"
    )
