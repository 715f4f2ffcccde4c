"""outbox idempotency keys are unique per chat

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 23:20:00

A message is the same message when it has the same purpose key and goes to the same
chat, so keys no longer need to name the recipient. Existing keys keep their text: they
were unique overall, so they are unique per chat too.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outbox_idempotency_key"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_outbox_chat_id_idempotency_key"), ["chat_id", "idempotency_key"]
        )


def downgrade() -> None:
    """Revert this revision (fails if two chats share a key, as the old rule forbids)."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outbox_chat_id_idempotency_key"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_outbox_idempotency_key"), ["idempotency_key"]
        )
