"""check-ins by inquiry and week: the wave's recall reads one week, not the whole year

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-08 00:30:00

``ix_checkin_inquiry`` (``inquiry_id``) becomes ``ix_checkin_inquiry_scheduled``
(``inquiry_id, scheduled_for``). The wave's invitations recall each piloting teacher's
latest planned adjustment (``journeys.pilot_recalls``); with the week in the index it is
found by reading the inquiry's check-ins newest first and stopping at the first plan,
where the read before took every check-in of the inquiry and their answers, a cost that
grew with every week of the school year. The index still serves what the old one did
(``inquiry_id`` leads): an inquiry's check-ins, and setting them to NULL when the inquiry
is deleted.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_checkin_inquiry_scheduled", "checkin", ["inquiry_id", "scheduled_for"])
    op.drop_index("ix_checkin_inquiry", table_name="checkin")


def downgrade() -> None:
    """Revert this revision."""
    op.create_index("ix_checkin_inquiry", "checkin", ["inquiry_id"])
    op.drop_index("ix_checkin_inquiry_scheduled", table_name="checkin")
