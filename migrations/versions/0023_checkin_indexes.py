"""check-in indexes: by inquiry for the wave's recalls, and a conversation's check-in

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 16:10:00

``ix_checkin_inquiry`` on ``checkin.inquiry_id``: the wave's invitations recall each
piloting teacher's latest planned adjustment through their inquiry's check-ins
(``journeys.last_adjustments``), which without it read the whole check-in table once per
thousand teachers (measured by ``bench.million``).

``ix_flowrun_checkin`` on ``flowrun.checkin_id``: every check-in deleted (``/forgetme``,
a circle removed) set its conversations' ``checkin_id`` to NULL by reading the whole
conversation table, and closing a week looks them up by check-in.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_checkin_inquiry", "checkin", ["inquiry_id"])
    op.create_index("ix_flowrun_checkin", "flowrun", ["checkin_id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_flowrun_checkin", table_name="flowrun")
    op.drop_index("ix_checkin_inquiry", table_name="checkin")
