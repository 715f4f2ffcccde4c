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
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import Response

from api.auth import record_use_later
from api.deps import ClockDep, SessionDep
from api.params import CircleId, HolidayId, PracticeId
from api.web import charts
from api.web.pages import (
    SignInRequired,
    WebError,
    WebSession,
    language_of,
    page,
    redirect,
    web_session,
)
from circles.i18n import N_, _, use_language
from circles.models import ApiToken, Person, PracticeStatus, RsvpResponse
from circles.services import (
    dashboard,
    holidays,
    meetings,
    peers,
    reviews,
    simulation,
    summaries,
)
from circles.services.access import Permission, Scope, circle_for, scope_of_token
from circles.services.circles import list_circles
from circles.services.sandbox import listed
from circles.services.tokens import authenticate, record_use
from circles.services.websessions import end_web_session, start_web_session, web_session_token
from circles.services.weeks import Week

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

    def __init__(self, scope: Scope, web: WebSession, language: str) -> None:
        self.scope = scope
        self.web = web
        self.language = language


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
    language = language_of(request, await _holder_language(session, token))
    request.state.web_language = language
    return Viewer(scope_of_token(token), web, language)


async def _holder_language(session: SessionDep, token: ApiToken) -> str | None:
    person = await session.get(Person, token.person_id) if token.person_id else None
    return person.language if person is not None else None


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
    countries = []
    for country in sorted({c.country for c in circles}):
        area = await summaries.country_summary(session, scope=scope, country=country, now=now)
        with use_language(viewer.language):
            chart = charts.bars(
                [line.checkins.response_rate for line in area.lines],
                [line.name[:12] for line in area.lines],
                title=_("Response rate this week, circle by circle"),
            )
        countries.append((area, chart))
    return page(
        request,
        viewer.web,
        "dashboard_overview.html",
        language=viewer.language,
        countries=countries,
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
    upcoming = []
    if details:
        for meeting in (await meetings.upcoming_meetings(session, circle_id=circle.id, now=now))[
            :5
        ]:
            upcoming.append((meeting, await meetings.rsvp_counts(session, meeting_id=meeting.id)))
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
        labels = [_week_label(week) for week in weeks]
        response_chart = charts.bars(
            [rate.rate for rate in rates], labels, title=_("Response rate per week")
        )
        funnel_chart = charts.funnel(
            [(_(label), summary.phases.get(key, 0)) for key, label in PHASES],
            title=_("Where the teachers are"),
        )
        sparklines = [
            (trend, charts.sparkline(trend.means, title=_("How well it worked, week by week")))
            for trend in trends
        ]
        headline = summaries.headline(summary.checkins)
    days_off = await holidays.list_holidays(session, circle=circle, now=now)
    questions = (
        (
            await peers.list_questions(session, circle=circle, cursor=None, limit=QUESTIONS_SHOWN)
        ).items
        if peers.may_read_questions(scope)
        else None
    )
    return page(
        request,
        viewer.web,
        "dashboard_circle.html",
        language=viewer.language,
        circle=circle,
        summary=summary,
        headline=headline,
        response_chart=response_chart,
        funnel_chart=funnel_chart,
        sparklines=sparklines,
        upcoming=upcoming,
        holidays=days_off,
        today=now.astimezone(ZoneInfo(circle.timezone)).date(),
        simulated_at=now if now != clock.now() else None,
        queue=queue,
        questions=questions,
        may_review=scope.may(Permission.write_circle),
        rsvp_names=RSVP_NAMES,
        done=request.query_params.get("done"),
    )


def _week_label(week: Week) -> str:
    return _("W{number}").format(number=week.number)


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
    viewer.web.check_csrf(csrf)
    circle = await circle_for(
        session, scope=viewer.scope, circle_id=circle_id, permission=Permission.write_circle
    )
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
    viewer.web.check_csrf(csrf)
    circle = await circle_for(
        session, scope=viewer.scope, circle_id=circle_id, permission=Permission.write_circle
    )
    await holidays.remove_holiday(
        session, circle=circle, holiday_id=holiday_id, actor=viewer.scope.actor, now=clock.now()
    )
    return redirect(
        request, viewer.web, f"/dashboard/circles/{circle.id}?done=holiday-removed#holidays"
    )
