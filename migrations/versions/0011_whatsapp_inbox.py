"""whatsapp inbox: messages from the WhatsApp webhook, stored before the 200

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 03:20:00

Each message WhatsApp delivers is stored (unique by its ``wamid``) before the webhook
answers, and handled once from here by the WhatsApp door; a row left unprocessed by a
crash is handled after the restart.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
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


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("whatsapp_inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_whatsapp_inbox_wa_id"))
        batch_op.drop_index(batch_op.f("ix_whatsapp_inbox_processed_at"))

    op.drop_table("whatsapp_inbox")
