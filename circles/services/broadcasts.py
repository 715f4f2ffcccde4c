"""Broadcasts: one announcement, many circles, each reader in their own language.

A broadcast is fanned out into one :class:`Delivery` per recipient (unique per broadcast
and person) and one outbox message each, in bulk; the outbox sender delivers them at
Telegram's pace and records each delivery's fate. Fanning out twice adds nothing.

Audience filters (all optional, combined with AND): ``circle_ids``, ``countries``,
``hub_ids`` (circles of any of these hubs), ``roles`` and ``languages``. Exchange
sessions (:mod:`circles.services.exchange_sessions`) invite the same audiences. People
who have not consented or were forgotten are never recipients; those who paused or
blocked the bot are recorded as skipped, with why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import Conflict, InvalidAnswer, NotFound
from circles.i18n import N_
from circles.models import (
    Broadcast,
    BroadcastStatus,
    Circle,
    Consent,
    Delivery,
    DeliveryState,
    Identity,
    Membership,
    Outbox,
    OutboxPriority,
    OutboxState,
    Person,
    Role,
)
from circles.services.audit import record_audit
from circles.services.circles import is_country
from circles.services.hubs import check_hubs, hubs_circle_ids
from circles.services.outbox import media, message_counts, say
from circles.services.people import preferred_identities
from circles.services.sandbox import real_or_named
from circles.settings import SUPPORTED_LANGUAGES, normalize_language
from circles.text import number

#: Telegram's limits on a message and on a caption.
TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024
BATCH = 2000


@dataclass(frozen=True)
class Audience:
    """Who a broadcast is for; an empty filter means everyone."""

    circle_ids: tuple[int, ...] = ()
    countries: tuple[str, ...] = ()
    roles: tuple[Role, ...] = ()
    languages: tuple[str, ...] = ()
    hub_ids: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The form stored on the broadcast."""
        return {
            "circle_ids": list(self.circle_ids),
            "countries": list(self.countries),
            "roles": [r.value for r in self.roles],
            "languages": list(self.languages),
            "hub_ids": list(self.hub_ids),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        """Read the stored form back."""
        return cls(
            tuple(data.get("circle_ids", ())),
            tuple(data.get("countries", ())),
            tuple(Role(r) for r in data.get("roles", ())),
            tuple(data.get("languages", ())),
            tuple(data.get("hub_ids", ())),
        )


@dataclass
class Report:
    """How a broadcast is going."""

    status: BroadcastStatus
    counts: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)


def _check(variants: dict[str, str], default_language: str, file_kind: str | None) -> None:
    if not variants:
        raise InvalidAnswer(N_("A broadcast needs a text."))
    for language, text in variants.items():
        if normalize_language(language) != language:
            raise InvalidAnswer(
                N_("{language} is not supported; choose one of {supported}."),
                language=language,
                supported=", ".join(SUPPORTED_LANGUAGES),
            )
        limit = CAPTION_LIMIT if file_kind else TEXT_LIMIT
        if not text.strip() or len(text) > limit:
            raise InvalidAnswer(N_("Each text needs 1 to {limit} characters."), limit=number(limit))
    if default_language not in variants:
        raise InvalidAnswer(N_("The default language needs a text of its own."))
    if file_kind not in (None, "photo", "document"):
        raise InvalidAnswer(N_("A file is a photo or a document."))


async def check_audience(session: AsyncSession, audience: Audience) -> None:
    """Refuse an audience naming an unknown country, language or hub."""
    for country in audience.countries:
        if not is_country(country):
            raise InvalidAnswer(N_("{country} is not a two-letter country code."), country=country)
    for language in audience.languages:
        if normalize_language(language) != language:
            raise InvalidAnswer(
                N_("{language} is not supported; choose one of {supported}."),
                language=language,
                supported=", ".join(SUPPORTED_LANGUAGES),
            )
    await check_hubs(session, audience.hub_ids)


async def create_broadcast(
    session: AsyncSession,
    *,
    variants: dict[str, str],
    default_language: str,
    audience: Audience,
    created_by: str,
    now: datetime,
    send_at: datetime | None = None,
    file_id: str | None = None,
    file_kind: str | None = None,
) -> Broadcast:
    """Create a broadcast, to go at ``send_at`` (now if None)."""
    _check(variants, default_language, file_kind if file_id else None)
    await check_audience(session, audience)
    if send_at is not None and send_at < now:
        raise InvalidAnswer(N_("The sending time is in the past."))
    broadcast = Broadcast(
        default_language=default_language,
        variants=variants,
        audience=audience.as_json(),
        file_id=file_id,
        file_kind=file_kind if file_id else None,
        status=BroadcastStatus.scheduled,
        send_at=send_at or now,
        created_by=created_by,
        created_at=now,
    )
    session.add(broadcast)
    await session.flush()
    await _audit(
        session,
        broadcast,
        action="broadcast.create",
        actor=created_by,
        now=now,
        detail={"audience": audience.as_json()},
    )
    return broadcast


