"""answer message ref and reflection flow run

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 03:49:33.534225
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_ref", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_answer_person_ref", ["person_id", "message_ref"], unique=False)

    with op.batch_alter_table("reflection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flow_run_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_reflection_flow_run_id_flowrun"),
            "flowrun",
            ["flow_run_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("reflection", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_reflection_flow_run_id_flowrun"), type_="foreignkey"
        )
        batch_op.drop_column("flow_run_id")

    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index("ix_answer_person_ref")
        batch_op.drop_column("message_ref")
