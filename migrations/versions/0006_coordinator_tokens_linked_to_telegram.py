"""coordinator tokens linked to Telegram

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 05:26:25.464447
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("apitoken", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_apitoken_person_id"), ["person_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_apitoken_person_id_person"),
            "person",
            ["person_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("apitoken", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_apitoken_person_id_person"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_apitoken_person_id"))
        batch_op.drop_column("person_id")
