"""channel identities: people, processed updates, group links and the outbox per channel

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 00:10:00

A person is reached through one or more identities (channel, address) instead of one
Telegram user id; processed update ids, circle group links and outbox rows carry a channel
and a text address too, so that WhatsApp's string ids fit beside Telegram's numbers.

Moved without loss: every person's Telegram id becomes a ``telegram`` identity (or a
``simulator`` one for the web simulator's synthetic ids, at or below −10¹⁵) with their
``unreachable_at``; processed updates become ``('telegram', '<id>')``; a circle's
Telegram group becomes a group link (when two circles named the same group, the newer
circle keeps it, as a group now belongs to one circle); outbox rows get the channel and
address of their chat id, and Telegram's message id as text.

Downgrade does the reverse for Telegram and the simulator; what only the new schema can
hold (WhatsApp identities, their outbox rows and processed updates, a person's second
identity) is dropped, since the old schema has no place for it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The web simulator's synthetic ids were this or lower (circles.services.simulation).
SIMULATED_ID_CEILING = -(10**15)


def _channel() -> sa.Enum:
    return sa.Enum(
        "telegram", "whatsapp", "simulator", name="channel", native_enum=False, length=24
    )


def _channel_of(column: str) -> str:
    """SQL: the channel of an old Telegram-style id column."""
    return f"CASE WHEN {column} <= {SIMULATED_ID_CEILING} THEN 'simulator' ELSE 'telegram' END"


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("channel", _channel(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_identity_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity")),
        sa.UniqueConstraint("channel", "address", name=op.f("uq_identity_channel_address")),
    )
    with op.batch_alter_table("identity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_person_id"), ["person_id"], unique=False)
    op.create_table(
        "grouplink",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("channel", _channel(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_grouplink_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grouplink")),
        sa.UniqueConstraint("channel", "address", name=op.f("uq_grouplink_channel_address")),
        sa.UniqueConstraint("circle_id", "channel", name=op.f("uq_grouplink_circle_id_channel")),
    )

    # People: their Telegram (or simulated) id becomes an identity.
    op.execute(
        "INSERT INTO identity (person_id, channel, address, unreachable_at, created_at) "
        f"SELECT id, {_channel_of('telegram_user_id')}, "
        "CAST(telegram_user_id AS VARCHAR(64)), unreachable_at, created_at "
        "FROM person WHERE telegram_user_id IS NOT NULL"
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_person_telegram_user_id"), type_="unique")
        batch_op.drop_column("telegram_user_id")
        batch_op.drop_column("unreachable_at")

    # Circles: the Telegram group becomes a group link (the newest circle keeps a shared one).
    op.execute(
        "INSERT INTO grouplink (circle_id, channel, address, created_at) "
        "SELECT id, 'telegram', CAST(telegram_group_id AS VARCHAR(64)), created_at "
        "FROM circle WHERE telegram_group_id IS NOT NULL AND NOT EXISTS ("
        "SELECT 1 FROM circle AS newer WHERE newer.telegram_group_id = circle.telegram_group_id"
        " AND newer.id > circle.id)"
    )
    with op.batch_alter_table("circle", schema=None) as batch_op:
        batch_op.drop_column("telegram_group_id")

    # The outbox: a chat id becomes a channel and an address.
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", _channel(), nullable=True))
        batch_op.add_column(sa.Column("address", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("sent_message_id", sa.String(length=128), nullable=True))
    op.execute(
        f"UPDATE outbox SET channel = {_channel_of('chat_id')}, "
        "address = CAST(chat_id AS VARCHAR(64)), "
        "sent_message_id = CAST(telegram_message_id AS VARCHAR(128))"
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("channel", existing_type=_channel(), nullable=False)
        batch_op.alter_column("address", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_outbox_chat_id_idempotency_key"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_outbox_channel_address_idempotency_key"),
            ["channel", "address", "idempotency_key"],
        )
        batch_op.drop_column("chat_id")
        batch_op.drop_column("telegram_message_id")

    # Processed updates: Telegram's, by channel and text id.
    with op.batch_alter_table("processedupdate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", _channel(), nullable=True))
    op.execute("UPDATE processedupdate SET channel = 'telegram'")
    with op.batch_alter_table("processedupdate", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("pk_processedupdate"), type_="primary")
        batch_op.alter_column("channel", existing_type=_channel(), nullable=False)
        batch_op.alter_column(
            "update_id",
            existing_type=sa.BigInteger(),
            type_=sa.String(length=128),
            existing_nullable=False,
            postgresql_using="update_id::varchar(128)",
        )
        batch_op.create_primary_key(batch_op.f("pk_processedupdate"), ["channel", "update_id"])


def downgrade() -> None:
    """Revert this revision (what only identities can hold is dropped; see above)."""
    old_channels = "('telegram', 'simulator')"

    op.execute("DELETE FROM processedupdate WHERE channel != 'telegram'")
    with op.batch_alter_table("processedupdate", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("pk_processedupdate"), type_="primary")
        batch_op.alter_column(
            "update_id",
            existing_type=sa.String(length=128),
            type_=sa.BigInteger(),
            existing_nullable=False,
            postgresql_using="update_id::bigint",
        )
        batch_op.drop_column("channel")
        batch_op.create_primary_key(batch_op.f("pk_processedupdate"), ["update_id"])

    op.execute(f"DELETE FROM outbox WHERE channel NOT IN {old_channels}")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("telegram_message_id", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE outbox SET chat_id = CAST(address AS BIGINT), telegram_message_id = "
        "CASE WHEN channel = 'telegram' THEN CAST(sent_message_id AS BIGINT) END"
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_constraint(
            batch_op.f("uq_outbox_channel_address_idempotency_key"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_outbox_chat_id_idempotency_key"), ["chat_id", "idempotency_key"]
        )
        batch_op.drop_column("sent_message_id")
        batch_op.drop_column("address")
        batch_op.drop_column("channel")

    with op.batch_alter_table("circle", schema=None) as batch_op:
        batch_op.add_column(sa.Column("telegram_group_id", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE circle SET telegram_group_id = (SELECT CAST(address AS BIGINT) FROM grouplink"
        " WHERE grouplink.circle_id = circle.id AND grouplink.channel = 'telegram')"
    )

    # A person keeps one identity of the old kinds: Telegram's before the simulator's.
    chosen = (
        "FROM identity WHERE identity.person_id = person.id"
        f" AND identity.channel IN {old_channels}"
        " ORDER BY CASE identity.channel WHEN 'telegram' THEN 0 ELSE 1 END, identity.id"
        " LIMIT 1"
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("telegram_user_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        f"UPDATE person SET telegram_user_id = (SELECT CAST(address AS BIGINT) {chosen}), "
        f"unreachable_at = (SELECT unreachable_at {chosen})"
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_person_telegram_user_id"), ["telegram_user_id"]
        )

    op.drop_table("grouplink")
    with op.batch_alter_table("identity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_person_id"))
    op.drop_table("identity")
