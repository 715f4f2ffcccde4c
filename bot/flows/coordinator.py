"""Coordinators in the bot: link an account to a coordinator token, broadcast.

A coordinator's rights come from their API token (role and countries). Sending
``/coordinator <token>`` in a private chat links the account to that token. On Telegram
the bot deletes the message so the token does not stay in the chat; WhatsApp lets a
business delete nothing the person sent, so there the reply asks them to delete it.
``/broadcast`` then walks write → audience → preview with the recipient count → confirm.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import engine
from bot.flows.effects import Answered, Completion, Context, effect
from bot.flows.events import Event, Say
from bot.flows.visit import Visit
from circles.i18n import N_
from circles.models import Answer, ApiToken, Broadcast, Channel, Person, Role, TokenRole
from circles.questions import Question
from circles.services import broadcasts
from circles.services.people import get_or_create_person
from circles.services.tokens import authenticate
from circles.text import Text, join, number, t, tn

_NOT_COORDINATOR = N_(
    "Broadcasts are for coordinators. Link your account first: send /coordinator followed "
    "by your coordinator token."
)
AUDIENCE_ROLES = {
    "everyone": (),
    "teachers": (Role.teacher,),
    "facilitators": (Role.facilitator, Role.union_rep),
}


async def coordinator_token(
    session: AsyncSession, *, person: Person, now: datetime
) -> ApiToken | None:
    """The live coordinator or admin token linked to ``person``, if any."""
    tokens = await session.scalars(
        select(ApiToken).where(
            ApiToken.person_id == person.id,
            ApiToken.role.in_([TokenRole.coordinator, TokenRole.admin]),
            ApiToken.revoked_at.is_(None),
        )
    )
    return next((t for t in tokens if t.expires_at is None or t.expires_at > now), None)


#: The apps whose door deletes the message that carried a token (Telegram's ``members``).
DELETES_MESSAGES = frozenset({Channel.telegram})


async def link(visit: Visit, secret: str | None) -> list[Event]:
    """``/coordinator <token>``: act in the bot with a coordinator token's rights."""
    session, sender, settings, now = visit.session, visit.sender, visit.settings, visit.now
    person = await get_or_create_person(
        session,
        channel=sender.channel,
        address=sender.address,
        display_name=sender.name,
        language_code=sender.language_code,
        default_language=settings.default_language,
        default_timezone=settings.default_timezone,
        now=now,
    )
    token = await authenticate(session, secret=secret.strip(), now=now) if secret else None
    if token is None or token.role not in (TokenRole.coordinator, TokenRole.admin):
        return [
            Say(
                t(
                    "This is not a valid coordinator token. Ask an administrator "
                    "for one (circles token create --role coordinator)."
                )
            )
        ]
    token.person_id = person.id
    where = ", ".join(token.countries) if token.countries else t("all countries")
    if sender.channel in DELETES_MESSAGES:
        return [
            Say(
                t(
                    "Your account is linked as a coordinator for {where}. I deleted the "
                    "message with the token. Send /broadcast to announce something.",
                    where=where,
                )
            )
        ]
    return [
        Say(
            t(
                "Your account is linked as a coordinator for {where}. Please delete the "
                "message with the token from this chat: I cannot delete it here. Send "
                "/broadcast to announce something.",
                where=where,
            )
        )
    ]


async def broadcast(visit: Visit) -> list[Event]:
    """``/broadcast``: write, choose the audience, see how many it reaches, confirm."""
    session, now, person = visit.session, visit.now, visit.member
    token = await coordinator_token(session, person=person, now=now) if person else None
    if person is None or token is None:
        return [Say(t(_NOT_COORDINATOR))]
    return await engine.begin(
        session, person=person, flow_id="broadcast", now=now, state={"token_id": token.id}
    )


async def overview(visit: Visit) -> list[Event]:
    """``/broadcasts``: the latest broadcasts sent with this token and how they went."""
    session, now, person = visit.session, visit.now, visit.member
    token = await coordinator_token(session, person=person, now=now) if person else None
    if person is None or token is None:
        return [Say(t(_NOT_COORDINATOR))]
    latest = list(
        await session.scalars(
            select(Broadcast)
            .where(Broadcast.created_by == f"token:{token.id}")
            .order_by(Broadcast.id.desc())
            .limit(5)
        )
    )
    if not latest:
        return [Say(t("You have not broadcast anything yet. Send /broadcast."))]
    lines = []
    for item in latest:
        report = await broadcasts.broadcast_report(session, broadcast_id=item.id)
        text = next(iter(item.variants.values()))
        lines.append(
            t(
                "“{text}”: {sent} sent, {pending} waiting, {failed} failed, "
                "{unreachable} unreachable, {skipped} skipped.",
                text=text[:40] + ("…" if len(text) > 40 else ""),
                **{k: number(v) for k, v in report.counts.items()},
            )
        )
    return [Say(join(lines))]


def audience_for(token: ApiToken, choice: str) -> broadcasts.Audience:
    """The audience a coordinator's choice means within their token's countries."""
    return broadcasts.Audience(
        countries=tuple(token.countries or ()), roles=AUDIENCE_ROLES.get(choice, ())
    )


def reach_text(count: int) -> Text:
    """ "This reaches 12 people." """
    return tn(
        "This reaches {count} person.", "This reaches {count} people.", count, count=number(count)
    )


@effect("show_broadcast_reach")
async def show_broadcast_reach(ctx: Context, answer: Answer | None) -> Answered:
    """Show how many people the chosen audience reaches before asking to confirm."""
    token = await ctx.session.get(ApiToken, int(ctx.run.state.get("token_id") or 0))
    if token is None or answer is None:
        return Answered()
    audience = audience_for(token, answer.value_choice or "")
    count = await broadcasts.count_recipients(ctx.session, audience=audience)
    return Answered([Say(reach_text(count))])


@effect("send_broadcast")
async def send_broadcast(ctx: Context, edited: bool) -> Completion:
    """Send the confirmed broadcast to its audience (as the coordinator's token)."""
    confirm, text, audience = (
        ctx.answers.get(k) for k in (Question.confirm, Question.text, Question.audience)
    )
    if confirm is None or confirm.value_choice != "yes":
        return Completion([Say(t("Not sent. Send /broadcast to start again."))])
    token = await coordinator_token(ctx.session, person=ctx.person, now=ctx.now)
    body = text.value_text or text.value_choice if text is not None else None
    if token is None or not body:
        return Completion([Say(t("Not sent: your coordinator token is no longer valid."))])
    item = await broadcasts.create_broadcast(
        ctx.session,
        variants={ctx.person.language: body},
        default_language=ctx.person.language,
        audience=audience_for(token, (audience and audience.value_choice) or ""),
        created_by=f"token:{token.id}",
        now=ctx.now,
    )
    queued = await broadcasts.fan_out(ctx.session, broadcast=item, now=ctx.now)
    reply = tn(
        "Sent: it is on its way to {count} person. /broadcasts shows how it goes.",
        "Sent: it is on its way to {count} people. /broadcasts shows how it goes.",
        queued,
        count=number(queued),
    )
    return Completion([Say(reply)])
