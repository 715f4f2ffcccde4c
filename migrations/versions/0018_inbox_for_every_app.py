"""inbox for every app: Telegram's webhook updates are stored like WhatsApp's messages

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 16:30:00

``whatsapp_inbox`` becomes ``inbox``, one table for both apps' webhooks: a ``channel``
column, the sender's ``address`` (was ``wa_id``) and ids unique per channel. Rows not yet
handled are carried over, so a WhatsApp message stored before the upgrade is handled
after it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = sa.Enum("telegram", "whatsapp", "simulator", name="channel", native_enum=False, length=24)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", CHANNEL, nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("profile_name", sa.String(length=120), nullable=True),
        sa.Column("message", sa.JSON(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("channel", "message_id", name=op.f("uq_inbox_channel_message_id")),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_address"), ["address"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbox_processed_at"), ["processed_at"], unique=False)
    op.execute(
        "INSERT INTO inbox (channel, message_id, address, profile_name, message, received_at,"
        " processed_at, attempts, last_error)"
        " SELECT 'whatsapp', message_id, wa_id, profile_name, message, received_at,"
        " processed_at, attempts, last_error FROM whatsapp_inbox ORDER BY id"
    )
    with op.batch_alter_table("whatsapp_inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_whatsapp_inbox_wa_id"))
        batch_op.drop_index(batch_op.f("ix_whatsapp_inbox_processed_at"))
    op.drop_table("whatsapp_inbox")


def downgrade() -> None:
    """Revert this revision (Telegram's stored updates are dropped)."""
    op.create_table(
        "whatsapp_inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("wa_id", sa.String(length=64), nullable=False),
        sa.Column("profile_name", sa.String(length=120), nullable=True),
        sa.Column("message", sa.JSON(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_inbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_whatsapp_inbox_message_id")),
    )
    with op.batch_alter_table("whatsapp_inbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_whatsapp_inbox_processed_at"), ["processed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_whatsapp_inbox_wa_id"), ["wa_id"], unique=False)
    op.execute(
        "INSERT INTO whatsapp_inbox (message_id, wa_id, profile_name, message, received_at,"
        " processed_at, attempts, last_error)"
        " SELECT message_id, address, profile_name, message, received_at, processed_at,"
        " attempts, last_error FROM inbox WHERE channel = 'whatsapp' ORDER BY id"
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_processed_at"))
        batch_op.drop_index(batch_op.f("ix_inbox_address"))
    op.drop_table("inbox")
