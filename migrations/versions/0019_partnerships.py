"""partnerships between teachers of different circles

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 15:43:43

``partnership`` holds two teachers of different circles piloting the same strategy (who
asked, who was asked, their circles, the strategy, requested / declined / active /
ended); ``partner_message`` the messages the bot relayed between them, as written.
``person.partner_proposals`` (default on, existing people included) says whether someone
may be proposed as a partner.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "partnership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("requester_circle_id", sa.Integer(), nullable=False),
        sa.Column("partner_circle_id", sa.Integer(), nullable=False),
        sa.Column(
            "strategy",
            sa.Enum(
                "learning_intentions",
                "eliciting_evidence",
                "feedback",
                "peer_assessment",
                "self_assessment",
                name="strategy",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "declined",
                "active",
                "ended",
                name="partnershipstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_circle_id"],
            ["circle.id"],
            name=op.f("fk_partnership_partner_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["person.id"],
            name=op.f("fk_partnership_partner_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requester_circle_id"],
            ["circle.id"],
            name=op.f("fk_partnership_requester_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["person.id"],
            name=op.f("fk_partnership_requester_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partnership")),
        sa.UniqueConstraint(
            "requester_id", "partner_id", name=op.f("uq_partnership_requester_id_partner_id")
        ),
    )
    with op.batch_alter_table("partnership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partnership_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_partnership_requester_id"), ["requester_id"], unique=False
        )

    op.create_table(
        "partner_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_partner_message_partnership_id_partnership"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["person.id"],
            name=op.f("fk_partner_message_sender_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_message")),
    )
    with op.batch_alter_table("partner_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_message_partnership_id"), ["partnership_id"], unique=False
        )
        batch_op.create_index(
            "ix_partner_message_sender_created", ["sender_id", "created_at"], unique=False
        )

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("partner_proposals", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.alter_column("partner_proposals", existing_type=sa.Boolean(), server_default=None)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("partner_proposals")

    with op.batch_alter_table("partner_message", schema=None) as batch_op:
        batch_op.drop_index("ix_partner_message_sender_created")
        batch_op.drop_index(batch_op.f("ix_partner_message_partnership_id"))

    op.drop_table("partner_message")
    with op.batch_alter_table("partnership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partnership_requester_id"))
        batch_op.drop_index(batch_op.f("ix_partnership_partner_id"))

    op.drop_table("partnership")
