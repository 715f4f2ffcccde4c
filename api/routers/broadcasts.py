"""``/v1/broadcasts``: announcements to circles, countries, hubs, roles and languages.

Admins and coordinators broadcast. A coordinator limited to some countries broadcasts
only there: an audience without countries means *their* countries, and a broadcast
outside them is reported like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.auth import ScopeDep
from api.deps import ClockDep, SessionDep
from api.params import BODY, READ, WRITE, BroadcastId
from api.schemas import CountryCode, LanguageCode, examples
from circles.errors import Forbidden, NotFound
from circles.i18n import N_
from circles.models import Broadcast, BroadcastStatus, Role
from circles.services import broadcasts
from circles.services.access import Permission, Scope
from circles.services.pagination import MAX_ID

router = APIRouter(prefix="/v1/broadcasts", tags=["broadcasts"])


class AudienceIn(BaseModel):
    """Who should receive it; every filter is optional and they combine."""

    model_config = ConfigDict(extra="forbid")

    circle_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default=[], max_length=1000)
    countries: list[CountryCode] = Field(default=[], max_length=200)
    roles: list[Role] = Field(default=[], max_length=3)
    languages: list[LanguageCode] = Field(default=[], max_length=8)
    hub_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default=[], max_length=100)

    def audience(self) -> broadcasts.Audience:
        """The domain form."""
        return broadcasts.Audience(
            tuple(self.circle_ids),
            tuple(c.upper() for c in self.countries),
            tuple(self.roles),
            tuple(self.languages),
            tuple(self.hub_ids),
        )


class BroadcastIn(BaseModel):
    """A broadcast: one text per language, a default, an audience and maybe a time."""

    model_config = examples(
        {
            "variants": {
                "en": "Regional hub on Friday at 15:00 (link in your circle group).",
                "fr": "Hub régional vendredi à 15 h (lien dans le groupe du cercle).",
            },
            "default_language": "en",
            "audience": {"countries": ["GH", "CI"]},
            "send_at": "2026-10-02T08:00:00Z",
        },
        extra="forbid",
    )

    variants: dict[
        Annotated[str, Field(min_length=2, max_length=8)],
        Annotated[str, Field(min_length=1, max_length=4096)],
    ] = Field(min_length=1, max_length=8)
    default_language: str = Field(min_length=2, max_length=8)
    audience: AudienceIn = AudienceIn()
    send_at: dt.datetime | None = None
    file_id: str | None = Field(default=None, min_length=1, max_length=200)
    file_kind: str | None = Field(default=None, pattern="^(photo|document)$")


class BroadcastOut(BaseModel):
    """A broadcast and how its delivery is going."""

    id: int
    status: BroadcastStatus
    send_at: dt.datetime | None
    default_language: str
    languages: list[str]
    audience: dict
    counts: dict[str, int] = Field(
        description="Copies by state (pending, sent, failed, unreachable, skipped), and of "
        "the sent ones how many were delivered and read, as far as the app reports it"
    )
    reasons: dict[str, int]


class Recipients(BaseModel):
    """How many people an audience reaches now."""

    recipients: int


def _scoped(scope: Scope, audience: broadcasts.Audience) -> broadcasts.Audience:
    scope.require(Permission.manage_circles)
    if scope.countries is None:
        return audience
    if not audience.countries:
        return broadcasts.Audience(
            audience.circle_ids,
            tuple(sorted(scope.countries)),
            audience.roles,
            audience.languages,
            audience.hub_ids,
        )
    if not set(audience.countries) <= scope.countries:
        raise Forbidden(
            N_("This token may broadcast only to {countries}."),
            countries=", ".join(sorted(scope.countries)),
        )
    return audience


async def _visible(session: SessionDep, scope: Scope, broadcast_id: int) -> Broadcast:
    scope.require(Permission.manage_circles)
    broadcast = await session.get(Broadcast, broadcast_id)
    countries = set((broadcast.audience or {}).get("countries", [])) if broadcast else set()
    if broadcast is None or (scope.countries is not None and not countries <= scope.countries):
        raise NotFound(N_("There is no such broadcast."))
    return broadcast


async def _out(session: SessionDep, broadcast: Broadcast) -> BroadcastOut:
    report = await broadcasts.broadcast_report(session, broadcast_id=broadcast.id)
    return BroadcastOut(
        id=broadcast.id,
        status=report.status,
        send_at=broadcast.send_at,
        default_language=broadcast.default_language,
        languages=sorted(broadcast.variants),
        audience=broadcast.audience,
        counts=report.counts,
        reasons=report.reasons,
    )


@router.post("/preview", response_model=Recipients, responses=BODY)
async def preview(body: AudienceIn, scope: ScopeDep, session: SessionDep) -> Recipients:
    """How many people this audience reaches now (consented, not forgotten)."""
    audience = _scoped(scope, body.audience())
    return Recipients(recipients=await broadcasts.count_recipients(session, audience=audience))


@router.post("", response_model=BroadcastOut, status_code=201, responses=BODY)
async def create(
    body: BroadcastIn, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> BroadcastOut:
    """Send now, or at ``send_at``; each recipient gets their language or the default."""
    audience = _scoped(scope, body.audience.audience())
    broadcast = await broadcasts.create_broadcast(
        session,
        variants=dict(body.variants),
        default_language=body.default_language,
        audience=audience,
        created_by=scope.actor,
        now=clock.now(),
        send_at=body.send_at,
        file_id=body.file_id,
        file_kind=body.file_kind,
    )
    if broadcast.send_at is not None and broadcast.send_at <= clock.now():
        await broadcasts.fan_out(session, broadcast=broadcast, now=clock.now())
    return await _out(session, broadcast)


@router.get("/{broadcast_id}", response_model=BroadcastOut, responses=READ)
async def report(broadcast_id: BroadcastId, scope: ScopeDep, session: SessionDep) -> BroadcastOut:
    """Sent, pending, failed, unreachable and skipped counts, with the reasons; delivered
    and read: the sent copies the app reported as reaching the phone and as read
    (WhatsApp reports both; Telegram neither)."""
    return await _out(session, await _visible(session, scope, broadcast_id))


@router.post("/{broadcast_id}/cancel", response_model=BroadcastOut, responses=WRITE)
async def cancel(
    broadcast_id: BroadcastId, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> BroadcastOut:
    """Stop a scheduled or sending broadcast; messages not sent yet are not sent."""
    broadcast = await _visible(session, scope, broadcast_id)
    await broadcasts.cancel_broadcast(
        session, broadcast_id=broadcast.id, by=scope.actor, now=clock.now()
    )
    return await _out(session, broadcast)
