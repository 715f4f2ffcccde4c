"""``/v1/sessions``: exchange sessions across circles, for a broadcast's audience.

Coordinators and admins schedule, change and cancel them; every invitee is told in the
bot, in their language and timezone (:mod:`bot.flows.exchange_sessions`). Times are
instants with their UTC offset. A coordinator limited to some countries invites only
there (an audience without countries means theirs) and sees only such sessions.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, Field

from api.auth import ScopeDep
from api.deps import ClockDep, SessionDep
from api.params import BODY, READ, SessionId
from api.routers.broadcasts import AudienceIn
from api.schemas import NO_NUL, examples
from bot.flows import exchange_sessions as news
from circles.models import ExchangeSession, MeetingStatus, RsvpResponse
from circles.services import exchange_sessions

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])


class SessionIn(BaseModel):
    """A session to schedule: a title, a start and an end, a link or a place, an audience."""

    model_config = examples(
        {
            "title": "Feedback that moves learning: three countries compare",
            "starts_at": "2026-11-05T11:00:00Z",
            "ends_at": "2026-11-05T12:30:00Z",
            "place": "https://meet.example.org/exchange",
            "audience": {"hub_ids": [1], "roles": ["teacher", "facilitator"]},
        },
        extra="forbid",
    )

    title: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    place: str | None = Field(default=None, max_length=300, pattern=NO_NUL)
    audience: AudienceIn = AudienceIn()


class SessionChange(BaseModel):
    """What changes; a new start without an end keeps the session's length."""

    model_config = examples(
        {"starts_at": "2026-11-06T11:00:00Z"}, {"place": "Room 2, Teachers' centre"}, extra="forbid"
    )

    title: str | None = Field(default=None, min_length=1, max_length=200, pattern=NO_NUL)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    place: str | None = Field(default=None, max_length=300, pattern=NO_NUL)


class SessionOut(BaseModel):
    """A session as stored."""

    id: int
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str | None
    online_url: str | None
    status: MeetingStatus
    audience: dict
    created_at: dt.datetime

    @classmethod
    def of(cls, found: ExchangeSession) -> SessionOut:
        return cls.model_validate(found, from_attributes=True)


class AttendanceLineOut(BaseModel):
    """Answers in one circle or country."""

    key: str
    name: str
    country: str
    invited: int
    yes: int
    maybe: int
    no: int
    reflections: int

    @classmethod
    def of(cls, line: exchange_sessions.AttendanceLine) -> AttendanceLineOut:
        return cls(
            key=line.key,
            name=line.name,
            country=line.country,
            invited=line.invited,
            yes=line.responses[RsvpResponse.yes],
            maybe=line.responses[RsvpResponse.maybe],
            no=line.responses[RsvpResponse.no],
            reflections=line.reflections,
        )


class AttendanceOut(BaseModel):
    """A session's attendance per circle and per country (the circles the token covers)."""

    session: SessionOut
    circles: list[AttendanceLineOut]
    countries: list[AttendanceLineOut]


@router.get("", response_model=list[SessionOut], responses=READ)
async def list_sessions(
    scope: ScopeDep, session: SessionDep, clock: ClockDep, upcoming: bool = False
) -> list[SessionOut]:
    """Sessions soonest first (``upcoming``: only those not yet ended)."""
    found = await exchange_sessions.list_sessions(
        session, scope=scope, upcoming_from=clock.now() if upcoming else None
    )
    return [SessionOut.of(s) for s in found]


@router.post("", response_model=SessionOut, status_code=201, responses=BODY)
async def create_session(
    body: SessionIn, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> SessionOut:
    """Schedule a session; every invitee is told in the bot with yes / maybe / no."""
    found = await exchange_sessions.create_session(
        session,
        scope=scope,
        title=body.title,
        audience=body.audience.audience(),
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        place=body.place,
        now=clock.now(),
    )
    await news.announce(session, found=found, kind="new", now=clock.now())
    return SessionOut.of(found)


@router.get("/{session_id}", response_model=SessionOut, responses=READ)
async def get_session(session_id: SessionId, scope: ScopeDep, session: SessionDep) -> SessionOut:
    """One session."""
    return SessionOut.of(
        await exchange_sessions.get_session(session, scope=scope, session_id=session_id)
    )


@router.patch("/{session_id}", response_model=SessionOut, responses=BODY)
async def change_session(
    session_id: SessionId,
    body: SessionChange,
    scope: ScopeDep,
    session: SessionDep,
    clock: ClockDep,
) -> SessionOut:
    """Change a session that has not begun; a new time is news to every invitee, who
    is asked again whether they come."""
    found, moved = await exchange_sessions.change_session(
        session,
        scope=scope,
        session_id=session_id,
        now=clock.now(),
        title=body.title,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        place=body.place,
    )
    if moved:
        await news.announce(session, found=found, kind="moved", now=clock.now())
    return SessionOut.of(found)


@router.post("/{session_id}/cancel", response_model=SessionOut, responses=BODY)
async def cancel_session(
    session_id: SessionId, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> SessionOut:
    """Call off a session that has not begun; invitees are told."""
    found = await exchange_sessions.cancel_session(
        session, scope=scope, session_id=session_id, now=clock.now()
    )
    await news.announce(session, found=found, kind="cancelled", now=clock.now())
    return SessionOut.of(found)


@router.get("/{session_id}/attendance", response_model=AttendanceOut, responses=READ)
async def attendance(session_id: SessionId, scope: ScopeDep, session: SessionDep) -> AttendanceOut:
    """Invited, yes, maybe, no and reflections per circle and per country."""
    seen = await exchange_sessions.attendance(session, scope=scope, session_id=session_id)
    return AttendanceOut(
        session=SessionOut.of(seen.session),
        circles=[AttendanceLineOut.of(line) for line in seen.circles],
        countries=[AttendanceLineOut.of(line) for line in seen.countries],
    )
