"""Exchange sessions across circles: a coordinator's session for a broadcast's audience.

A session has a title, a start and an end (UTC instants: each reader sees them in their
own timezone), a link or a place, and an :class:`~circles.services.broadcasts.Audience`
(circles, countries, hubs, roles, languages). Its invitees are the audience's
consenting members *now*: someone who joins a circle of the audience later is invited to
the reminders too. Each invitee answers yes / maybe / no once (a change replaces the
answer); the answer keeps the circle they were invited through, so coordinators read
attendance per circle and per country. After the session, those who said yes or maybe
are asked the circle meeting's reflection (its rows carry the session's id).

Coordinators and admins create, move and cancel sessions; facilitators may not (403).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import Conflict, Forbidden, InvalidAnswer, NotFound
from circles.i18n import N_
from circles.models import (
    Circle,
    ExchangeSession,
    MeetingStatus,
    Membership,
    Person,
    Reflection,
    RsvpResponse,
    SessionRsvp,
)
from circles.services.access import Permission, Scope, visible_circle
from circles.services.audit import record_audit
from circles.services.broadcasts import Audience, check_audience, in_audience
from circles.services.hubs import get_hub
from circles.services.meetings import FURTHEST_AHEAD, REFLECTION_WINDOW, TOO_FAR_AHEAD
from circles.services.scheduling import reachable

#: Sessions last at least this long and at most this long.
SHORTEST, LONGEST = timedelta(minutes=15), timedelta(hours=12)
NO_SUCH_SESSION = N_("There is no session with this id.")


@dataclass(frozen=True)
class Invitee:
    """Someone a session invites, with the circle they are invited through."""

    person: Person
    circle: Circle


@dataclass
class AttendanceLine:
    """Answers in one circle or one country."""

    key: str
    name: str
    country: str
    invited: int = 0
    responses: dict[RsvpResponse, int] = field(
        default_factory=lambda: dict.fromkeys(RsvpResponse, 0)
    )
    reflections: int = 0


@dataclass(frozen=True)
class Attendance:
    """A session's answers per circle and per country (the circles the reader covers)."""

    session: ExchangeSession
    circles: list[AttendanceLine]
    countries: list[AttendanceLine]


def _check(
    title: str, starts_at: datetime, ends_at: datetime, now: datetime, place: str | None = None
) -> None:
    if not title.strip() or len(title) > 200:
        raise InvalidAnswer(N_("A session needs a title of 1 to 200 characters."))
    # PostgreSQL text cannot hold NUL (SQLite can): refuse it at every door alike.
    if "\x00" in title or (place and "\x00" in place):
        raise InvalidAnswer(N_("The title and the place cannot contain NUL characters."))
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidAnswer(N_("Give the times with their UTC offset."))
    if starts_at <= now:
        raise InvalidAnswer(N_("The session must be in the future."))
    if starts_at > now + FURTHEST_AHEAD:
        raise InvalidAnswer(TOO_FAR_AHEAD)
    if not SHORTEST <= ends_at - starts_at <= LONGEST:
        raise InvalidAnswer(N_("A session ends 15 minutes to 12 hours after it starts."))


async def _check_audience(session: AsyncSession, scope: Scope, audience: Audience) -> Audience:
    """The audience, kept to the coordinator's countries; an empty one is refused."""
    if not (audience.circle_ids or audience.countries or audience.hub_ids):
        raise InvalidAnswer(N_("A session needs an audience: circles, countries or hubs."))
    audience = replace(audience, countries=tuple(c.upper() for c in audience.countries))
    await check_audience(session, audience)
    for circle_id in audience.circle_ids:
        try:
            await visible_circle(session, scope=scope, circle_id=circle_id)
        except NotFound:
            raise InvalidAnswer(
                N_("There is no circle with the id {id}."), id=str(circle_id)
            ) from None
    for hub_id in audience.hub_ids:
        try:
            await get_hub(session, scope=scope, hub_id=hub_id)
        except NotFound:
            raise InvalidAnswer(N_("There is no hub with the id {id}."), id=str(hub_id)) from None
    if scope.countries is not None:
        asked = {c.upper() for c in audience.countries}
        if asked - scope.countries:
            raise Forbidden(
                N_("Your token does not cover circles in {country}."),
                country=", ".join(sorted(asked - scope.countries)),
            )
        if not asked:
            audience = Audience(
                audience.circle_ids,
                tuple(sorted(scope.countries)),
                audience.roles,
                audience.languages,
                audience.hub_ids,
            )
    return audience


