"""identity.last_inbound_account: the number a person last wrote to

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 19:30:00

WhatsApp's 24-hour window is open between a person and the number they wrote to, not
every number of the deployment. ``identity.last_inbound_account`` keeps the channel
account the last message came in on (NULL: the default bot or number, as every row was
before), so a number's sender sends free-form only inside its own window. No foreign
key: an account removed leaves the value behind, and a window with it simply never
matches again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("identity") as batch:
        batch.add_column(sa.Column("last_inbound_account", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("identity") as batch:
        batch.drop_column("last_inbound_account")
