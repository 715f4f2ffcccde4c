"""The first-cut schema (DESIGN.md "Data") as SQLModel tables.

Conventions: integer surrogate keys, enums stored as short strings (no native
PostgreSQL enum types, so adding a value is a one-line migration), every timestamp
an aware UTC :class:`UTCDateTime`, and constraint names from one naming convention
so Alembic migrations are the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always stored and returned as aware UTC.

    SQLite keeps no offset, so naive values read back are taken as UTC; naive values
    written are refused, because a naive local time stored as UTC is a silent bug.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Convert to UTC before storing."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Return aware UTC whatever the backend gave."""
        if value is None or value.tzinfo is UTC:  # PostgreSQL's are UTC already
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Default for created-at columns (services pass the injected clock's time instead)."""
    return datetime.now(UTC)


def _enum(enum: type[StrEnum]) -> sa.Enum:
    """A non-native enum column: a VARCHAR that SQLAlchemy validates against ``enum``."""
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=24,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def _timestamp(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# --- enums -------------------------------------------------------------------------


class Role(StrEnum):
    """A person's role within one circle."""

    teacher = "teacher"
    facilitator = "facilitator"
    union_rep = "union_rep"


class TokenRole(StrEnum):
    """The role an API token acts with."""

    admin = "admin"
    coordinator = "coordinator"
    facilitator = "facilitator"
    union_rep = "union_rep"


class Cadence(StrEnum):
    """How often a circle's check-ins open."""

    weekly = "weekly"
    fortnightly = "fortnightly"
    before_meeting = "before_meeting"  # N days before each circle meeting


class Consent(StrEnum):
    """Where a person stands on storing their answers."""

    pending = "pending"
    given = "given"
    refused = "refused"


class Phase(StrEnum):
    """Where a teacher's inquiry is in identify → pilot → codify."""

    identify = "identify"
    pilot = "pilot"
    codify = "codify"
    done = "done"


class Strategy(StrEnum):
    """The five formative-assessment strategies a practice can build on."""

    learning_intentions = "learning_intentions"
    eliciting_evidence = "eliciting_evidence"
    feedback = "feedback"
    peer_assessment = "peer_assessment"
    self_assessment = "self_assessment"


class CheckInStatus(StrEnum):
    """The life of one scheduled check-in."""

    open = "open"
    answered = "answered"
    missed = "missed"
    skipped = "skipped"


class AnswerKind(StrEnum):
    """What an answer holds."""

    text = "text"
    choice = "choice"
    number = "number"
    photo = "photo"
    document = "document"
    voice = "voice"


class Visibility(StrEnum):
    """Who may read a reflection."""

    only_me = "only_me"
    facilitators = "facilitators"
    circle = "circle"


class MeetingStatus(StrEnum):
    """Whether a meeting still takes place."""

    scheduled = "scheduled"
    cancelled = "cancelled"


class HubKind(StrEnum):
    """How far a hub of circles reaches."""

    regional = "regional"
    national = "national"


class RsvpResponse(StrEnum):
    """A member's answer to a meeting invitation."""

    yes = "yes"
    no = "no"
    maybe = "maybe"


class PracticeStatus(StrEnum):
    """A codified practice on its way to the evidence repository."""

    draft = "draft"
    in_review = "in_review"
    changes_requested = "changes_requested"
    published = "published"
    archived = "archived"


class GradeBand(StrEnum):
    """The broad age group a practice was used with, for filtering across countries."""

    early_years = "early_years"
    primary = "primary"
    lower_secondary = "lower_secondary"
    upper_secondary = "upper_secondary"
    adult = "adult"


class ShareScope(StrEnum):
    """How far a practice may travel."""

    circle = "circle"
    country = "country"
    everyone = "everyone"


class BroadcastStatus(StrEnum):
    """A broadcast's progress."""

    draft = "draft"
    scheduled = "scheduled"
    sending = "sending"
    done = "done"
    cancelled = "cancelled"


class DeliveryState(StrEnum):
    """One recipient's copy of a broadcast."""

    pending = "pending"
    sent = "sent"
    failed = "failed"
    unreachable = "unreachable"
    skipped = "skipped"


class FlowStatus(StrEnum):
    """A conversation run's status (goflow-style)."""

    active = "active"
    waiting = "waiting"
    completed = "completed"
    expired = "expired"
    cancelled = "cancelled"


class OutboxPriority(StrEnum):
    """Replies to someone who is answering go before bulk sends."""

    reply = "reply"
    bulk = "bulk"


class PartnershipStatus(StrEnum):
    """The life of a partnership between two teachers of different circles."""

    requested = "requested"
    declined = "declined"
    active = "active"
    ended = "ended"


class Channel(StrEnum):
    """A messaging app a person talks to the bot through (``simulator``: the web page)."""

    telegram = "telegram"
    whatsapp = "whatsapp"
    simulator = "simulator"


class OutboxState(StrEnum):
    """An outgoing message's progress."""

    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    unreachable = "unreachable"


class YearStatus(StrEnum):
    """A circle's school year: open (the scheduler works on it) or closed (read-only)."""

    open = "open"
    closed = "closed"


class YearChoice(StrEnum):
    """What a continuing teacher chose for the new year."""

    continue_journey = "continue"
    new_inquiry = "new"


# --- circles and people ------------------------------------------------------------


class Circle(SQLModel, table=True):
    """A learning circle: ten teachers, two facilitators, a union representative."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    country: str = Field(max_length=2, index=True)
    language: str = Field(max_length=8)
    timezone: str = Field(max_length=64)
    cadence: Cadence = Field(default=Cadence.weekly, sa_type=_enum(Cadence))
    checkin_weekday: int = Field(default=0, ge=0, le=6)  # Monday = 0
    checkin_time: time = Field(default=time(16, 0))
    days_before_meeting: int = Field(default=3, ge=1, le=14)  # for Cadence.before_meeting
    first_nudge_hours: int = Field(default=24, ge=1, le=144)
    second_nudge_hours: int = Field(default=72, ge=1, le=144)
    quiet_from: time = Field(default=time(21, 0))  # local: nothing is sent from …
    quiet_until: time = Field(default=time(7, 0))  # … until
    #: Days between two practices shared with the circle from other circles (0: never).
    share_every_days: int = Field(default=14, ge=0, le=90)
    #: A sandbox for trying the bot (``circles demo``, the web simulator): the only circles
    #: the simulator may join, and left out of real summaries, exports and audiences.
    demo: bool = Field(default=False, index=True)
    created_at: datetime = _created()


class WaveMark(SQLModel, table=True):
    """When the check-in planner next needs to look at a circle (``scheduler.jobs.open_wave``).

    Written when a sweep has planned the circle: its members' next opening, the end of a
    member's pause, or at the latest a re-check within two hours. A change that can make
    a check-in due (a member, a pause, a timezone, the calendar, a holiday, a meeting, a
    school year) deletes the circle's mark (:mod:`circles.marks`), so the next
    sweep looks at it; a sweep with nothing due reads the marks, not the members.
    """

    __tablename__ = "wave_mark"

    circle_id: int = Field(foreign_key="circle.id", primary_key=True, ondelete="CASCADE")
    replan_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)


class GroupLink(SQLModel, table=True):
    """A circle's group chat on one channel (``/linkgroup``): meeting news is posted there."""

    __table_args__ = (
        sa.UniqueConstraint("channel", "address"),
        sa.UniqueConstraint("circle_id", "channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    circle_id: int = Field(foreign_key="circle.id", ondelete="CASCADE")
    channel: Channel = Field(sa_type=_enum(Channel))
    address: str = Field(max_length=64)
    created_at: datetime = _created()


class ChannelAccount(SQLModel, table=True):
    """A Telegram bot or a WhatsApp number beside the environment's default one.

    Its token (and WhatsApp app secret) are stored encrypted with ``CIRCLES_SECRETS_KEY``
    (:mod:`circles.secrets`), never in plain text. Which circles it serves is its
    :class:`ChannelAssignment` rows (:mod:`circles.services.channels`).
    """

    __tablename__ = "channel_account"

    id: int | None = Field(default=None, primary_key=True)
    app: Channel = Field(sa_type=_enum(Channel))
    #: A slug (``gh``, ``ci-hub``): the CLI's and the API's handle, the webhook path's end.
    name: str = Field(max_length=32, unique=True)
    #: The Telegram bot's username (without ``@``), for ``t.me`` links.
    username: str | None = Field(default=None, max_length=64)
    #: The WhatsApp number's digits (for ``wa.me`` links) and its Graph API id.
    phone_number: str | None = Field(default=None, max_length=16)
    phone_number_id: str | None = Field(default=None, max_length=32, unique=True)
    #: The WhatsApp number's messaging tier (as ``CIRCLES_WHATSAPP_TIER`` for the default).
    tier: int = Field(default=250)
    #: Fernet tokens: the bot token or the WhatsApp access token, and the app secret.
    token_encrypted: str = Field(sa_type=sa.Text)
    app_secret_encrypted: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = _created()


class ChannelAssignment(SQLModel, table=True):
    """An account serves one circle, or every circle of a country (exactly one is set).

    A circle's own assignment wins over its country's; with neither, the default account
    (the environment's) serves it. One account per app and circle, per app and country.
    """

    __tablename__ = "channel_assignment"
    __table_args__ = (
        sa.UniqueConstraint("app", "circle_id"),
        sa.UniqueConstraint("app", "country"),
        sa.CheckConstraint("(circle_id IS NULL) <> (country IS NULL)", name="one_place"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE", index=True)
    #: The account's app, repeated so that the unique constraints hold per app.
    app: Channel = Field(sa_type=_enum(Channel))
    circle_id: int | None = Field(default=None, foreign_key="circle.id", ondelete="CASCADE")
    #: An ISO 3166 code (upper case).
    country: str | None = Field(default=None, max_length=2)


class Holiday(SQLModel, table=True):
    """School holidays of one circle, or of every circle of a country (exactly one is set).

    No check-in opens, no reminder or digest goes on these dates, read in each circle's
    own timezone (:mod:`circles.services.holidays`).
    """

    __table_args__ = (
        sa.Index("ix_holiday_circle_dates", "circle_id", "starts_on", "ends_on"),
        sa.Index("ix_holiday_country_dates", "country", "starts_on", "ends_on"),
        sa.CheckConstraint("(circle_id IS NULL) <> (country IS NULL)", name="one_place"),
    )

    id: int | None = Field(default=None, primary_key=True)
    circle_id: int | None = Field(default=None, foreign_key="circle.id", ondelete="CASCADE")
    #: An ISO 3166 code (upper case): the holiday of every circle in that country.
    country: str | None = Field(default=None, max_length=2)
    starts_on: date
    ends_on: date
    name: str | None = Field(default=None, max_length=120)


class SchoolYear(SQLModel, table=True):
    """One school year of a circle (:mod:`circles.services.years`): at most one is open.

    Closing it stores ``snapshot``, the year's summary as it was (weekly numbers, each
    member's line, the practices), so later edits do not change last year's report;
    ``/forgetme`` removes the person's own line from it.
    """

    __tablename__ = "school_year"
    __table_args__ = (
        sa.UniqueConstraint("circle_id", "label"),
        sa.CheckConstraint("starts_on < ends_on", name="dates_in_order"),
        # At most one open year per circle, even when two requests open one at once.
        sa.Index(
            "uq_school_year_open",
            "circle_id",
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    circle_id: int = Field(foreign_key="circle.id", ondelete="CASCADE", index=True)
    label: str = Field(max_length=20)
    starts_on: date
    ends_on: date
    status: YearStatus = Field(default=YearStatus.open, sa_type=_enum(YearStatus))
    opened_at: datetime = _created()
    closed_at: datetime | None = _timestamp()
    snapshot: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)


class SchoolYearMember(SQLModel, table=True):
    """Who belonged to a circle in one school year, with their role then; a continuing
    teacher's choice (continue the journey or start a new inquiry) once they made it."""

    __tablename__ = "school_year_member"
    __table_args__ = (sa.UniqueConstraint("year_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    year_id: int = Field(foreign_key="school_year.id", ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    role: Role = Field(sa_type=_enum(Role))
    choice: YearChoice | None = Field(default=None, sa_type=_enum(YearChoice))
    chosen_at: datetime | None = _timestamp()


class Person(SQLModel, table=True):
    """Someone who talks to the bot; personal data, erased by /forgetme."""

    id: int | None = Field(default=None, primary_key=True)
    display_name: str | None = Field(default=None, max_length=120)
    language: str = Field(default="en", max_length=8)
    timezone: str = Field(default="UTC", max_length=64)
    consent: Consent = Field(default=Consent.pending, sa_type=_enum(Consent))
    consent_at: datetime | None = _timestamp()
    subjects: str | None = Field(default=None, max_length=200)
    grade_level: str | None = Field(default=None, max_length=80)
    #: Whether the person receives practices shared from other circles (opt-out).
    practice_digest: bool = Field(default=True)
    #: Whether the person receives the questions other teachers of their circle ask (opt-out).
    peer_questions: bool = Field(default=True)
    #: Whether the person may be proposed as a partner to teachers of other circles (opt-out).
    partner_proposals: bool = Field(default=True)
    paused_until: datetime | None = _timestamp()
    forgotten_at: datetime | None = _timestamp()
    created_at: datetime = _created()


class Identity(SQLModel, table=True):
    """One way to reach a person: an address on one channel (a Telegram user id, a number).

    A person has one or more; messages go to the one they wrote from last
    (:func:`circles.services.people.preferred_identity`). Personal data, erased by /forgetme.
    """

    __table_args__ = (sa.UniqueConstraint("channel", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    channel: Channel = Field(sa_type=_enum(Channel))
    address: str = Field(max_length=64)
    #: Set when the app said the person cannot be reached there (blocked the bot);
    #: cleared when they write from it again.
    unreachable_at: datetime | None = _timestamp()
    #: When they last wrote from it (WhatsApp's 24-hour window starts here).
    last_inbound_at: datetime | None = _timestamp()
    #: The :class:`ChannelAccount` they last wrote to (None: the default bot or number):
    #: WhatsApp's window is open with that number only.
    last_inbound_account: int | None = Field(default=None)
    created_at: datetime = _created()

    @property
    def reachable(self) -> bool:
        """Whether messages may be sent here."""
        return self.unreachable_at is None


class IdentityLink(SQLModel, table=True):
    """Someone writing from a new (channel, address) who may be ``person`` on another app.

    Offered when they join with an invite that ``person`` joined with from another app;
    on yes a one-time code (only its hash here) goes to ``person``'s identity there, and
    typing it links the new address to ``person``. Deleted when it ends, either way.
    """

    __tablename__ = "identity_link"
    __table_args__ = (sa.UniqueConstraint("channel", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    channel: Channel = Field(sa_type=_enum(Channel))
    address: str = Field(max_length=64)
    #: SHA-256 of the link's id and the code sent; None until they say yes.
    code_hash: str | None = Field(default=None, max_length=64)
    wrong_codes: int = Field(default=0, ge=0)
    expires_at: datetime = _created()
    created_at: datetime = _created()


class Membership(SQLModel, table=True):
    """A person's role in one circle; one per person and circle."""

    __table_args__ = (sa.UniqueConstraint("person_id", "circle_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    circle_id: int = Field(foreign_key="circle.id", ondelete="CASCADE", index=True)
    role: Role = Field(sa_type=_enum(Role))
    invite_id: int | None = Field(default=None, foreign_key="invite.id", ondelete="SET NULL")
    joined_at: datetime = _created()


class Invite(SQLModel, table=True):
    """A code that lets up to ``max_uses`` people join a circle with a role."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    circle_id: int = Field(foreign_key="circle.id", ondelete="CASCADE", index=True)
    role: Role = Field(sa_type=_enum(Role))
    max_uses: int = Field(default=1, ge=1)
    uses: int = Field(default=0, ge=0)
    expires_at: datetime | None = _timestamp()
    revoked_at: datetime | None = _timestamp()
    created_at: datetime = _created()


# --- the inquiry and its check-ins --------------------------------------------------


class Inquiry(SQLModel, table=True):
    """One teacher's journey with one practice through identify → pilot → codify."""

    __table_args__ = (sa.Index("ix_inquiry_circle_phase", "circle_id", "phase"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    circle_id: int = Field(foreign_key="circle.id", ondelete="CASCADE")
    phase: Phase = Field(default=Phase.identify, sa_type=_enum(Phase))
    strategy: Strategy | None = Field(default=None, sa_type=_enum(Strategy))
    practice: str | None = Field(default=None, sa_type=sa.Text)
    #: What students did before the practice (identify v2), text or a photo's caption.
    baseline: str | None = Field(default=None, sa_type=sa.Text)
    #: The photo or document of the baseline, if one was sent.
    baseline_file_id: str | None = Field(default=None, max_length=200)
    #: What students' work will show when the practice works (identify v2).
    success: str | None = Field(default=None, sa_type=sa.Text)
    started_at: datetime = _created()
    completed_at: datetime | None = _timestamp()


class CheckIn(SQLModel, table=True):
    """One member's check-in for one scheduled occurrence; never two for the same one."""

    __table_args__ = (
        sa.UniqueConstraint("person_id", "circle_id", "scheduled_for"),
        sa.Index("ix_checkin_circle_scheduled", "circle_id", "scheduled_for"),
        sa.Index("ix_checkin_inquiry_scheduled", "inquiry_id", "scheduled_for"),
        sa.Index("ix_checkin_status_closes", "status", "closes_at"),
        sa.Index("ix_checkin_status_nudge", "status", "next_nudge_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    circle_id: int = Field(foreign_key="circle.id", ondelete="CASCADE")
    inquiry_id: int | None = Field(default=None, foreign_key="inquiry.id", ondelete="SET NULL")
    phase: Phase = Field(sa_type=_enum(Phase))
    iteration: int | None = Field(default=None, ge=1)
    scheduled_for: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: CheckInStatus = Field(default=CheckInStatus.open, sa_type=_enum(CheckInStatus))
    opened_at: datetime | None = _timestamp()
    closes_at: datetime | None = _timestamp()
    answered_at: datetime | None = _timestamp()
    nudges_sent: int = Field(default=0, ge=0)
    next_nudge_at: datetime | None = _timestamp()  # None: no nudge left to send
    skip_reason: str | None = Field(default=None, sa_type=sa.Text)


class FlowRun(SQLModel, table=True):
    """A conversation in progress; its state is this row, so any process can resume it."""

    __table_args__ = (
        sa.Index("ix_flowrun_person_status", "person_id", "status"),
        sa.Index("ix_flowrun_checkin", "checkin_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    flow_id: str = Field(max_length=40)
    flow_version: int = Field(ge=1)
    current_step: str | None = Field(default=None, max_length=60)
    status: FlowStatus = Field(default=FlowStatus.active, sa_type=_enum(FlowStatus))
    checkin_id: int | None = Field(default=None, foreign_key="checkin.id", ondelete="SET NULL")
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", ondelete="SET NULL")
    state: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    started_at: datetime = _created()
    updated_at: datetime = _created()
    expires_at: datetime | None = _timestamp()


class Answer(SQLModel, table=True):
    """One answer to one question of a flow run, with the flow version it answered."""

    __table_args__ = (
        sa.UniqueConstraint("flow_run_id", "question_key"),
        sa.Index("ix_answer_checkin", "checkin_id"),
        sa.Index("ix_answer_person_question", "person_id", "question_key"),
        sa.Index("ix_answer_person_ref", "person_id", "message_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    flow_run_id: int = Field(foreign_key="flowrun.id", ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    checkin_id: int | None = Field(default=None, foreign_key="checkin.id", ondelete="CASCADE")
    flow_id: str = Field(max_length=40)
    flow_version: int = Field(ge=1)
    question_key: str = Field(max_length=60)
    kind: AnswerKind = Field(sa_type=_enum(AnswerKind))
    value_text: str | None = Field(default=None, sa_type=sa.Text)
    value_choice: str | None = Field(default=None, max_length=60)
    value_number: float | None = Field(default=None)
    file_id: str | None = Field(default=None, max_length=200)
    file_duration: int | None = Field(default=None, ge=0)
    message_ref: str | None = Field(default=None, max_length=64)
    created_at: datetime = _created()
    updated_at: datetime = _created()
    #: A help request or "what got in the way" a facilitator marked handled (and who).
    handled_at: datetime | None = _timestamp()
    handled_by: str | None = Field(default=None, max_length=80)


# --- meetings and reflections ------------------------------------------------------


class Meeting(SQLModel, table=True):
    """A circle meeting, in person or online."""

    __table_args__ = (sa.Index("ix_meeting_circle_starts", "circle_id", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    circle_id: int = Field(foreign_key="circle.id", ondelete="CASCADE")
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    place: str | None = Field(default=None, max_length=300)
    online_url: str | None = Field(default=None, max_length=500)
    agenda: str | None = Field(default=None, sa_type=sa.Text)
    status: MeetingStatus = Field(default=MeetingStatus.scheduled, sa_type=_enum(MeetingStatus))
    created_by_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    created_at: datetime = _created()


class Rsvp(SQLModel, table=True):
    """A member's answer to a meeting invitation; one per meeting and person."""

    __table_args__ = (sa.UniqueConstraint("meeting_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    response: RsvpResponse = Field(sa_type=_enum(RsvpResponse))
    responded_at: datetime = _created()


class Reflection(SQLModel, table=True):
    """What a member took from a circle meeting, readable as far as they allowed."""

    __table_args__ = (sa.Index("ix_reflection_circle_created", "circle_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    circle_id: int = Field(foreign_key="circle.id", ondelete="CASCADE")
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", ondelete="SET NULL")
    #: An exchange session across circles (the reflection's circle: the reader's circle in
    #: the session's audience).
    session_id: int | None = Field(
        default=None, foreign_key="exchange_session.id", ondelete="SET NULL", index=True
    )
    flow_run_id: int | None = Field(default=None, foreign_key="flowrun.id", ondelete="SET NULL")
    learnt: str | None = Field(default=None, sa_type=sa.Text)
    will_change: str | None = Field(default=None, sa_type=sa.Text)
    one_word: str | None = Field(default=None, max_length=60)
    visibility: Visibility = Field(default=Visibility.facilitators, sa_type=_enum(Visibility))
    created_at: datetime = _created()


# --- hubs and exchange sessions across circles ------------------------------------


class Hub(SQLModel, table=True):
    """A named group of circles (a region, a country) that coordinators manage."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    kind: HubKind = Field(default=HubKind.regional, sa_type=_enum(HubKind))
    #: A national hub's country (its circles are of that country); None for a regional one.
    country: str | None = Field(default=None, max_length=2)
    created_at: datetime = _created()


class HubCircle(SQLModel, table=True):
    """A circle's place in a hub; a circle may belong to several hubs."""

    __tablename__ = "hub_circle"
    __table_args__ = (sa.UniqueConstraint("hub_id", "circle_id"),)

    id: int | None = Field(default=None, primary_key=True)
    hub_id: int = Field(foreign_key="hub.id", ondelete="CASCADE")
    circle_id: int = Field(foreign_key="circle.id", ondelete="CASCADE", index=True)


class ExchangeSession(SQLModel, table=True):
    """A session a coordinator holds for an audience across circles (a broadcast's audience)."""

    __tablename__ = "exchange_session"
    __table_args__ = (sa.Index("ix_exchange_session_status_starts", "status", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    audience: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    place: str | None = Field(default=None, max_length=300)
    online_url: str | None = Field(default=None, max_length=500)
    status: MeetingStatus = Field(default=MeetingStatus.scheduled, sa_type=_enum(MeetingStatus))
    created_by: str = Field(max_length=80)
    created_at: datetime = _created()


class SessionRsvp(SQLModel, table=True):
    """One invitee's answer to a session, with the circle they were invited through."""

    __tablename__ = "session_rsvp"
    __table_args__ = (sa.UniqueConstraint("session_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="exchange_session.id", ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    circle_id: int | None = Field(default=None, foreign_key="circle.id", ondelete="SET NULL")
    response: RsvpResponse = Field(sa_type=_enum(RsvpResponse))
    responded_at: datetime = _created()
    #: The reflection run started after the session (one per invitee).
    reflection_run_id: int | None = Field(
        default=None, foreign_key="flowrun.id", ondelete="SET NULL"
    )


# --- the evidence repository -------------------------------------------------------


class Practice(SQLModel, table=True):
    """A codified practice on its way to (or in) the evidence repository."""

    __table_args__ = (sa.Index("ix_practice_status_scope", "status", "share_scope"),)

    id: int | None = Field(default=None, primary_key=True)
    circle_id: int = Field(foreign_key="circle.id", ondelete="CASCADE", index=True)
    author_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    inquiry_id: int | None = Field(default=None, foreign_key="inquiry.id", ondelete="SET NULL")
    status: PracticeStatus = Field(default=PracticeStatus.draft, sa_type=_enum(PracticeStatus))
    share_scope: ShareScope = Field(default=ShareScope.circle, sa_type=_enum(ShareScope))
    version: int = Field(default=1, ge=1)
    title: str = Field(max_length=200)
    strategy: Strategy | None = Field(default=None, sa_type=_enum(Strategy))
    subject: str | None = Field(default=None, max_length=120)
    grade: str | None = Field(default=None, max_length=80)
    grade_band: GradeBand | None = Field(default=None, sa_type=_enum(GradeBand))
    class_size: int | None = Field(default=None, ge=0)
    country: str = Field(max_length=2)
    language: str = Field(max_length=8)
    summary: str | None = Field(default=None, sa_type=sa.Text)
    #: Strategy tags: the inquiry's strategy first, then any others the author named.
    tags: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    content: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    author_visible: bool = Field(default=False)
    review_comment: str | None = Field(default=None, sa_type=sa.Text)
    #: What full-text search reads (title, summary, steps, …), kept by the repository service.
    search_text: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = _created()
    updated_at: datetime = _created()
    published_at: datetime | None = _timestamp()
    archived_at: datetime | None = _timestamp()


#: The parts of a practice's ``content`` that are text for readers (and for search).
PRACTICE_TEXT_FIELDS = ("steps", "evidence", "conditions", "lessons", "materials")


def practice_search_text(practice: Practice) -> str:
    """What full-text search reads: title, summary, subject, grade and the practice's text."""
    content = practice.content or {}
    parts: list[Any] = [
        practice.title,
        practice.summary,
        practice.subject,
        practice.grade,
        *(content.get(key) for key in PRACTICE_TEXT_FIELDS),
    ]
    return "\n".join(str(p) for p in parts if p)


@sa.event.listens_for(Practice, "before_insert")
@sa.event.listens_for(Practice, "before_update")
def _keep_search_text(_mapper: Any, _connection: Any, practice: Practice) -> None:
    """Every write of a practice through the ORM keeps ``search_text`` current."""
    practice.search_text = practice_search_text(practice)


class PracticeVersion(SQLModel, table=True):
    """A practice as it was before an edit after publication; older versions stay readable."""

    __table_args__ = (sa.UniqueConstraint("practice_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id", ondelete="CASCADE")
    version: int = Field(ge=1)
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    edited_by: str = Field(max_length=80)
    created_at: datetime = _created()


class Adoption(SQLModel, table=True):
    """A teacher who answered "I'll try this": their new inquiry pilots the practice."""

    __table_args__ = (sa.UniqueConstraint("practice_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id", ondelete="CASCADE", index=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    inquiry_id: int | None = Field(default=None, foreign_key="inquiry.id", ondelete="SET NULL")
    created_at: datetime = _created()


class PracticeShare(SQLModel, table=True):
    """A published practice sent to a circle by the dissemination digest (once per circle)."""

    __table_args__ = (sa.UniqueConstraint("circle_id", "practice_id"),)

    id: int | None = Field(default=None, primary_key=True)
    circle_id: int = Field(foreign_key="circle.id", ondelete="CASCADE")
    practice_id: int = Field(foreign_key="practice.id", ondelete="CASCADE")
    sent_at: datetime = _created()


# --- help from peers between meetings ----------------------------------------------


class PeerQuestion(SQLModel, table=True):
    """A teacher's question to the other teachers of their circle (``/ask``), as written.

    Personal data of the asker: erased with them, for everyone (its copies and answers too).
    """

    __tablename__ = "peer_question"
    __table_args__ = (sa.Index("ix_peer_question_circle_created", "circle_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    circle_id: int = Field(foreign_key="circle.id", ondelete="CASCADE")
    asker_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    text: str = Field(sa_type=sa.Text)
    #: The asker chose not to show their name to their peers (nor to the facilitators).
    anonymous: bool = Field(default=False)
    created_at: datetime = _created()


class PeerQuestionCopy(SQLModel, table=True):
    """One peer who was sent a question: only they may answer it (one copy per person)."""

    __tablename__ = "peer_question_copy"
    __table_args__ = (sa.UniqueConstraint("question_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="peer_question.id", ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    created_at: datetime = _created()


class PeerAnswer(SQLModel, table=True):
    """A peer's answer to a question (one per peer), and when the asker thanked them."""

    __tablename__ = "peer_answer"
    __table_args__ = (sa.UniqueConstraint("question_id", "answerer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="peer_question.id", ondelete="CASCADE")
    answerer_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    text: str = Field(sa_type=sa.Text)
    created_at: datetime = _created()
    thanked_at: datetime | None = _timestamp()


# --- partnerships between teachers of different circles ---------------------------


class Partnership(SQLModel, table=True):
    """Two teachers of different circles piloting the same strategy, introduced by the bot.

    One row per pair (whoever asked first): a declined or ended pair is not proposed again.
    An erased side's id is emptied; the circles are kept (not personal data) so that
    coordinators count partnerships per country after a side was erased.
    """

    __tablename__ = "partnership"
    __table_args__ = (sa.UniqueConstraint("requester_id", "partner_id"),)

    id: int | None = Field(default=None, primary_key=True)
    #: Who asked, and who was asked: None once that side was erased (``/forgetme``).
    requester_id: int | None = Field(
        default=None, foreign_key="person.id", ondelete="SET NULL", index=True
    )
    partner_id: int | None = Field(
        default=None, foreign_key="person.id", ondelete="SET NULL", index=True
    )
    requester_circle_id: int = Field(foreign_key="circle.id", ondelete="CASCADE")
    partner_circle_id: int = Field(foreign_key="circle.id", ondelete="CASCADE")
    strategy: Strategy = Field(sa_type=_enum(Strategy))
    status: PartnershipStatus = Field(
        default=PartnershipStatus.requested, sa_type=_enum(PartnershipStatus)
    )
    created_at: datetime = _created()
    answered_at: datetime | None = _timestamp()
    ended_at: datetime | None = _timestamp()


class PartnerMessage(SQLModel, table=True):
    """A message one partner wrote to the other, relayed by the bot (personal data of its
    sender: erased with them; never in summaries)."""

    __tablename__ = "partner_message"
    __table_args__ = (sa.Index("ix_partner_message_sender_created", "sender_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", ondelete="CASCADE", index=True)
    sender_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    text: str = Field(sa_type=sa.Text)
    created_at: datetime = _created()


# --- distributed leadership --------------------------------------------------------


class CoFacilitationStatus(StrEnum):
    """An invitation to co-facilitate, from sent to answered (or run out)."""

    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    expired = "expired"


class CoFacilitation(SQLModel, table=True):
    """An invitation to a teacher who codified a practice to co-facilitate a circle.

    Accepted, their membership of ``circle_id`` becomes a facilitator's at once (or they
    join it as one); their inquiries, answers and practices stay theirs. Personal data of
    the invited person (erased with them); the inviter is named only as an actor.
    """

    __tablename__ = "co_facilitation"
    __table_args__ = (sa.Index("ix_co_facilitation_person_status", "person_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    #: The circle they are invited to co-facilitate.
    circle_id: int = Field(foreign_key="circle.id", ondelete="CASCADE", index=True)
    #: The circle they teach in, where the inviter found them.
    from_circle_id: int = Field(foreign_key="circle.id", ondelete="CASCADE")
    #: Who invited (``token:3``, ``person:7``), for the audit and the API.
    invited_by: str = Field(max_length=80)
    #: The inviting person, told of the answer (None for a token that is nobody's).
    inviter_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    status: CoFacilitationStatus = Field(
        default=CoFacilitationStatus.pending, sa_type=_enum(CoFacilitationStatus)
    )
    created_at: datetime = _created()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    answered_at: datetime | None = _timestamp()


class FacilitatorCheckIn(SQLModel, table=True):
    """A facilitator's monthly check-in on their circle, one per person, circle and month.

    What went well and what support they need reach the coordinators. Personal data of
    the facilitator: exported by /mydata, erased by /forgetme.
    """

    __tablename__ = "facilitator_checkin"
    __table_args__ = (
        sa.UniqueConstraint("person_id", "circle_id", "month"),
        sa.Index("ix_facilitator_checkin_circle_answered", "circle_id", "answered_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    circle_id: int = Field(foreign_key="circle.id", ondelete="CASCADE")
    #: The first day of the month it is for, in the facilitator's own timezone.
    month: date
    opened_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    closes_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    nudged_at: datetime | None = _timestamp()
    answered_at: datetime | None = _timestamp()
    went_well: str | None = Field(default=None, sa_type=sa.Text)
    support: str | None = Field(default=None, sa_type=sa.Text)
    #: How the month went in the circle, 1–5 (optional).
    rating: int | None = Field(default=None, ge=1, le=5)


# --- broadcasts and the outbox -----------------------------------------------------


class Broadcast(SQLModel, table=True):
    """An announcement to an audience across circles, one text variant per language."""

    id: int | None = Field(default=None, primary_key=True)
    default_language: str = Field(max_length=8)
    variants: dict[str, str] = Field(default_factory=dict, sa_type=sa.JSON)
    audience: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    file_id: str | None = Field(default=None, max_length=200)
    file_kind: str | None = Field(default=None, max_length=12)  # "photo" or "document"
    status: BroadcastStatus = Field(default=BroadcastStatus.draft, sa_type=_enum(BroadcastStatus))
    send_at: datetime | None = _timestamp()
    created_by: str = Field(max_length=80)
    created_at: datetime = _created()


class Delivery(SQLModel, table=True):
    """One recipient's copy of a broadcast; never two for the same person."""

    __table_args__ = (
        sa.UniqueConstraint("broadcast_id", "person_id"),
        sa.Index("ix_delivery_broadcast_state", "broadcast_id", "state"),
        sa.Index("ix_delivery_outbox", "outbox_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id", ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id", ondelete="SET NULL")
    state: DeliveryState = Field(default=DeliveryState.pending, sa_type=_enum(DeliveryState))
    reason: str | None = Field(default=None, max_length=200)
    sent_at: datetime | None = _timestamp()


class Outbox(SQLModel, table=True):
    """Every outgoing message, persisted before it is sent, sent at most once.

    Addressed by ``channel`` and ``address`` (a person's identity or a group link), so each
    channel's sender takes only its own rows. A message is the same message when it has
    the same purpose (``idempotency_key``, which never names a person) and goes to the
    same address.
    """

    __table_args__ = (
        sa.UniqueConstraint("channel", "address", "idempotency_key"),
        sa.Index("ix_outbox_due", "state", "priority", "not_before"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: Channel = Field(sa_type=_enum(Channel))
    address: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    priority: OutboxPriority = Field(default=OutboxPriority.reply, sa_type=_enum(OutboxPriority))
    idempotency_key: str = Field(max_length=120)
    state: OutboxState = Field(default=OutboxState.pending, sa_type=_enum(OutboxState))
    attempts: int = Field(default=0, ge=0)
    not_before: datetime | None = _timestamp()
    last_error: str | None = Field(default=None, max_length=300)
    #: The app's id of the sent message (Telegram's number, WhatsApp's ``wamid.…``).
    sent_message_id: str | None = Field(default=None, max_length=128, index=True)
    #: The WhatsApp template the message went as (or is to go as) outside the person's
    #: 24-hour window; with ``sent_message_id`` on a pending row: the template went and
    #: the message itself waits for the window.
    template: str | None = Field(default=None, max_length=64)
    #: When the app said the message reached the person's phone, and when they read it
    #: (WhatsApp's status webhooks; ``read`` implies delivered, whatever the order).
    delivered_at: datetime | None = _timestamp()
    read_at: datetime | None = _timestamp()
    claimed_at: datetime | None = _timestamp()  # when a sender took it (state sending)
    created_at: datetime = _created()
    sent_at: datetime | None = _timestamp()
    #: The :class:`ChannelAccount` id of the number that sent it (None: the default one);
    #: each WhatsApp number counts its own messaging tier. No foreign key: the count of
    #: a removed account's number stays its own.
    sent_by: int | None = Field(default=None)


class SendBudget(SQLModel, table=True):
    """The bulk sending schedule shared by every sender process (one row per app, see
    ``circles.services.outbox.BUDGETS``).

    Each sender books a window of slots for its batch before sending it, so that several
    senders together keep to the overall bulk rate instead of each keeping to it alone.
    """

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    next_slot: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ProcessedUpdate(SQLModel, table=True):
    """An update (message) id of one channel already handled; inserting it twice fails."""

    channel: Channel = Field(sa_type=_enum(Channel), primary_key=True)
    update_id: str = Field(max_length=128, primary_key=True)
    processed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class Inbox(SQLModel, table=True):
    """An update a messaging app delivered to a webhook, stored before the webhook answers.

    Both apps' webhooks store what they receive here (unique per app by its id: Telegram's
    ``update_id``, WhatsApp's ``wamid``) and answer 200 only once it is committed, so an
    update survives the process that took it; any replica's door handles each row once
    (the id is also claimed as a processed update) and marks it processed. A row left
    unprocessed by a crash is handled by whichever process looks next. Once handled, its
    ``message`` (what the person sent) is cleared: the answers live on where the flows
    stored them.
    """

    __table_args__ = (sa.UniqueConstraint("channel", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: Channel = Field(sa_type=_enum(Channel))
    message_id: str = Field(max_length=128)
    #: The sender's address on the channel (a Telegram user id, a WhatsApp number); one
    #: sender's rows are handled one at a time, in the order they arrived.
    address: str = Field(max_length=64, index=True)
    #: The name the app gave (WhatsApp's profile name; Telegram's is in the update).
    profile_name: str | None = Field(default=None, max_length=120)
    #: The account that received it when not the default one: a WhatsApp number's phone
    #: number id (``metadata.phone_number_id``), an extra Telegram bot's account name.
    receiver: str | None = Field(default=None, max_length=32)
    #: The update or message object, as the app sent it (None once processed).
    message: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    received_at: datetime = _created()
    processed_at: datetime | None = _timestamp(index=True)
    attempts: int = Field(default=0, ge=0)
    last_error: str | None = Field(default=None, max_length=300)


# --- access and accountability -----------------------------------------------------


class ApiToken(SQLModel, table=True):
    """An admin API token; only its SHA-256 hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12)
    role: TokenRole = Field(sa_type=_enum(TokenRole))
    circle_id: int | None = Field(default=None, foreign_key="circle.id", ondelete="CASCADE")
    countries: list[str] | None = Field(default=None, sa_type=sa.JSON)
    # The person who may act with this token in the bot (``/coordinator``), from any of
    # their identities.
    person_id: int | None = Field(
        default=None, foreign_key="person.id", ondelete="SET NULL", index=True
    )
    created_at: datetime = _created()
    expires_at: datetime | None = _timestamp()
    revoked_at: datetime | None = _timestamp()
    last_used_at: datetime | None = _timestamp()


class WebSession(SQLModel, table=True):
    """A signed-in dashboard session; signing out ends it here, whatever the cookie says.

    The cookie carries a random session key; only its SHA-256 hash is stored.
    """

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, unique=True)
    token_id: int = Field(foreign_key="apitoken.id", ondelete="CASCADE", index=True)
    created_at: datetime = _created()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ended_at: datetime | None = _timestamp()


class AuditLog(SQLModel, table=True):
    """Who changed what, when (no answer text, no tokens)."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=80)
    action: str = Field(max_length=80)
    target_type: str | None = Field(default=None, max_length=40)
    target_id: int | None = Field(default=None)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


__all__ = [
    "Answer",
    "AnswerKind",
    "ApiToken",
    "AuditLog",
    "Broadcast",
    "BroadcastStatus",
    "Cadence",
    "Channel",
    "CheckIn",
    "CheckInStatus",
    "Circle",
    "CoFacilitation",
    "CoFacilitationStatus",
    "Consent",
    "Delivery",
    "DeliveryState",
    "ExchangeSession",
    "FacilitatorCheckIn",
    "FlowRun",
    "FlowStatus",
    "GroupLink",
    "Holiday",
    "Hub",
    "HubCircle",
    "HubKind",
    "Identity",
    "IdentityLink",
    "Inquiry",
    "Invite",
    "Meeting",
    "MeetingStatus",
    "Membership",
    "Outbox",
    "OutboxPriority",
    "OutboxState",
    "Person",
    "Phase",
    "Practice",
    "PracticeStatus",
    "ProcessedUpdate",
    "Reflection",
    "Role",
    "Rsvp",
    "RsvpResponse",
    "SendBudget",
    "SessionRsvp",
    "ShareScope",
    "Strategy",
    "TokenRole",
    "UTCDateTime",
    "Visibility",
    "WaveMark",
    "WebSession",
]