async def create_session(
    session: AsyncSession,
    *,
    scope: Scope,
    title: str,
    audience: Audience,
    starts_at: datetime,
    ends_at: datetime,
    place: str | None,
    now: datetime,
) -> ExchangeSession:
    """Schedule a session for ``audience`` (coordinators, admins); a link or a place."""
    scope.require(Permission.manage_circles)
    _check(title, starts_at, ends_at, now, place)
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    audience = await _check_audience(session, scope, audience)
    url = place if place and place.startswith(("http://", "https://")) else None
    found = ExchangeSession(
        title=title.strip(),
        audience=audience.as_json(),
        starts_at=starts_at,
        ends_at=ends_at,
        place=None if url else place,
        online_url=url,
        created_by=scope.actor,
        created_at=now,
    )
    session.add(found)
    await session.flush()
    await _audit(session, found, action="session.create", actor=scope.actor, now=now)
    return found


async def get_session(session: AsyncSession, *, scope: Scope, session_id: int) -> ExchangeSession:
    """One session (coordinators, admins)."""
    scope.require(Permission.manage_circles)
    found = await session.get(ExchangeSession, session_id)
    if found is None or not _sees(scope, found):
        raise NotFound(NO_SUCH_SESSION)
    return found


def _sees(scope: Scope, found: ExchangeSession) -> bool:
    """Whether a coordinator limited to some countries sees ``found``: its audience names
    countries, all of theirs (as broadcasts)."""
    if scope.countries is None:
        return True
    countries = set(found.audience.get("countries", []))
    return bool(countries) and countries <= scope.countries


async def list_sessions(
    session: AsyncSession, *, scope: Scope, upcoming_from: datetime | None = None
) -> list[ExchangeSession]:
    """Sessions soonest first (only those not yet ended when ``upcoming_from`` is given)."""
    scope.require(Permission.manage_circles)
    query = select(ExchangeSession).order_by(ExchangeSession.starts_at, ExchangeSession.id)
    if upcoming_from is not None:
        query = query.where(ExchangeSession.ends_at > upcoming_from)
    return [found for found in await session.scalars(query) if _sees(scope, found)]


def changeable(found: ExchangeSession, now: datetime) -> ExchangeSession:
    """``found``, if it may still be moved or cancelled: scheduled and not yet begun."""
    if found.status is not MeetingStatus.scheduled:
        raise Conflict(N_("This session is cancelled: it can no longer be changed."))
    if found.starts_at <= now:
        raise Conflict(N_("This session has begun: it can no longer be moved or cancelled."))
    return found


async def change_session(
    session: AsyncSession,
    *,
    scope: Scope,
    session_id: int,
    now: datetime,
    title: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    place: str | None = None,
) -> tuple[ExchangeSession, bool]:
    """Change a session that has not begun; True when its time moved (the answers are
    asked again, as for a moved meeting)."""
    found = changeable(await get_session(session, scope=scope, session_id=session_id), now)
    new_start = starts_at or found.starts_at
    new_end = ends_at or (new_start + (found.ends_at - found.starts_at))
    new_title = found.title if title is None else title
    _check(new_title, new_start, new_end, now, place)
    new_start, new_end = new_start.astimezone(UTC), new_end.astimezone(UTC)
    moved = (new_start, new_end) != (found.starts_at, found.ends_at)
    found.title, found.starts_at, found.ends_at = new_title.strip(), new_start, new_end
    if place is not None:
        url = place if place.startswith(("http://", "https://")) else None
        found.online_url, found.place = url, None if url else (place or None)
    if moved:
        for rsvp in await session.scalars(
            select(SessionRsvp).where(SessionRsvp.session_id == found.id)
        ):
            await session.delete(rsvp)
    await _audit(session, found, action="session.change", actor=scope.actor, now=now)
    await session.flush()
    return found, moved


