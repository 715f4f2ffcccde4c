"""whatsapp templates and statuses: what an outbox message went as, and how far it got

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 06:40:00

``outbox.template`` names the WhatsApp template a message went as outside the person's
24-hour window; ``outbox.delivered_at`` and ``outbox.read_at`` record how far a sent
message got (WhatsApp's status webhooks), which find their message by
``outbox.sent_message_id``, now indexed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("template", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("read_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_outbox_sent_message_id"), ["sent_message_id"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_sent_message_id"))
        batch_op.drop_column("read_at")
        batch_op.drop_column("delivered_at")
        batch_op.drop_column("template")
