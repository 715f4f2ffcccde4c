"""exchange sessions across circles, and hubs

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 15:44:54

``hub`` is a named group of circles (regional, or national with its country;
``hub_circle`` its circles);
``exchange_session`` a coordinator's session for a broadcast's audience (JSON, as
``broadcast.audience``); ``session_rsvp`` one answer per invitee with the circle they were
invited through and their reflection run; ``reflection.session_id`` groups the
reflections written after a session.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "exchange_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("online_url", sa.String(length=500), nullable=True),
        sa.Column(
            "status",
            sa.Enum("scheduled", "cancelled", name="meetingstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_session")),
    )
    with op.batch_alter_table("exchange_session", schema=None) as batch_op:
        batch_op.create_index(
            "ix_exchange_session_status_starts", ["status", "starts_at"], unique=False
        )

    op.create_table(
        "hub",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("regional", "national", name="hubkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub")),
        sa.UniqueConstraint("name", name=op.f("uq_hub_name")),
    )
    op.create_table(
        "hub_circle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_hub_circle_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hub_id"], ["hub.id"], name=op.f("fk_hub_circle_hub_id_hub"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_circle")),
        sa.UniqueConstraint("hub_id", "circle_id", name=op.f("uq_hub_circle_hub_id_circle_id")),
    )
    with op.batch_alter_table("hub_circle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hub_circle_circle_id"), ["circle_id"], unique=False)

    op.create_table(
        "session_rsvp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=True),
        sa.Column(
            "response",
            sa.Enum("yes", "no", "maybe", name="rsvpresponse", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reflection_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_session_rsvp_circle_id_circle"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_session_rsvp_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reflection_run_id"],
            ["flowrun.id"],
            name=op.f("fk_session_rsvp_reflection_run_id_flowrun"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["exchange_session.id"],
            name=op.f("fk_session_rsvp_session_id_exchange_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_rsvp")),
        sa.UniqueConstraint(
            "session_id", "person_id", name=op.f("uq_session_rsvp_session_id_person_id")
        ),
    )
    with op.batch_alter_table("session_rsvp", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_rsvp_person_id"), ["person_id"], unique=False)

    with op.batch_alter_table("reflection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_reflection_session_id"), ["session_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_reflection_session_id_exchange_session"),
            "exchange_session",
            ["session_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("reflection", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_reflection_session_id_exchange_session"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_reflection_session_id"))
        batch_op.drop_column("session_id")

    with op.batch_alter_table("session_rsvp", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_rsvp_person_id"))

    op.drop_table("session_rsvp")
    with op.batch_alter_table("hub_circle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hub_circle_circle_id"))

    op.drop_table("hub_circle")
    op.drop_table("hub")
    with op.batch_alter_table("exchange_session", schema=None) as batch_op:
        batch_op.drop_index("ix_exchange_session_status_starts")

    op.drop_table("exchange_session")
