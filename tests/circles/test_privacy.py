"""Erasing one person leaves everybody else's messages, keys and tokens working."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from support.people import add_person

from circles.db import SessionMaker, transaction
from circles.models import (
    ApiToken,
    AuditLog,
    Channel,
    Consent,
    Identity,
    Inbox,
    Outbox,
    OutboxPriority,
    OutboxState,
    Person,
    TokenRole,
    WebSession,
)
from circles.services.inbox import Received, store_received
from circles.services.outbox import enqueue, message_payload
from circles.services.people import Address
from circles.services.privacy import FORGOTTEN_ACTOR, NAME_GONE, forget_person
from circles.services.tokens import authenticate, create_token

NOW = datetime(2026, 9, 14, 9, 0, tzinfo=UTC)
ADWOA = "Adwoa Ɔsei"  # not ASCII: stored JSON may escape it


async def _people(sessions: SessionMaker) -> tuple[int, int, int]:
    """Adwoa (a facilitator), Kojo (a teacher) and Efua (another facilitator)."""
    async with transaction(sessions) as session:
        people = [
            await add_person(session, display_name=name, telegram=chat, consent=Consent.given)
            for name, chat in ((ADWOA, 7001), ("Kojo Mensah", 7002), ("Efua Addo", 7003))
        ]
        return tuple(p.id for p in people)  # type: ignore[return-value]


async def test_others_messages_lose_an_erased_facilitators_name_but_still_go(
    sessions: SessionMaker,
) -> None:
    adwoa, kojo, efua = await _people(sessions)
    async with transaction(sessions) as session:
        await enqueue(
            session,
            to=Address(Channel.telegram, "7002"),
            payload=message_payload(
                f"{ADWOA} reminds you: this week's check-in is open.",
                [[("Open my check-in", "o:5:")]],
            ),
            key=f"nudge-{kojo}-2026-09-14",
            now=NOW,
        )
        digest = "\n".join(
            [
                "Your weekly digest",
                f"Piloting: {ADWOA}, Kojo Mensah",
                "What got in the way, and where the circle could help:",
                f"• {ADWOA}: my sister was ill all week",
                "• Kojo Mensah: the projector broke",
            ]
        )
        await enqueue(
            session,
            to=Address(Channel.telegram, "7003"),
            payload={"text": digest},
            key=f"digest-{efua}-2026-38-0",
            now=NOW,
        )
        await enqueue(
            session,
            to=Address(Channel.telegram, "7001"),
            payload={"text": "Welcome back"},
            key=f"digest-{adwoa}-2026-38-0",
            now=NOW,
            priority=OutboxPriority.reply,
        )
    async with transaction(sessions) as session:
        await forget_person(
            session, person=await session.get_one(Person, adwoa), now=NOW, media_dir=None
        )
    async with sessions() as session:
        rows = list(await session.scalars(select(Outbox).order_by(Outbox.id)))
    assert [(r.address, r.state, r.idempotency_key) for r in rows] == [
        ("7002", OutboxState.pending, f"nudge-{kojo}-2026-09-14"),
        ("7003", OutboxState.pending, f"digest-{efua}-2026-38-0"),
    ]
    assert rows[0].payload == message_payload(
        f"{NAME_GONE} reminds you: this week's check-in is open.", [[("Open my check-in", "o:5:")]]
    )
    assert rows[1].payload["text"].splitlines() == [
        "Your weekly digest",
        f"Piloting: {NAME_GONE}, Kojo Mensah",
        "What got in the way, and where the circle could help:",
        "• Kojo Mensah: the projector broke",
    ]
    async with transaction(sessions) as session:  # dedupe still holds for the others
        again = await enqueue(
            session,
            to=Address(Channel.telegram, "7003"),
            payload={"text": "x"},
            key=f"digest-{efua}-2026-38-0",
            now=NOW,
        )
    assert again is False


async def test_an_erased_coordinator_is_signed_out_and_unlinked_but_the_token_works(
    sessions: SessionMaker,
) -> None:
    adwoa, _kojo, _efua = await _people(sessions)
    async with transaction(sessions) as session:
        issued = await create_token(
            session, role=TokenRole.coordinator, name="hub", actor=f"person:{adwoa}", now=NOW
        )
        issued.token.person_id = adwoa
        session.add(
            WebSession(key_hash="a" * 64, token_id=issued.token.id, expires_at=NOW + timedelta(1))
        )
    async with transaction(sessions) as session:
        await forget_person(
            session, person=await session.get_one(Person, adwoa), now=NOW, media_dir=None
        )
    async with sessions() as session:
        token = await session.get_one(ApiToken, issued.token.id)
        assert token.person_id is None and token.revoked_at is None
        assert await authenticate(session, secret=issued.secret, now=NOW) is not None
        assert list(await session.scalars(select(WebSession))) == []
        audit = list(
            await session.execute(select(AuditLog.actor, AuditLog.action).order_by(AuditLog.id))
        )
    assert audit == [(FORGOTTEN_ACTOR, "token.create"), (FORGOTTEN_ACTOR, "person.forget")]


async def test_erasure_drops_what_the_inbox_still_holds_of_the_person_on_every_app(
    sessions: SessionMaker,
) -> None:
    """Updates stored by a webhook but not handled yet (a busy replica, a crash) hold what
    the person wrote: /forgetme removes theirs on Telegram and WhatsApp, nobody else's."""
    adwoa, _kojo, _efua = await _people(sessions)
    async with transaction(sessions) as session:
        session.add(Identity(person_id=adwoa, channel=Channel.whatsapp, address="233200000001"))
        stored = [
            (Channel.telegram, "7001", {"message": {"text": "my class is struggling"}}),
            (Channel.whatsapp, "233200000001", {"text": {"body": "my class again"}}),
            (Channel.telegram, "7002", {"message": {"text": "Kojo's words"}}),
            (Channel.whatsapp, "7001", {"text": {"body": "a number that is not hers"}}),
        ]
        for n, (channel, address, message) in enumerate(stored):
            await store_received(
                session,
                channel=channel,
                received=[Received(str(n), address, None, message)],
                now=NOW,
            )
    async with transaction(sessions) as session:
        await forget_person(
            session, person=await session.get_one(Person, adwoa), now=NOW, media_dir=None
        )
    async with sessions() as session:
        left = list(await session.execute(select(Inbox.channel, Inbox.address)))
    assert sorted(left) == [(Channel.telegram, "7002"), (Channel.whatsapp, "7001")]
