"""peer questions: help from peers between meetings

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:51:11

``peer_question`` holds a teacher's question to their circle (``/ask``), as written, and
whether it is anonymous; ``peer_question_copy`` the peers it was sent to (only they may
answer); ``peer_answer`` one answer per peer and when the asker thanked them.
``person.peer_questions`` (default on, existing people included) says whether someone
receives their peers' questions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "peer_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("asker_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asker_id"],
            ["person.id"],
            name=op.f("fk_peer_question_asker_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_peer_question_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_question")),
    )
    with op.batch_alter_table("peer_question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_peer_question_asker_id"), ["asker_id"], unique=False)
        batch_op.create_index(
            "ix_peer_question_circle_created", ["circle_id", "created_at"], unique=False
        )

    op.create_table(
        "peer_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("answerer_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("thanked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["answerer_id"],
            ["person.id"],
            name=op.f("fk_peer_answer_answerer_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["peer_question.id"],
            name=op.f("fk_peer_answer_question_id_peer_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_answer")),
        sa.UniqueConstraint(
            "question_id", "answerer_id", name=op.f("uq_peer_answer_question_id_answerer_id")
        ),
    )
    with op.batch_alter_table("peer_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_peer_answer_answerer_id"), ["answerer_id"], unique=False
        )

    op.create_table(
        "peer_question_copy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_peer_question_copy_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["peer_question.id"],
            name=op.f("fk_peer_question_copy_question_id_peer_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_question_copy")),
        sa.UniqueConstraint(
            "question_id", "person_id", name=op.f("uq_peer_question_copy_question_id_person_id")
        ),
    )
    with op.batch_alter_table("peer_question_copy", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_peer_question_copy_person_id"), ["person_id"], unique=False
        )

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("peer_questions", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.alter_column("peer_questions", existing_type=sa.Boolean(), server_default=None)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("peer_questions")

    with op.batch_alter_table("peer_question_copy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_peer_question_copy_person_id"))

    op.drop_table("peer_question_copy")
    with op.batch_alter_table("peer_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_peer_answer_answerer_id"))

    op.drop_table("peer_answer")
    with op.batch_alter_table("peer_question", schema=None) as batch_op:
        batch_op.drop_index("ix_peer_question_circle_created")
        batch_op.drop_index(batch_op.f("ix_peer_question_asker_id"))

    op.drop_table("peer_question")
