"""Who may see and change what: scopes of API tokens and of members in the bot.

A :class:`Scope` is the reader or writer of a request: an API token, or a facilitator
or union representative acting through the bot. It says which circles they may see
and what they may do there:

========================  ======  ===========  ===========  =========
permission                admin   coordinator  facilitator  union rep
========================  ======  ===========  ===========  =========
circle summaries          yes     yes          yes          yes
details (members, …)      yes     yes          yes          no
changes (invites, …)      yes     yes          yes          no
country/overall summary   yes     yes          no           no
create circles            yes     yes          no           no
tokens, audit log         yes     no           no           no
========================  ======  ===========  ===========  =========

Admins see every circle; coordinators every circle, or those of their countries;
facilitators and union representatives their own circle. A circle outside the scope
is reported exactly like one that does not exist, so nobody can probe for ids. Role
checks come before any lookup, so a refusal says nothing about the ids either.

Reflections are read as far as their author allowed: "the facilitators" means the
circle's facilitators, "my whole circle" its members (facilitators and union
representative); coordinators and admins are neither, so they read none.

In the bot, buttons and commands carry ids that the person's client sends back and may
have forged. The ``*_for_member`` functions below answer, per kind of id, whether the
person may act on it: a meeting of one of their circles (to reflect or answer the
invitation), a meeting of a circle they facilitate (to move or cancel it), a practice
they may read, wrote, or review, their own check-in or inquiry. A foreign id raises the
same :class:`NotFound` as one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import false, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from circles.errors import Forbidden, NotFound
from circles.i18n import N_
from circles.models import (
    ApiToken,
    CheckIn,
    Circle,
    Inquiry,
    Meeting,
    Membership,
    Practice,
    Role,
    TokenRole,
    Visibility,
)

if TYPE_CHECKING:
    from circles.services.repository import Found

CIRCLE_NOT_FOUND = N_("There is no circle with this id that you can see.")
#: What a member is told about an id that is unknown or not theirs: the very words of a
#: closed button, so that a forged id cannot be told from one that does not exist.
NOT_YOURS = N_("This question is already closed.")


class Permission(StrEnum):
    """Something a scope may be allowed to do."""

    read_summaries = "read_summaries"
    read_details = "read_details"
    write_circle = "write_circle"
    read_across = "read_across"
    manage_circles = "manage_circles"
    admin = "admin"


_ALL = frozenset(Permission)
ROLE_PERMISSIONS: dict[TokenRole, frozenset[Permission]] = {
    TokenRole.admin: _ALL,
    TokenRole.coordinator: _ALL - {Permission.admin},
    TokenRole.facilitator: frozenset(
        {Permission.read_summaries, Permission.read_details, Permission.write_circle}
    ),
    TokenRole.union_rep: frozenset({Permission.read_summaries}),
}

_REFUSALS: dict[Permission, str] = {
    Permission.read_summaries: N_("Your token may not read circle summaries."),
    Permission.read_details: N_(
        "A {role} token may read circle summaries only, not members, answers or other details."
    ),
    Permission.write_circle: N_("A {role} token may read but not change anything."),
    Permission.read_across: N_("Country and overall summaries are for coordinators and admins."),
    Permission.manage_circles: N_("Only coordinators and admins may create circles."),
    Permission.admin: N_("Only admin tokens may manage tokens and read the audit log."),
}

_READS: dict[TokenRole, tuple[Visibility, ...]] = {
    TokenRole.facilitator: (Visibility.facilitators, Visibility.circle),
    TokenRole.union_rep: (Visibility.circle,),
}


@dataclass(frozen=True)
class Scope:
    """Who is asking, in which role, over which circles (None: not limited)."""

    actor: str
    role: TokenRole
    circle_ids: frozenset[int] | None = None
    countries: frozenset[str] | None = None
    #: The person acting (a member in the bot, a token's holder), if the scope is someone's.
    person_id: int | None = None

    def may(self, permission: Permission) -> bool:
        """Whether the role allows ``permission``."""
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        """Raise :class:`Forbidden` unless the role allows ``permission``."""
        if not self.may(permission):
            raise Forbidden(_REFUSALS[permission], role=self.role.value)

    def covers(self, circle: Circle) -> bool:
        """Whether ``circle`` is within the scope."""
        if self.circle_ids is not None and circle.id not in self.circle_ids:
            return False
        return self.countries is None or circle.country in self.countries

    def covers_country(self, country: str) -> bool:
        """Whether the scope reaches circles of ``country`` (coordinators, admins)."""
        return self.circle_ids is None and (self.countries is None or country in self.countries)

    def circle_clause(self) -> ColumnElement[bool]:
        """A WHERE condition on :class:`Circle` that keeps the circles in scope."""
        conditions: list[ColumnElement[bool]] = []
        if self.circle_ids is not None:
            conditions.append(
                Circle.id.in_(sorted(self.circle_ids)) if self.circle_ids else false()
            )
        if self.countries is not None:
            conditions.append(Circle.country.in_(sorted(self.countries)))
        if not conditions:
            return true()
        return conditions[0] if len(conditions) == 1 else conditions[0] & conditions[1]

    @property
    def reflection_visibilities(self) -> tuple[Visibility, ...]:
        """The reflection visibilities this scope may read (see the module docstring)."""
        return _READS.get(self.role, ())


def scope_of_token(token: ApiToken) -> Scope:
    """The scope an API token acts with."""
    actor, holder = f"token:{token.id}", token.person_id
    if token.role is TokenRole.admin:
        return Scope(actor, token.role, person_id=holder)
    if token.role is TokenRole.coordinator:
        countries = frozenset(c.upper() for c in token.countries) if token.countries else None
        return Scope(actor, token.role, countries=countries, person_id=holder)
    circles = frozenset({token.circle_id}) if token.circle_id is not None else frozenset()
    return Scope(actor, token.role, circle_ids=circles, person_id=holder)


def scope_of_member(person_id: int, circle_id: int, role: Role) -> Scope | None:
    """The scope of a facilitator or union representative in the bot (None for teachers)."""
    if role is Role.teacher:
        return None
    return Scope(
        f"person:{person_id}",
        TokenRole(role.value),
        circle_ids=frozenset({circle_id}),
        person_id=person_id,
    )


async def visible_circle(session: AsyncSession, *, scope: Scope, circle_id: int) -> Circle:
    """The circle ``circle_id`` if the scope covers it; otherwise the same :class:`NotFound`."""
    circle = await session.get(Circle, circle_id)
    if circle is None or not scope.covers(circle):
        raise NotFound(CIRCLE_NOT_FOUND)
    return circle


async def member_scopes(
    session: AsyncSession, *, person_id: int, roles: tuple[Role, ...]
) -> list[tuple[Circle, Scope]]:
    """The circles where the person has one of ``roles``, each with the scope they act in."""
    rows = await session.execute(
        select(Circle, Membership.role)
        .join(Membership, Membership.circle_id == Circle.id)
        .where(Membership.person_id == person_id, Membership.role.in_(roles))
        .order_by(Circle.name, Circle.id)
    )
    found = []
    for circle, role in rows.all():
        scope = scope_of_member(person_id, circle.id, role)
        if scope is not None:
            found.append((circle, scope))
    return found


async def circle_for(
    session: AsyncSession, *, scope: Scope, circle_id: int, permission: Permission
) -> Circle:
    """Check the role's ``permission`` first, then return the circle if it is in scope."""
    scope.require(permission)
    return await visible_circle(session, scope=scope, circle_id=circle_id)