def in_audience(query: Select, audience: Audience) -> Select:
    """``query`` (which joins :class:`Person`, :class:`Membership` and :class:`Circle`)
    kept to consenting, unforgotten people of the audience's memberships."""
    query = query.where(
        Person.consent == Consent.given,
        Person.forgotten_at.is_(None),
        real_or_named(audience.circle_ids),
    )
    if audience.circle_ids:
        query = query.where(Circle.id.in_(audience.circle_ids))
    if audience.countries:
        query = query.where(Circle.country.in_([c.upper() for c in audience.countries]))
    if audience.hub_ids:
        query = query.where(Circle.id.in_(hubs_circle_ids(audience.hub_ids)))
    if audience.roles:
        query = query.where(Membership.role.in_(audience.roles))
    if audience.languages:
        query = query.where(Person.language.in_(audience.languages))
    return query


def _audience_query(audience: Audience):
    """Everyone in the audience who has an identity, with where to send (None: nowhere)."""
    preferred = preferred_identities()
    has_identity = select(Identity.id).where(Identity.person_id == Person.id).exists()
    query = (
        select(
            Person.id,
            preferred.c.channel,
            preferred.c.address,
            Person.language,
            Person.paused_until,
        )
        .join(Membership, Membership.person_id == Person.id)
        .join(Circle, Circle.id == Membership.circle_id)
        .outerjoin(preferred, preferred.c.person_id == Person.id)
        .where(has_identity)
        .distinct()
    )
    return in_audience(query, audience)


async def count_recipients(session: AsyncSession, *, audience: Audience) -> int:
    """How many people a broadcast to ``audience`` would reach (for the preview)."""
    return (
        await session.scalar(select(func.count()).select_from(_audience_query(audience).subquery()))
        or 0
    )


async def fan_out(session: AsyncSession, *, broadcast: Broadcast, now: datetime) -> int:
    """Create the deliveries and outbox messages of ``broadcast``; returns how many queued."""
    already = set(
        await session.scalars(
            select(Delivery.person_id).where(Delivery.broadcast_id == broadcast.id)
        )
    )
    queued = 0
    skipped, sending = [], []
    for pid, channel, address, language, paused in (
        await session.execute(_audience_query(Audience.from_json(broadcast.audience)))
    ).all():
        if pid in already:
            continue
        if address is None:
            skipped.append(
                {
                    "broadcast_id": broadcast.id,
                    "person_id": pid,
                    "state": DeliveryState.unreachable,
                    "reason": "blocked the bot",
                }
            )
        elif paused is not None and paused > now:
            skipped.append(
                {
                    "broadcast_id": broadcast.id,
                    "person_id": pid,
                    "state": DeliveryState.skipped,
                    "reason": "paused",
                }
            )
        else:
            sending.append((pid, (channel, address), language))
    for start in range(0, len(skipped), BATCH):
        await session.execute(insert(Delivery.__table__), skipped[start : start + BATCH])
    for start in range(0, len(sending), BATCH):
        chunk = sending[start : start + BATCH]
        rows = [
            {
                "channel": chat[0],
                "address": chat[1],
                "payload": _payload(broadcast, language),
                "priority": OutboxPriority.bulk,
                "idempotency_key": f"broadcast-{broadcast.id}",
                "state": OutboxState.pending,
                "attempts": 0,
                "not_before": now,
                "created_at": now,
            }
            for pid, chat, language in chunk
        ]
        await session.execute(insert(Outbox.__table__), rows)
        found = await session.execute(
            select(Outbox.channel, Outbox.address, Outbox.id).where(
                Outbox.idempotency_key == f"broadcast-{broadcast.id}",
                tuple_(Outbox.channel, Outbox.address).in_([chat for _pid, chat, _lang in chunk]),
            )
        )
        ids = {(channel, address): row_id for channel, address, row_id in found.all()}
        await session.execute(
            insert(Delivery.__table__),
            [
                {
                    "broadcast_id": broadcast.id,
                    "person_id": pid,
                    "state": DeliveryState.pending,
                    "outbox_id": ids[chat],
                }
                for pid, chat, _lang in chunk
            ],
        )
        queued += len(chunk)
    broadcast.status = BroadcastStatus.sending
    return queued


