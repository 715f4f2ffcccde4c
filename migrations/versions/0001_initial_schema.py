"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 03:37:42.850485
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "auditlog",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target_type", sa.String(length=40), nullable=True),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auditlog")),
    )
    with op.batch_alter_table("auditlog", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auditlog_at"), ["at"], unique=False)

    op.create_table(
        "broadcast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("default_language", sa.String(length=8), nullable=False),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("file_id", sa.String(length=200), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "scheduled",
                "sending",
                "done",
                "cancelled",
                name="broadcaststatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast")),
    )
    op.create_table(
        "circle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column(
            "cadence",
            sa.Enum("weekly", "fortnightly", name="cadence", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("checkin_weekday", sa.Integer(), nullable=False),
        sa.Column("checkin_time", sa.Time(), nullable=False),
        sa.Column("telegram_group_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle")),
        sa.UniqueConstraint("name", name=op.f("uq_circle_name")),
    )
    with op.batch_alter_table("circle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_circle_country"), ["country"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "priority",
            sa.Enum("reply", "bulk", name="outboxpriority", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "failed",
                "unreachable",
                name="outboxstate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["state", "priority", "not_before"], unique=False)

    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.Column("display_name", sa.String(length=120), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column(
            "consent",
            sa.Enum("pending", "given", "refused", name="consent", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("subjects", sa.String(length=200), nullable=True),
        sa.Column("grade_level", sa.String(length=80), nullable=True),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("forgotten_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("telegram_user_id", name=op.f("uq_person_telegram_user_id")),
    )
    op.create_table(
        "processedupdate",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_processedupdate")),
    )
    with op.batch_alter_table("processedupdate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processedupdate_processed_at"), ["processed_at"], unique=False
        )

    op.create_table(
        "apitoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "coordinator",
                "facilitator",
                "union_rep",
                name="tokenrole",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("circle_id", sa.Integer(), nullable=True),
        sa.Column("countries", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_apitoken_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apitoken")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_apitoken_token_hash")),
    )
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "sent",
                "failed",
                "unreachable",
                "skipped",
                name="deliverystate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcast.id"],
            name=op.f("fk_delivery_broadcast_id_broadcast"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_delivery_outbox_id_outbox"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_delivery_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint(
            "broadcast_id", "person_id", name=op.f("uq_delivery_broadcast_id_person_id")
        ),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_broadcast_state", ["broadcast_id", "state"], unique=False
        )

    op.create_table(
        "inquiry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column(
            "phase",
            sa.Enum(
                "identify", "pilot", "codify", "done", name="phase", native_enum=False, length=24
            ),
            nullable=False,
        ),
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
            nullable=True,
        ),
        sa.Column("practice", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_inquiry_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_inquiry_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inquiry")),
    )
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.create_index("ix_inquiry_circle_phase", ["circle_id", "phase"], unique=False)
        batch_op.create_index(batch_op.f("ix_inquiry_person_id"), ["person_id"], unique=False)

    op.create_table(
        "invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "teacher", "facilitator", "union_rep", name="role", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_invite_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invite")),
        sa.UniqueConstraint("code", name=op.f("uq_invite_code")),
    )
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invite_circle_id"), ["circle_id"], unique=False)

    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("online_url", sa.String(length=500), nullable=True),
        sa.Column("agenda", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("scheduled", "cancelled", name="meetingstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_meeting_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["person.id"],
            name=op.f("fk_meeting_created_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_circle_starts", ["circle_id", "starts_at"], unique=False)

    op.create_table(
        "checkin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=True),
        sa.Column(
            "phase",
            sa.Enum(
                "identify", "pilot", "codify", "done", name="phase", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("iteration", sa.Integer(), nullable=True),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "answered",
                "missed",
                "skipped",
                name="checkinstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("nudges_sent", sa.Integer(), nullable=False),
        sa.Column("skip_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_checkin_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inquiry_id"],
            ["inquiry.id"],
            name=op.f("fk_checkin_inquiry_id_inquiry"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_checkin_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin")),
        sa.UniqueConstraint(
            "person_id",
            "circle_id",
            "scheduled_for",
            name=op.f("uq_checkin_person_id_circle_id_scheduled_for"),
        ),
    )
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkin_circle_scheduled", ["circle_id", "scheduled_for"], unique=False
        )
        batch_op.create_index("ix_checkin_status_closes", ["status", "closes_at"], unique=False)

    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "teacher", "facilitator", "union_rep", name="role", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("invite_id", sa.Integer(), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_membership_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invite_id"],
            ["invite.id"],
            name=op.f("fk_membership_invite_id_invite"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_membership_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
        sa.UniqueConstraint(
            "person_id", "circle_id", name=op.f("uq_membership_person_id_circle_id")
        ),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_circle_id"), ["circle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_membership_person_id"), ["person_id"], unique=False)

    op.create_table(
        "practice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("inquiry_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "in_review",
                "changes_requested",
                "published",
                "archived",
                name="practicestatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "share_scope",
            sa.Enum(
                "circle", "country", "everyone", name="sharescope", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
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
            nullable=True,
        ),
        sa.Column("subject", sa.String(length=120), nullable=True),
        sa.Column("grade", sa.String(length=80), nullable=True),
        sa.Column("class_size", sa.Integer(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("author_visible", sa.Boolean(), nullable=False),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["person.id"],
            name=op.f("fk_practice_author_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_practice_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inquiry_id"],
            ["inquiry.id"],
            name=op.f("fk_practice_inquiry_id_inquiry"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice")),
    )
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_practice_circle_id"), ["circle_id"], unique=False)
        batch_op.create_index("ix_practice_status_scope", ["status", "share_scope"], unique=False)

    op.create_table(
        "reflection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("learnt", sa.Text(), nullable=True),
        sa.Column("will_change", sa.Text(), nullable=True),
        sa.Column("one_word", sa.String(length=60), nullable=True),
        sa.Column(
            "visibility",
            sa.Enum(
                "only_me", "facilitators", "circle", name="visibility", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_reflection_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_reflection_meeting_id_meeting"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_reflection_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection")),
    )
    with op.batch_alter_table("reflection", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reflection_circle_created", ["circle_id", "created_at"], unique=False
        )

    op.create_table(
        "rsvp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "response",
            sa.Enum("yes", "no", "maybe", name="rsvpresponse", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_rsvp_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_rsvp_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rsvp")),
        sa.UniqueConstraint("meeting_id", "person_id", name=op.f("uq_rsvp_meeting_id_person_id")),
    )
    op.create_table(
        "flowrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.String(length=40), nullable=False),
        sa.Column("flow_version", sa.Integer(), nullable=False),
        sa.Column("current_step", sa.String(length=60), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "waiting",
                "completed",
                "expired",
                "cancelled",
                name="flowstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("checkin_id", sa.Integer(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["checkin_id"],
            ["checkin.id"],
            name=op.f("fk_flowrun_checkin_id_checkin"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_flowrun_meeting_id_meeting"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_flowrun_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flowrun")),
    )
    with op.batch_alter_table("flowrun", schema=None) as batch_op:
        batch_op.create_index("ix_flowrun_person_status", ["person_id", "status"], unique=False)

    op.create_table(
        "answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow_run_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=True),
        sa.Column("flow_id", sa.String(length=40), nullable=False),
        sa.Column("flow_version", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=60), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "text",
                "choice",
                "number",
                "photo",
                "document",
                "voice",
                name="answerkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("value_text", sa.Text(), nullable=True),
        sa.Column("value_choice", sa.String(length=60), nullable=True),
        sa.Column("value_number", sa.Float(), nullable=True),
        sa.Column("file_id", sa.String(length=200), nullable=True),
        sa.Column("file_duration", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkin_id"],
            ["checkin.id"],
            name=op.f("fk_answer_checkin_id_checkin"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flow_run_id"],
            ["flowrun.id"],
            name=op.f("fk_answer_flow_run_id_flowrun"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_answer_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer")),
        sa.UniqueConstraint(
            "flow_run_id", "question_key", name=op.f("uq_answer_flow_run_id_question_key")
        ),
    )
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.create_index("ix_answer_checkin", ["checkin_id"], unique=False)
        batch_op.create_index(
            "ix_answer_person_question", ["person_id", "question_key"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index("ix_answer_person_question")
        batch_op.drop_index("ix_answer_checkin")

    op.drop_table("answer")
    with op.batch_alter_table("flowrun", schema=None) as batch_op:
        batch_op.drop_index("ix_flowrun_person_status")

    op.drop_table("flowrun")
    op.drop_table("rsvp")
    with op.batch_alter_table("reflection", schema=None) as batch_op:
        batch_op.drop_index("ix_reflection_circle_created")

    op.drop_table("reflection")
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.drop_index("ix_practice_status_scope")
        batch_op.drop_index(batch_op.f("ix_practice_circle_id"))

    op.drop_table("practice")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_person_id"))
        batch_op.drop_index(batch_op.f("ix_membership_circle_id"))

    op.drop_table("membership")
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.drop_index("ix_checkin_status_closes")
        batch_op.drop_index("ix_checkin_circle_scheduled")

    op.drop_table("checkin")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_circle_starts")

    op.drop_table("meeting")
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invite_circle_id"))

    op.drop_table("invite")
    with op.batch_alter_table("inquiry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inquiry_person_id"))
        batch_op.drop_index("ix_inquiry_circle_phase")

    op.drop_table("inquiry")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_broadcast_state")

    op.drop_table("delivery")
    op.drop_table("apitoken")
    with op.batch_alter_table("processedupdate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processedupdate_processed_at"))

    op.drop_table("processedupdate")
    op.drop_table("person")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outbox")
    with op.batch_alter_table("circle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_circle_country"))

    op.drop_table("circle")
    op.drop_table("broadcast")
    with op.batch_alter_table("auditlog", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auditlog_at"))

    op.drop_table("auditlog")
