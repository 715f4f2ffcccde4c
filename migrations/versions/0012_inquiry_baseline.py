"""inquiry baseline and success evidence

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 04:30:00

Identify (v2) asks what students do now (the baseline, text or a photo) and what their
work will show when the practice works; the inquiry keeps both, so that each pilot week
can recall them. Inquiries identified before have neither.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("baseline", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("baseline_file_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("success", sa.Text(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.drop_column("success")
        batch_op.drop_column("baseline_file_id")
        batch_op.drop_column("baseline")
