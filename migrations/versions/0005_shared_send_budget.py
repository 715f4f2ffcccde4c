"""shared send budget

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 05:12:08.600451
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "sendbudget",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("next_slot", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sendbudget")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("sendbudget")
