"""school years: a circle's years, closed with a frozen summary, and who belonged to each

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 16:05:00

``school_year`` holds a circle's school years (label, first and last day, open or closed,
the summary frozen when it closed); ``school_year_member`` who belonged to the circle in
a year, with their role and, for a continuing teacher, what they chose for the new year.
Every existing circle gets its first year, open, from the day it was created, and its
present members are that year's members.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_ENUM = {"native_enum": False, "length": 24}


def _first_year(created: date) -> tuple[str, date, date]:
    """As ``circles.services.years.first_year``: a year from the day the circle was created."""
    return (
        f"{created.year}\u2013{(created.year + 1) % 100:02d}",
        created,
        created + timedelta(days=364),
    )


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "school_year",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=20), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.Enum("open", "closed", name="yearstatus", **_ENUM), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.CheckConstraint("starts_on < ends_on", name=op.f("ck_school_year_dates_in_order")),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_school_year_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_year")),
        sa.UniqueConstraint("circle_id", "label", name=op.f("uq_school_year_circle_id_label")),
    )
    with op.batch_alter_table("school_year", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_school_year_circle_id"), ["circle_id"], unique=False)
        batch_op.create_index(
            "uq_school_year_open",
            ["circle_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "school_year_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum("teacher", "facilitator", "union_rep", name="role", **_ENUM),
            nullable=False,
        ),
        sa.Column("choice", sa.Enum("continue", "new", name="yearchoice", **_ENUM), nullable=True),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_school_year_member_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["year_id"],
            ["school_year.id"],
            name=op.f("fk_school_year_member_year_id_school_year"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_year_member")),
        sa.UniqueConstraint(
            "year_id", "person_id", name=op.f("uq_school_year_member_year_id_person_id")
        ),
    )
    with op.batch_alter_table("school_year_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_school_year_member_person_id"), ["person_id"], unique=False
        )

    bind = op.get_bind()
    now = datetime.now(UTC)
    years = sa.table(
        "school_year",
        sa.column("circle_id", sa.Integer()),
        sa.column("label", sa.String()),
        sa.column("starts_on", sa.Date()),
        sa.column("ends_on", sa.Date()),
        sa.column("status", sa.String()),
        sa.column("opened_at", sa.DateTime(timezone=True)),
    )
    for circle_id, created_at in bind.execute(sa.text("SELECT id, created_at FROM circle")).all():
        created = (
            created_at
            if isinstance(created_at, datetime)
            else datetime.fromisoformat(str(created_at))
        )
        label, starts, ends = _first_year(created.date())
        bind.execute(
            years.insert().values(
                circle_id=circle_id,
                label=label,
                starts_on=starts,
                ends_on=ends,
                status="open",
                opened_at=now if bind.dialect.name != "sqlite" else now.replace(tzinfo=None),
            )
        )
    op.execute(
        "INSERT INTO school_year_member (year_id, person_id, role) "
        "SELECT school_year.id, membership.person_id, membership.role "
        "FROM membership JOIN school_year ON school_year.circle_id = membership.circle_id"
    )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("school_year_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_year_member_person_id"))
    op.drop_table("school_year_member")
    with op.batch_alter_table("school_year", schema=None) as batch_op:
        batch_op.drop_index("uq_school_year_open")
        batch_op.drop_index(batch_op.f("ix_school_year_circle_id"))
    op.drop_table("school_year")