def _payload(broadcast: Broadcast, language: str) -> dict[str, Any]:
    # The coordinator's own words: the variant is chosen for the reader's language now.
    text = broadcast.variants.get(language) or broadcast.variants[broadcast.default_language]
    if broadcast.file_id:
        return media(broadcast.file_id, broadcast.file_kind or "document", text)
    return say(text)


async def broadcast_sweep(session: AsyncSession, *, now: datetime) -> int:
    """Fan out broadcasts whose time has come; mark finished ones done."""
    due = list(
        await session.scalars(
            select(Broadcast).where(
                Broadcast.status == BroadcastStatus.scheduled, Broadcast.send_at <= now
            )
        )
    )
    for broadcast in due:
        await fan_out(session, broadcast=broadcast, now=now)
    pending = select(Delivery.id).where(
        Delivery.broadcast_id == Broadcast.id, Delivery.state == DeliveryState.pending
    )
    await session.execute(
        update(Broadcast)
        .where(Broadcast.status == BroadcastStatus.sending, ~pending.exists())
        .values(status=BroadcastStatus.done)
        .execution_options(synchronize_session=False)
    )
    return len(due)


async def cancel_broadcast(
    session: AsyncSession, *, broadcast_id: int, by: str, now: datetime
) -> Broadcast:
    """Stop a scheduled or sending broadcast; what is not sent yet is not sent."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFound(N_("There is no such broadcast."))
    if broadcast.status not in (
        BroadcastStatus.scheduled,
        BroadcastStatus.sending,
        BroadcastStatus.draft,
    ):
        raise Conflict(N_("This broadcast has already finished."))
    outbox_ids = select(Delivery.outbox_id).where(Delivery.broadcast_id == broadcast.id)
    await session.execute(
        update(Outbox)
        .where(
            Outbox.id.in_(outbox_ids),
            Outbox.state == OutboxState.pending,
        )
        .values(state=OutboxState.failed, last_error="cancelled")
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Delivery)
        .where(Delivery.broadcast_id == broadcast.id, Delivery.state == DeliveryState.pending)
        .values(state=DeliveryState.skipped, reason="cancelled")
        .execution_options(synchronize_session=False)
    )
    broadcast.status = BroadcastStatus.cancelled
    await _audit(session, broadcast, action="broadcast.cancel", actor=by, now=now)
    return broadcast


async def broadcast_report(session: AsyncSession, *, broadcast_id: int) -> Report:
    """Sent, pending, failed, unreachable and skipped counts, with the reasons; and how
    many of the sent copies were delivered and read (as far as the app reports it)."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFound(N_("There is no such broadcast."))
    counts = {state.value: 0 for state in DeliveryState}
    reasons: dict[str, int] = {}
    rows = await session.execute(
        select(Delivery.state, Delivery.reason, func.count())
        .where(Delivery.broadcast_id == broadcast_id)
        .group_by(Delivery.state, Delivery.reason)
    )
    for state, reason, count in rows.all():
        counts[state.value] += count
        if reason:
            reasons[reason] = reasons.get(reason, 0) + count
    sent = Outbox.id.in_(select(Delivery.outbox_id).where(Delivery.broadcast_id == broadcast_id))
    seen = await message_counts(session, sent)
    counts |= {"delivered": seen["delivered"], "read": seen["read"]}
    return Report(status=broadcast.status, counts=counts, reasons=reasons)


async def record_delivery(
    session: AsyncSession, *, outbox_id: int, state: OutboxState, reason: str | None, now: datetime
) -> None:
    """Carry an outbox message's fate over to its broadcast delivery, if it has one."""
    mapped = {
        OutboxState.sent: DeliveryState.sent,
        OutboxState.failed: DeliveryState.failed,
        OutboxState.unreachable: DeliveryState.unreachable,
    }.get(state)
    if mapped is None:
        return
    values: dict[str, Any] = {"state": mapped, "reason": reason}
    if mapped is DeliveryState.sent:
        values["sent_at"] = now
    await session.execute(update(Delivery).where(Delivery.outbox_id == outbox_id).values(**values))


async def _audit(
    session: AsyncSession,
    broadcast: Broadcast,
    *,
    action: str,
    actor: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    await record_audit(
        session,
        now=now,
        actor=actor,
        action=action,
        target_type="broadcast",
        target_id=broadcast.id,
        detail=detail,
    )