async def cancel_session(
    session: AsyncSession, *, scope: Scope, session_id: int, now: datetime
) -> ExchangeSession:
    """Call a session off that has not begun."""
    found = changeable(await get_session(session, scope=scope, session_id=session_id), now)
    found.status = MeetingStatus.cancelled
    await _audit(session, found, action="session.cancel", actor=scope.actor, now=now)
    await session.flush()
    return found


# --- invitees, answers, reminders -------------------------------------------------------


async def invitees(
    session: AsyncSession, *, found: ExchangeSession, now: datetime, person_id: int | None = None
) -> list[Invitee]:
    """Who the session invites and can be told now (each once, through their first
    circle of the audience); ``person_id`` keeps one person."""
    query = (
        select(Person, Circle)
        .join(Membership, Membership.person_id == Person.id)
        .join(Circle, Circle.id == Membership.circle_id)
        .where(reachable(now))
        .order_by(Person.id, Circle.id)
    )
    if person_id is not None:
        query = query.where(Person.id == person_id)
    query = in_audience(query, Audience.from_json(found.audience))
    seen: dict[int, Invitee] = {}
    for person, circle in (await session.execute(query)).all():
        seen.setdefault(person.id, Invitee(person, circle))
    return list(seen.values())


async def session_for_invitee(
    session: AsyncSession, *, person: Person, session_id: int, now: datetime
) -> tuple[ExchangeSession, Invitee]:
    """A session that invites ``person`` (any other id: the same :class:`NotFound`)."""
    found = await session.get(ExchangeSession, session_id)
    mine = found and await invitees(session, found=found, now=now, person_id=person.id)
    if found is None or not mine:
        raise NotFound(NO_SUCH_SESSION)
    return found, mine[0]


async def answer_session(
    session: AsyncSession,
    *,
    person: Person,
    session_id: int,
    response: RsvpResponse,
    now: datetime,
) -> ExchangeSession:
    """Record (or change) an invitee's answer to a session that has not begun."""
    found, invitee = await session_for_invitee(
        session, person=person, session_id=session_id, now=now
    )
    if found.status is not MeetingStatus.scheduled:
        raise Conflict(N_("This session was cancelled."))
    if found.starts_at <= now:
        raise Conflict(N_("This session is no longer open for answers."))
    rsvp = await session.scalar(
        select(SessionRsvp).where(
            SessionRsvp.session_id == found.id, SessionRsvp.person_id == person.id
        )
    )
    if rsvp is None:
        rsvp = SessionRsvp(session_id=found.id, person_id=person.id, response=response)
        session.add(rsvp)
    rsvp.response, rsvp.responded_at = response, now
    rsvp.circle_id = invitee.circle.id
    await session.flush()
    return found


async def upcoming_for(
    session: AsyncSession, *, person: Person, now: datetime
) -> list[tuple[ExchangeSession, RsvpResponse | None]]:
    """Scheduled sessions that invite ``person`` and have not started, with their answer."""
    found = []
    for upcoming in await session.scalars(
        select(ExchangeSession)
        .where(ExchangeSession.status == MeetingStatus.scheduled, ExchangeSession.starts_at > now)
        .order_by(ExchangeSession.starts_at, ExchangeSession.id)
    ):
        if await invitees(session, found=upcoming, now=now, person_id=person.id):
            answer = await session.scalar(
                select(SessionRsvp.response).where(
                    SessionRsvp.session_id == upcoming.id, SessionRsvp.person_id == person.id
                )
            )
            found.append((upcoming, answer))
    return found


async def due_reminders(
    session: AsyncSession, *, now: datetime, ahead: timedelta
) -> list[tuple[ExchangeSession, Invitee]]:
    """Sessions starting within ``ahead``, with each invitee who did not say no."""
    due = []
    for found in await session.scalars(
        select(ExchangeSession).where(
            ExchangeSession.status == MeetingStatus.scheduled,
            ExchangeSession.starts_at > now,
            ExchangeSession.starts_at <= now + ahead,
        )
    ):
        said_no = set(
            await session.scalars(
                select(SessionRsvp.person_id).where(
                    SessionRsvp.session_id == found.id,
                    SessionRsvp.response == RsvpResponse.no,
                )
            )
        )
        due += [
            (found, invitee)
            for invitee in await invitees(session, found=found, now=now)
            if invitee.person.id not in said_no
        ]
    return due


