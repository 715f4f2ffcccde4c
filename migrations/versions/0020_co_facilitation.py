"""distributed leadership: co-facilitation invitations, facilitators' monthly check-ins

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 15:43:21

``co_facilitation`` holds an invitation to a teacher who codified a practice to
co-facilitate a circle (pending, accepted, declined or expired; who invited and until
when). ``facilitator_checkin`` holds a facilitator's monthly check-in on their circle
(one per person, circle and month): when it opened, closes, was nudged and answered, and
the answers for the coordinators (what went well, what support they need, a 1–5 rating).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "co_facilitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("from_circle_id", sa.Integer(), nullable=False),
        sa.Column("invited_by", sa.String(length=80), nullable=False),
        sa.Column("inviter_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "accepted",
                "declined",
                "expired",
                name="cofacilitationstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_co_facilitation_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_circle_id"],
            ["circle.id"],
            name=op.f("fk_co_facilitation_from_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inviter_id"],
            ["person.id"],
            name=op.f("fk_co_facilitation_inviter_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_co_facilitation_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_co_facilitation")),
    )
    with op.batch_alter_table("co_facilitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_co_facilitation_circle_id"), ["circle_id"], unique=False
        )
        batch_op.create_index(
            "ix_co_facilitation_person_status", ["person_id", "status"], unique=False
        )

    op.create_table(
        "facilitator_checkin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("nudged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("went_well", sa.Text(), nullable=True),
        sa.Column("support", sa.Text(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_facilitator_checkin_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_facilitator_checkin_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facilitator_checkin")),
        sa.UniqueConstraint(
            "person_id",
            "circle_id",
            "month",
            name=op.f("uq_facilitator_checkin_person_id_circle_id_month"),
        ),
    )
    with op.batch_alter_table("facilitator_checkin", schema=None) as batch_op:
        batch_op.create_index(
            "ix_facilitator_checkin_circle_answered", ["circle_id", "answered_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_facilitator_checkin_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("facilitator_checkin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facilitator_checkin_person_id"))
        batch_op.drop_index("ix_facilitator_checkin_circle_answered")

    op.drop_table("facilitator_checkin")
    with op.batch_alter_table("co_facilitation", schema=None) as batch_op:
        batch_op.drop_index("ix_co_facilitation_person_status")
        batch_op.drop_index(batch_op.f("ix_co_facilitation_circle_id"))

    op.drop_table("co_facilitation")