# --- ids a member acts on in the bot ------------------------------------------------------


async def _role_in(session: AsyncSession, *, person_id: int, circle_id: int) -> Role | None:
    return await session.scalar(
        select(Membership.role).where(
            Membership.person_id == person_id, Membership.circle_id == circle_id
        )
    )


async def meeting_for_member(session: AsyncSession, *, person_id: int, meeting_id: int) -> Meeting:
    """A meeting of one of the person's circles (to reflect on it, to answer its invitation)."""
    meeting = await session.get(Meeting, meeting_id)
    if (
        meeting is None
        or await _role_in(session, person_id=person_id, circle_id=meeting.circle_id) is None
    ):
        raise NotFound(NOT_YOURS)
    return meeting


async def meeting_for_facilitator(
    session: AsyncSession, *, person_id: int, meeting_id: int
) -> tuple[Meeting, Circle]:
    """A meeting of a circle the person facilitates (to move or cancel it), with its circle."""
    meeting = await session.get(Meeting, meeting_id)
    if (
        meeting is None
        or await _role_in(session, person_id=person_id, circle_id=meeting.circle_id)
        is not Role.facilitator
    ):
        raise NotFound(NOT_YOURS)
    return meeting, await session.get_one(Circle, meeting.circle_id)


async def practice_for_reader(session: AsyncSession, *, person_id: int, practice_id: int) -> Found:
    """A published practice that reaches one of the person's circles (the repository's rules)."""
    # Imported here: the repository builds on the scopes of this module.
    from circles.services import repository

    reader = await repository.reader_of_member(session, person_id)
    try:
        return await repository.readable(session, reader=reader, practice_id=practice_id)
    except NotFound:
        raise NotFound(NOT_YOURS) from None


async def practice_for_author(
    session: AsyncSession, *, person_id: int, practice_id: int
) -> Practice:
    """A practice the person wrote."""
    practice = await session.get(Practice, practice_id)
    if practice is None or practice.author_id != person_id:
        raise NotFound(NOT_YOURS)
    return practice


async def practice_for_reviewer(
    session: AsyncSession, *, person_id: int, practice_id: int
) -> tuple[Practice, Scope]:
    """A practice of a circle the person facilitates, with the scope they review it in."""
    practice = await session.get(Practice, practice_id)
    if (
        practice is None
        or await _role_in(session, person_id=person_id, circle_id=practice.circle_id)
        is not Role.facilitator
    ):
        raise NotFound(NOT_YOURS)
    scope = Scope(
        f"person:{person_id}", TokenRole.facilitator, circle_ids=frozenset({practice.circle_id})
    )
    return practice, scope


async def checkin_for_member(session: AsyncSession, *, person_id: int, checkin_id: int) -> CheckIn:
    """The person's own check-in."""
    checkin = await session.get(CheckIn, checkin_id)
    if checkin is None or checkin.person_id != person_id:
        raise NotFound(NOT_YOURS)
    return checkin


async def inquiry_for_member(session: AsyncSession, *, person_id: int, inquiry_id: int) -> Inquiry:
    """The person's own inquiry."""
    inquiry = await session.get(Inquiry, inquiry_id)
    if inquiry is None or inquiry.person_id != person_id:
        raise NotFound(NOT_YOURS)
    return inquiry
