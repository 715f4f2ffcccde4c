"""channel accounts: several Telegram bots and WhatsApp numbers in one deployment

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 16:00:00

``channel_account`` holds the bots and numbers beside the environment's default one,
their tokens and app secrets encrypted (Fernet, ``CIRCLES_SECRETS_KEY``);
``channel_assignment`` says which circle, or which country's circles, each serves.
``outbox.sent_by`` names the account whose number sent a row (each number counts its
own messaging tier) and ``inbox.receiver`` the number (phone number id) or extra bot
(account name) an update was written to. Nothing existing changes: without rows, the
default account serves every circle, and rows with neither are the default account's.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "channel_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("phone_number", sa.String(length=16), nullable=True),
        sa.Column("phone_number_id", sa.String(length=32), nullable=True),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("token_encrypted", sa.Text(), nullable=False),
        sa.Column("app_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_account")),
        sa.UniqueConstraint("name", name=op.f("uq_channel_account_name")),
        sa.UniqueConstraint("phone_number_id", name=op.f("uq_channel_account_phone_number_id")),
    )
    op.create_table(
        "channel_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("app", sa.String(length=24), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.CheckConstraint(
            "(circle_id IS NULL) <> (country IS NULL)",
            name=op.f("ck_channel_assignment_one_place"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["channel_account.id"],
            name=op.f("fk_channel_assignment_account_id_channel_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_channel_assignment_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_assignment")),
        sa.UniqueConstraint("app", "circle_id", name=op.f("uq_channel_assignment_app_circle_id")),
        sa.UniqueConstraint("app", "country", name=op.f("uq_channel_assignment_app_country")),
    )
    with op.batch_alter_table("channel_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_assignment_account_id"), ["account_id"], unique=False
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_by", sa.Integer(), nullable=True))
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receiver", sa.String(length=32), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_column("receiver")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("sent_by")
    with op.batch_alter_table("channel_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_assignment_account_id"))
    op.drop_table("channel_assignment")
    op.drop_table("channel_account")
