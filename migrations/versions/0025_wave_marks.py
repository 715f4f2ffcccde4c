"""wave marks: when the check-in planner next needs to look at each circle

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 19:10:00

The check-in sweep runs every minute and read every member, their check-ins and their
phases to find, most minutes, that nothing was due (127 s at a million members,
``bench.million``). ``wave_mark`` keeps, per circle, the instant the planner next needs
to look at it; a sweep plans only circles without a mark or whose mark has come. No
rows at first: every circle is looked at by the first sweep after the upgrade.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "wave_mark",
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("replan_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_wave_mark_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("circle_id", name=op.f("pk_wave_mark")),
    )
    op.create_index(op.f("ix_wave_mark_replan_at"), "wave_mark", ["replan_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_wave_mark_replan_at"), table_name="wave_mark")
    op.drop_table("wave_mark")
