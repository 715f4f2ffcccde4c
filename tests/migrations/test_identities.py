"""Migration 0010 moves a running bot's people, groups, outbox and updates to identities."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, text

from circles.clock import FakeClock
from circles.db import create_engine, create_sessionmaker, transaction
from circles.migrate import downgrade, upgrade
from circles.models import Channel, Delivery, FlowRun, Membership, Outbox, OutboxState
from circles.services.groups import circle_of_group
from circles.services.people import find_person, preferred_identity
from circles.services.updates import claim_update

TEACHER = 555001
SIMULATED = -(10**15) - 42
GROUP = -1001234567890
BLOCKED_AT = "2026-12-01 10:00:00+00"

# A bot at revision 0009: a circle with a linked group, a teacher who blocked the bot, a
# simulated teacher, their runs, a broadcast with a delivery, queued and sent messages,
# and handled updates.
FILLED_AT_0009 = [
    "INSERT INTO circle (id, name, country, language, timezone, cadence, checkin_weekday,"
    " checkin_time, days_before_meeting, first_nudge_hours, second_nudge_hours, quiet_from,"
    " quiet_until, telegram_group_id, share_every_days, demo, created_at) VALUES (1, 'Accra 1',"
    f" 'GH', 'en', 'Africa/Accra', 'weekly', 0, '16:00:00', 3, 24, 72, '21:00:00', '07:00:00',"
    f" {GROUP}, 14, false, '2026-09-01 00:00:00+00')",
    "INSERT INTO person (id, telegram_user_id, display_name, language, timezone, consent,"
    " practice_digest, unreachable_at, created_at) VALUES"
    f" (1, {TEACHER}, 'Ama', 'en', 'Africa/Accra', 'given', true, '{BLOCKED_AT}',"
    " '2026-09-01 00:00:00+00'),"
    f" (2, {SIMULATED}, 'Sim', 'fr', 'UTC', 'given', true, NULL, '2026-09-02 00:00:00+00')",
    "INSERT INTO membership (id, person_id, circle_id, role, joined_at) VALUES"
    " (1, 1, 1, 'teacher', '2026-09-01 00:00:00+00'),"
    " (2, 2, 1, 'teacher', '2026-09-02 00:00:00+00')",
    "INSERT INTO flowrun (id, person_id, flow_id, flow_version, current_step, status, state,"
    " started_at, updated_at) VALUES (1, 1, 'identify', 1, 'strategy', 'waiting', '{}',"
    " '2026-09-03 00:00:00+00', '2026-09-03 00:00:00+00')",
    "INSERT INTO broadcast (id, default_language, variants, audience, status, created_by,"
    " created_at) VALUES (1, 'en', '{\"en\": \"Hello\"}', '{}', 'sending', 'admin',"
    " '2026-09-04 00:00:00+00')",
    "INSERT INTO outbox (id, chat_id, payload, priority, idempotency_key, state, attempts,"
    " not_before, telegram_message_id, created_at) VALUES"
    f" (1, {TEACHER}, '{{\"text\": \"Hello\"}}', 'bulk', 'broadcast-1', 'pending', 0,"
    " '2026-09-04 00:00:00+00', NULL, '2026-09-04 00:00:00+00'),"
    f" (2, {SIMULATED}, '{{\"text\": \"Hi\"}}', 'bulk', 'nudge-2026-09-04', 'pending', 0,"
    " '2026-09-04 00:00:00+00', NULL, '2026-09-04 00:00:00+00'),"
    f" (3, {GROUP}, '{{\"text\": \"Meeting\"}}', 'bulk', 'meeting-1-new-1', 'sent', 1,"
    " '2026-09-04 00:00:00+00', 77, '2026-09-04 00:00:00+00')",
    "INSERT INTO delivery (id, broadcast_id, person_id, outbox_id, state) VALUES"
    " (1, 1, 1, 1, 'pending')",
    "INSERT INTO processedupdate (update_id, processed_at) VALUES (9001, '2026-09-04 00:00:00+00')",
]


async def test_a_bot_at_0009_upgrades_keeps_working_and_downgrades_with_its_data(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url)
    try:
        await upgrade(engine, "0009")
        async with engine.begin() as connection:
            for statement in FILLED_AT_0009:
                await connection.execute(text(statement))

        await upgrade(engine)
        sessions = create_sessionmaker(engine)
        async with transaction(sessions) as session:
            teacher = await find_person(session, channel=Channel.telegram, address=str(TEACHER))
            simulated = await find_person(
                session, channel=Channel.simulator, address=str(SIMULATED)
            )
            assert teacher is not None and teacher.display_name == "Ama"
            assert simulated is not None and simulated.display_name == "Sim"
            assert (
                await find_person(session, channel=Channel.telegram, address=str(SIMULATED)) is None
            )
            # Blocked before the migration, so still nowhere to send until they write again.
            assert await preferred_identity(session, person_id=teacher.id) is None
            assert (await preferred_identity(session, person_id=simulated.id)).address == str(
                SIMULATED
            )
            circle = await circle_of_group(session, channel=Channel.telegram, address=str(GROUP))
            assert circle is not None and circle.name == "Accra 1"
            assert len(list(await session.scalars(select(Membership)))) == 2
            assert (await session.get(FlowRun, 1)).current_step == "strategy"
            assert (await session.get(Delivery, 1)).outbox_id == 1
            rows = {
                row.id: (row.channel, row.address, row.sent_message_id)
                for row in await session.scalars(select(Outbox))
            }
            assert rows == {
                1: (Channel.telegram, str(TEACHER), None),
                2: (Channel.simulator, str(SIMULATED), None),
                3: (Channel.telegram, str(GROUP), "77"),
            }
            now = datetime(2026, 9, 4, 1, tzinfo=UTC)
            assert not await claim_update(
                session, channel=Channel.telegram, update_id="9001", now=now
            )
            assert await claim_update(session, channel=Channel.whatsapp, update_id="9001", now=now)

        # The Telegram sender takes the teacher's message and never the simulated chat's.
        from bot.handlers.telegram.sender import OutboxSender

        sender = OutboxSender(None, sessions, FakeClock(now), None)  # type: ignore[arg-type]
        claimed = await sender.claim()
        assert [(row.id, row.state) for row in claimed] == [(1, OutboxState.pending)]

        await downgrade(engine, "0009")
        async with engine.connect() as connection:
            people = (
                await connection.execute(
                    text("SELECT id, telegram_user_id, unreachable_at FROM person ORDER BY id")
                )
            ).all()
            assert [(pid, user) for pid, user, _blocked in people] == [
                (1, TEACHER),
                (2, SIMULATED),
            ]
            assert people[0][2] is not None and people[1][2] is None
            assert (
                await connection.execute(text("SELECT telegram_group_id FROM circle"))
            ).scalar_one() == GROUP
            outbox = (
                await connection.execute(
                    text("SELECT id, chat_id, telegram_message_id FROM outbox ORDER BY id")
                )
            ).all()
            assert [tuple(row) for row in outbox] == [
                (1, TEACHER, None),
                (2, SIMULATED, None),
                (3, GROUP, 77),
            ]
            assert (
                await connection.execute(text("SELECT outbox_id FROM delivery"))
            ).scalar_one() == 1
            assert (
                await connection.execute(text("SELECT update_id FROM processedupdate"))
            ).scalars().all() == [9001]
            assert (
                await connection.execute(text("SELECT count(*) FROM membership"))
            ).scalar_one() == 2
    finally:
        await engine.dispose()
