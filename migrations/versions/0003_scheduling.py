"""scheduling

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 04:07:05.173605
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "holiday",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_holiday_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday")),
    )
    with op.batch_alter_table("holiday", schema=None) as batch_op:
        batch_op.create_index(
            "ix_holiday_circle_dates", ["circle_id", "starts_on", "ends_on"], unique=False
        )

    # Existing circles get the defaults; the server defaults are dropped again afterwards
    # because the application always sets these columns itself.
    defaults = {
        "days_before_meeting": (sa.Integer(), "3"),
        "first_nudge_hours": (sa.Integer(), "24"),
        "second_nudge_hours": (sa.Integer(), "72"),
        "quiet_from": (sa.Time(), "21:00:00"),
        "quiet_until": (sa.Time(), "07:00:00"),
    }
    with op.batch_alter_table("circle", schema=None) as batch_op:
        for name, (type_, default) in defaults.items():
            batch_op.add_column(
                sa.Column(name, type_, nullable=False, server_default=sa.text(f"'{default}'"))
            )
    with op.batch_alter_table("circle", schema=None) as batch_op:
        for name, (type_, _default) in defaults.items():
            batch_op.alter_column(name, existing_type=type_, server_default=None)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_nudge_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_checkin_status_nudge", ["status", "next_nudge_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.drop_index("ix_checkin_status_nudge")
        batch_op.drop_column("next_nudge_at")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")

    with op.batch_alter_table("circle", schema=None) as batch_op:
        batch_op.drop_column("quiet_until")
        batch_op.drop_column("quiet_from")
        batch_op.drop_column("second_nudge_hours")
        batch_op.drop_column("first_nudge_hours")
        batch_op.drop_column("days_before_meeting")

    with op.batch_alter_table("holiday", schema=None) as batch_op:
        batch_op.drop_index("ix_holiday_circle_dates")

    op.drop_table("holiday")
