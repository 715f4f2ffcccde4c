"""country holidays: a holiday belongs to one circle or to every circle of a country

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 04:10:00

``holiday.circle_id`` becomes nullable and ``holiday.country`` (an ISO 3166 code) is
added; a check keeps exactly one of the two set. Existing holidays are circle holidays
and stay as they are. Downgrade drops country holidays, which the old schema cannot hold.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("holiday", schema=None) as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(length=2), nullable=True))
        batch_op.alter_column("circle_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_holiday_one_place"), "(circle_id IS NULL) <> (country IS NULL)"
        )
        batch_op.create_index(
            "ix_holiday_country_dates", ["country", "starts_on", "ends_on"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    op.execute(sa.text("DELETE FROM holiday WHERE circle_id IS NULL"))
    with op.batch_alter_table("holiday", schema=None) as batch_op:
        batch_op.drop_index("ix_holiday_country_dates")
        batch_op.drop_constraint(op.f("ck_holiday_one_place"), type_="check")
        batch_op.alter_column("circle_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("country")
