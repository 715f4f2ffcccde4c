"""evidence repository: practice fields, versions, adoptions, shares, full-text search

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 06:20:00

Search: SQLite gets an FTS5 table ``practice_fts`` over ``practice.search_text`` (an
external-content table kept current by triggers); PostgreSQL a GIN index on
``to_tsvector('simple', search_text)``. Neither is in the models' metadata:
:func:`circles.migrate.include_name` keeps them out of schema comparisons.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE practice_fts USING fts5("
    "search_text, content='practice', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER practice_fts_insert AFTER INSERT ON practice BEGIN "
    "INSERT INTO practice_fts (rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER practice_fts_delete AFTER DELETE ON practice BEGIN "
    "INSERT INTO practice_fts (practice_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER practice_fts_update AFTER UPDATE OF search_text ON practice BEGIN "
    "INSERT INTO practice_fts (practice_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO practice_fts (rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO practice_fts (practice_fts) VALUES ('rebuild')",
)
_POSTGRES_SEARCH = (
    "CREATE INDEX ix_practice_search ON practice USING gin (to_tsvector('simple', search_text))",
)


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("circle", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("share_every_days", sa.Integer(), nullable=False, server_default="14")
        )
    with op.batch_alter_table("circle", schema=None) as batch_op:
        batch_op.alter_column("share_every_days", existing_type=sa.Integer(), server_default=None)
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("practice_digest", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.alter_column("practice_digest", existing_type=sa.Boolean(), server_default=None)

    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "grade_band",
                sa.Enum(
                    "early_years",
                    "primary",
                    "lower_secondary",
                    "upper_secondary",
                    "adult",
                    name="gradeband",
                    native_enum=False,
                    length=24,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("summary", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.alter_column("tags", existing_type=sa.JSON(), server_default=None)
        batch_op.alter_column("search_text", existing_type=sa.Text(), server_default=None)
    # Existing practices become searchable by their title.
    op.execute("UPDATE practice SET search_text = title")

    op.create_table(
        "practiceversion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("edited_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
            name=op.f("fk_practiceversion_practice_id_practice"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practiceversion")),
        sa.UniqueConstraint(
            "practice_id", "version", name=op.f("uq_practiceversion_practice_id_version")
        ),
    )
    op.create_table(
        "adoption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inquiry_id"],
            ["inquiry.id"],
            name=op.f("fk_adoption_inquiry_id_inquiry"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_adoption_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
            name=op.f("fk_adoption_practice_id_practice"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adoption")),
        sa.UniqueConstraint(
            "practice_id", "person_id", name=op.f("uq_adoption_practice_id_person_id")
        ),
    )
    op.create_index(op.f("ix_adoption_practice_id"), "adoption", ["practice_id"], unique=False)
    op.create_table(
        "practiceshare",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_practiceshare_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
            name=op.f("fk_practiceshare_practice_id_practice"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practiceshare")),
        sa.UniqueConstraint(
            "circle_id", "practice_id", name=op.f("uq_practiceshare_circle_id_practice_id")
        ),
    )
    statements = _SQLITE_SEARCH if op.get_bind().dialect.name == "sqlite" else _POSTGRES_SEARCH
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS practice_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS practice_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_practice_search")
    op.drop_table("practiceshare")
    op.drop_index(op.f("ix_adoption_practice_id"), table_name="adoption")
    op.drop_table("adoption")
    op.drop_table("practiceversion")
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.drop_column("archived_at")
        batch_op.drop_column("search_text")
        batch_op.drop_column("tags")
        batch_op.drop_column("summary")
        batch_op.drop_column("grade_band")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("practice_digest")
    with op.batch_alter_table("circle", schema=None) as batch_op:
        batch_op.drop_column("share_every_days")