async def due_reflections(
    session: AsyncSession, *, now: datetime
) -> list[tuple[ExchangeSession, Person]]:
    """Those who said yes or maybe to a session that ended recently."""
    rows = await session.execute(
        select(ExchangeSession, Person)
        .join(SessionRsvp, SessionRsvp.session_id == ExchangeSession.id)
        .join(Person, Person.id == SessionRsvp.person_id)
        .where(
            ExchangeSession.status == MeetingStatus.scheduled,
            ExchangeSession.ends_at <= now,
            ExchangeSession.ends_at > now - REFLECTION_WINDOW,
            SessionRsvp.response.in_([RsvpResponse.yes, RsvpResponse.maybe]),
            reachable(now),
        )
    )
    return [(s, p) for s, p in rows.all()]


async def reflection_to_start(
    session: AsyncSession, *, person: Person, session_id: int, now: datetime
) -> SessionRsvp:
    """The answer of someone who came to a session that has ended and who has not begun
    their reflection on it (anything else: :class:`NotFound`)."""
    found = await session.get(ExchangeSession, session_id)
    rsvp = await session.scalar(
        select(SessionRsvp).where(
            SessionRsvp.session_id == session_id, SessionRsvp.person_id == person.id
        )
    )
    if (
        found is None
        or rsvp is None
        or found.ends_at > now
        or found.status is not MeetingStatus.scheduled
        or rsvp.response is RsvpResponse.no
        or rsvp.reflection_run_id is not None
        or rsvp.circle_id is None
    ):
        raise NotFound(NO_SUCH_SESSION)
    return rsvp


# --- attendance -------------------------------------------------------------------------


async def attendance(session: AsyncSession, *, scope: Scope, session_id: int) -> Attendance:
    """Invited, yes, maybe, no and reflections per circle and per country (the circles
    the scope covers; an invitee counts in their first circle of the audience)."""
    found = await get_session(session, scope=scope, session_id=session_id)
    audience = Audience.from_json(found.audience)
    members = in_audience(
        select(Person.id, func.min(Circle.id))
        .join(Membership, Membership.person_id == Person.id)
        .join(Circle, Circle.id == Membership.circle_id)
        .group_by(Person.id),
        audience,
    )
    first_circle = {pid: cid for pid, cid in (await session.execute(members)).all()}
    circles = {
        c.id: c
        for c in await session.scalars(
            select(Circle).where(Circle.id.in_(set(first_circle.values())), scope.circle_clause())
        )
    }
    lines: dict[int, AttendanceLine] = {
        cid: AttendanceLine(str(cid), c.name, c.country) for cid, c in sorted(circles.items())
    }
    for cid in first_circle.values():
        if cid in lines:
            lines[cid].invited += 1
    for response, circle_id in (
        await session.execute(
            select(SessionRsvp.response, SessionRsvp.circle_id).where(
                SessionRsvp.session_id == found.id
            )
        )
    ).all():
        if circle_id in lines:
            lines[circle_id].responses[response] += 1
    for circle_id, count in (
        await session.execute(
            select(Reflection.circle_id, func.count())
            .where(Reflection.session_id == found.id)
            .group_by(Reflection.circle_id)
        )
    ).all():
        if circle_id in lines:
            lines[circle_id].reflections = count
    countries: dict[str, AttendanceLine] = defaultdict(lambda: AttendanceLine("", "", ""))
    for line in lines.values():
        total = countries[line.country]
        total.key = total.name = total.country = line.country
        total.invited += line.invited
        total.reflections += line.reflections
        for response, count in line.responses.items():
            total.responses[response] += count
    return Attendance(found, list(lines.values()), [countries[c] for c in sorted(countries)])


async def _audit(
    session: AsyncSession, found: ExchangeSession, *, action: str, actor: str, now: datetime
) -> None:
    await record_audit(
        session,
        now=now,
        actor=actor,
        action=action,
        target_type="exchange_session",
        target_id=found.id,
    )
