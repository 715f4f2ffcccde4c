"""answer handled: a facilitator marks a help request or a blocker as handled

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 13:00:00

``answer.handled_at`` and ``answer.handled_by`` (the actor, ``token:<id>``): the circle
page lists the answers to "what got in the way" and "anything the circle could help
with" that nobody marked handled yet.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("handled_by", sa.String(length=80), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_column("handled_by")
        batch_op.drop_column("handled_at")
