"""demo circles and server-side web sessions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 21:40:00

``circle.demo`` marks the sandbox circles the web simulator may join (existing circles
named "Demo circle", which only ``circles demo`` and the simulator created, become demo
circles); ``websession`` lets signing out end a dashboard session on the server.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("circle", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(batch_op.f("ix_circle_demo"), ["demo"], unique=False)
    with op.batch_alter_table("circle", schema=None) as batch_op:
        batch_op.alter_column("demo", existing_type=sa.Boolean(), server_default=None)
    op.execute(
        sa.text("UPDATE circle SET demo = :yes WHERE name = 'Demo circle'").bindparams(yes=True)
    )

    op.create_table(
        "websession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["apitoken.id"],
            name=op.f("fk_websession_token_id_apitoken"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_websession")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_websession_key_hash")),
    )
    with op.batch_alter_table("websession", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_websession_token_id"), ["token_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("websession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_websession_token_id"))
    op.drop_table("websession")
    with op.batch_alter_table("circle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_circle_demo"))
        batch_op.drop_column("demo")
