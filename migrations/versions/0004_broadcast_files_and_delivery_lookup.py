"""broadcast files and delivery lookup

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 04:40:29.615914
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_kind", sa.String(length=12), nullable=True))

    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_outbox", ["outbox_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_outbox")

    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.drop_column("file_kind")
