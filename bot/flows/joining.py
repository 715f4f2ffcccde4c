"""Joining a circle with ``/start <code>``, and ``/help``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import engine, linking
from bot.flows.commands import commands_for
from bot.flows.events import Say
from bot.flows.messages import Sender
from bot.flows.visit import Replies, Visit
from circles.i18n import N_
from circles.models import Channel, Consent, FlowRun, FlowStatus, Person, Role
from circles.services import links
from circles.services.circles import circle_members
from circles.services.invites import InviteProblem, InviteRejected, redeem_invite
from circles.services.people import get_or_create_person, memberships_of
from circles.services.simulation import is_demo_code
from circles.settings import normalize_language
from circles.text import Part, join, lines, t, when

ROLE_NAMES = {
    Role.teacher: t("teacher"),
    Role.facilitator: t("facilitator"),
    Role.union_rep: t("union representative"),
}

_REJECTIONS = {
    InviteProblem.unknown: N_(
        "I do not know this invite code. Please check the link, or ask your "
        "facilitator for a new one."
    ),
    InviteProblem.expired: N_(
        "This invite expired on {date}. Please ask your facilitator for a new one."
    ),
    InviteProblem.used_up: N_(
        "This invite has already been used by as many people as it allows. "
        "Please ask your facilitator for a new one."
    ),
    InviteProblem.revoked: N_(
        "This invite has been withdrawn. Please ask your facilitator for a new one."
    ),
}

#: The simulator's answer to an invite code of a real circle (or an unknown one: the same
#: answer, so that the simulator tells nobody which codes exist).
_NOT_DEMO = t(
    "In the simulator you can join only a demo circle, and this is not a demo circle's "
    "invite code. Nothing has changed."
)

_NO_CODE = t(
    "Hello! I accompany teacher-led learning circles on formative assessment.\n\n"
    "To join your circle, open the invite link your facilitator sent you, or send "
    "/start followed by the invite code, for example: /start AbC123xyz"
)


async def start(visit: Visit, code: str | None, *, demo_only: bool = False) -> Replies:
    """Answer ``/start``: join with a code, or explain how to get one.

    ``demo_only`` (the simulator) refuses every code but a demo circle's invite, before
    anything is written.
    """
    session, sender, settings, now = visit.session, visit.sender, visit.settings, visit.now
    if not code:
        return await _welcome_back_or_explain(visit)
    if demo_only and not await is_demo_code(session, code=code):
        return [Say(_NOT_DEMO)]
    if visit.member is None and not demo_only:
        found = await links.candidate(session, code=code, channel=sender.channel)
        if found is not None:  # maybe a member joining from their other app: ask
            return await linking.offer(visit, found)
    person = await get_or_create_person(
        session,
        channel=sender.channel,
        address=sender.address,
        display_name=None,  # nothing personal is kept before consent
        language_code=sender.language_code,
        default_language=settings.default_language,
        default_timezone=settings.default_timezone,
        now=now,
    )
    try:
        joined = await redeem_invite(session, code=code, person=person, now=now)
    except InviteRejected as rejected:
        expires = rejected.invite.expires_at if rejected.invite else None
        date = when(expires, person.timezone) if expires else ""
        return [Say(t(_REJECTIONS[rejected.problem], date=date))]
    if person.consent is Consent.pending and not normalize_language(sender.language_code or ""):
        # Telegram's language is not one we speak: use the circle's rather than English.
        person.language = joined.circle.language
    circle = joined.circle
    if joined.already_member and person.consent is Consent.given:
        text = t(
            "You are already a member of {circle}. Send /help to see what you can do.",
            circle=circle.name,
        )
        return [Say(text)]
    facilitators = await circle_members(session, circle_id=circle.id, role=Role.facilitator)
    names = ", ".join(p.display_name or "?" for p, _m in facilitators)
    welcome = lines(
        t(
            "Welcome to {circle}! You joined as {role}.",
            circle=circle.name,
            role=ROLE_NAMES[joined.membership.role],
        ),
        t("Your facilitators: {names}.", names=names)
        if names and joined.membership.role is not Role.facilitator
        else None,
    )
    if person.consent is Consent.given:
        return [Say(lines(welcome, t("Send /help to see what you can do."), separator="\n\n"))]
    if sender.channel is Channel.whatsapp:
        welcome = lines(welcome, _whatsapp_opt_in(settings.organisation_name), separator="\n\n")
    return [Say(welcome), *await _onboard(session, person=person, sender=sender, now=now)]


def _whatsapp_opt_in(organisation: str) -> Part:
    """What WhatsApp's opt-in rules ask a business to say: who writes, on which app, about
    what, and how to stop it."""
    return t(
        "{organisation} will send you messages about your learning circle here on WhatsApp: "
        "check-ins, reminders and announcements. Send STOP at any time to stop them, and "
        "START to have them back.",
        organisation=organisation,
    )


async def _onboard(
    session: AsyncSession, *, person: Person, sender: Sender, now: datetime
) -> Replies:
    """Continue an unfinished onboarding, or start it."""
    waiting = await session.scalar(
        select(FlowRun)
        .where(
            FlowRun.person_id == person.id,
            FlowRun.flow_id == "onboarding",
            FlowRun.status.in_([FlowStatus.active, FlowStatus.waiting]),
        )
        .order_by(FlowRun.id.desc())
        .limit(1)
    )
    if waiting is not None:
        return await engine.resume(session, run=waiting, person=person, now=now)
    # The name Telegram gave is offered as a suggestion; it lives only in the run's state.
    return await engine.begin(
        session,
        person=person,
        flow_id="onboarding",
        now=now,
        state={"telegram_name": (sender.name or "")[:60]},
    )


async def _welcome_back_or_explain(visit: Visit) -> Replies:
    session, sender, now, person = visit.session, visit.sender, visit.now, visit.member
    memberships = await memberships_of(session, person_id=person.id) if person else []
    if person is not None and memberships and person.consent is not Consent.given:
        return await _onboard(session, person=person, sender=sender, now=now)
    if not memberships:
        return [Say(_NO_CODE)]
    circles = ", ".join(circle.name for _m, circle in memberships)
    return [
        Say(
            lines(
                t("Welcome back! You are a member of {circles}.", circles=circles),
                t("Send /help to see what you can do."),
            )
        )
    ]


async def help_text(visit: Visit) -> Replies:
    """Answer ``/help``: the person's circles and the commands open to them."""
    person = visit.member
    memberships = await memberships_of(visit.session, person_id=person.id) if person else []
    parts: list[Part] = [
        t("You are a {role} in {circle}.", role=ROLE_NAMES[membership.role], circle=circle.name)
        for membership, circle in memberships
    ]
    if not memberships:
        parts.append(t("You are not in a circle yet: open the invite link from your facilitator."))
    parts += ["", t("What you can do:")]
    roles = {membership.role for membership, _c in memberships}
    parts += [f"/{c.name} — " + t(c.description) for c in commands_for(roles)]
    return [Say(join(parts))]


def group_redirect(*, bot_username: str | None) -> Replies:
    """Answer a private-only command sent in a group: point to a private chat."""
    return [
        Say(
            lines(
                t("Let's talk in a private chat, so that your answers stay yours."),
                f"https://t.me/{bot_username}" if bot_username else None,
            )
        )
    ]
