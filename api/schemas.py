"""What the admin API reads and writes: request bodies and responses, with examples.

Responses are built from service results by each model's ``of`` class method; labels
(phases, statuses, trend) are translated into the request's language there, so a route
only wraps the call in ``use_language``. Lists are :class:`Page` objects: ``items`` and
an opaque ``next_cursor`` (absent on the last page) to pass back as ``cursor``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from circles.i18n import _, current_language
from circles.models import (
    Answer,
    AnswerKind,
    AuditLog,
    Cadence,
    CheckInStatus,
    GradeBand,
    Invite,
    MeetingStatus,
    Phase,
    Practice,
    PracticeStatus,
    Role,
    RsvpResponse,
    ShareScope,
    Strategy,
    TokenRole,
    Visibility,
)
from circles.questions import Question
from circles.services import followups, pagination, summaries
from circles.services.answers import CheckInRow
from circles.services.attendance import MeetingRow
from circles.services.invites import InviteState, invite_state
from circles.services.partnerships import PartnershipStats
from circles.services.peers import AnswerRow, QuestionRow
from circles.services.reflections import ReflectionRow
from circles.services.repository import Found
from circles.services.reviews import COMMENT_LIMIT, PracticeRow, Reviewed
from circles.services.roster import CircleRow
from circles.services.teachers import InquiryView, TeacherPage
from circles.services.weeks import week_of

T = TypeVar("T")
S = TypeVar("S")

#: Text without NUL characters, which no database column can hold.
_NO_NUL = r"^[^\x00]*$"
NO_NUL = _NO_NUL


Name = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=_NO_NUL)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]
#: A language as people and circles carry it: ``fr``, ``pt_BR``, ``pt-BR``.
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}([_-][A-Za-z]{2})?$")]
#: A part of a practice's text, as long as the longest answer in the bot.
PracticeText = Annotated[str, StringConstraints(max_length=2000, pattern=_NO_NUL)]
Comment = Annotated[str, StringConstraints(min_length=1, max_length=COMMENT_LIMIT, pattern=_NO_NUL)]


def examples(*shown: dict[str, Any], **config: Any) -> ConfigDict:
    """A model's configuration with the examples its JSON schema shows."""
    return ConfigDict(json_schema_extra={"examples": list(shown)}, **config)


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = examples(
        {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "There is no circle with this id that you can see.",
        },
        extra="allow",
    )

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[dict[str, Any]] | None = None


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Opaque; absent or null on the last page."
    )

    @classmethod
    def of(cls, page: pagination.Page[S], convert: Callable[[S], T]) -> Page[T]:
        """Convert a service page item by item."""
        return cls(items=[convert(item) for item in page.items], next_cursor=page.next_cursor)


class Out(BaseModel):
    """A response made of service rows and stored objects, field by field."""

    @classmethod
    def read(cls, *sources: object, **values: Any) -> Self:
        """The fields in ``values``; each other one from the first source with that attribute.

        Like ``model_validate(obj, from_attributes=True)`` over several objects: a row and
        the stored object it wraps, with what is computed or renamed given by name.
        """
        for name in cls.model_fields.keys() - values.keys():
            source = next((s for s in sources if hasattr(s, name)), None)
            if source is not None:
                values[name] = getattr(source, name)
        return cls.model_validate(values)

    @classmethod
    def of(cls, source: Any) -> Self:
        """From one service row or stored object that has every field as an attribute."""
        return cls.read(source)


# --- circles and members -----------------------------------------------------------------


class MemberCounts(BaseModel):
    """How many members a circle has in each role."""

    teacher: int
    facilitator: int
    union_rep: int


class CircleOut(Out):
    """A learning circle."""

    model_config = examples(
        {
            "id": 1,
            "name": "Accra 1",
            "country": "GH",
            "language": "en",
            "timezone": "Africa/Accra",
            "cadence": "weekly",
            "checkin_weekday": 0,
            "checkin_time": "16:00",
            "created_at": "2026-09-01T08:00:00Z",
            "members": {"teacher": 10, "facilitator": 2, "union_rep": 1},
        },
    )

    id: int
    name: str
    country: str
    language: str
    timezone: str
    cadence: Cadence
    checkin_weekday: int = Field(description="0 = Monday … 6 = Sunday")
    checkin_time: str = Field(description="Local time of day, HH:MM")
    created_at: datetime
    members: MemberCounts

    @classmethod
    def of(cls, row: CircleRow) -> CircleOut:
        """From a service row."""
        return cls.read(
            row.circle,
            checkin_time=row.circle.checkin_time.strftime("%H:%M"),
            members=MemberCounts(**{role.value: n for role, n in row.members.items()}),
        )


class CircleCreate(BaseModel):
    """A new circle."""

    model_config = examples(
        {
            "name": "Kumasi 2",
            "country": "GH",
            "language": "en",
            "timezone": "Africa/Accra",
            "checkin_weekday": 0,
            "checkin_time": "16:00",
        },
        extra="forbid",
    )

    name: Name
    country: CountryCode
    language: LanguageCode
    timezone: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_+\-/]{1,64}$")]
    cadence: Cadence = Cadence.weekly
    checkin_weekday: int = Field(default=0, ge=0, le=6)
    checkin_time: Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "16:00"

    @property
    def at(self) -> time:
        """The check-in time of day."""
        hours, minutes = self.checkin_time.split(":")
        return time(int(hours), int(minutes))


class MemberOut(Out):
    """A member of a circle with their journey at a glance."""

    model_config = examples(
        {
            "person_id": 7,
            "name": "Ana Souza",
            "role": "teacher",
            "language": "pt_BR",
            "timezone": "America/Sao_Paulo",
            "joined_at": "2026-09-01T08:00:00Z",
            "phase": "pilot",
            "paused": False,
            "paused_until": None,
            "unreachable": False,
            "last_answer_at": "2026-10-12T19:03:00Z",
        },
    )

    person_id: int
    name: str | None
    role: Role
    language: str
    timezone: str
    joined_at: datetime
    phase: Phase | None = Field(description="The phase of their newest inquiry; null: none yet")
    paused: bool
    paused_until: datetime | None
    unreachable: bool = Field(description="The bot could not reach them (they blocked it)")
    last_answer_at: datetime | None = Field(description="When they last answered a check-in")


# --- invites -----------------------------------------------------------------------------


class InviteOut(Out):
    """An invite code and how much of it is left."""

    id: int
    circle_id: int
    role: Role
    code: str = Field(description="Send /start <code> to the bot, or open t.me/<bot>?start=<code>")
    max_uses: int
    uses: int
    uses_left: int
    state: InviteState
    expires_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime

    @classmethod
    def at(cls, now: datetime) -> Callable[[Invite], InviteOut]:
        """A converter that tells the invite's state at ``now``."""

        def convert(invite: Invite) -> InviteOut:
            return cls.read(
                invite,
                uses_left=max(0, invite.max_uses - invite.uses),
                state=invite_state(invite, now),
            )

        return convert


class InviteCreate(BaseModel):
    """A new invite: who it admits, how many, for how long."""

    model_config = examples(
        {"role": "teacher", "max_uses": 10, "valid_days": 30},
        extra="forbid",
    )

    role: Role
    max_uses: int | None = Field(
        default=None, ge=1, le=1000, description="Default: 10 teachers, 2 facilitators, 1 rep"
    )
    valid_days: int | None = Field(
        default=30, ge=1, le=365, description="Days until it expires; null: never"
    )


# --- check-ins, answers, reflections, meetings ---------------------------------------------


class AnswerOut(Out):
    """One answer: text, a choice, a number, or a file shown by its kind and caption."""

    question: str
    kind: AnswerKind
    text: str | None = Field(description="Text, or the caption of a photo or document")
    choice: str | None
    number: float | None
    has_file: bool = Field(description="A photo, document or voice note (never fetched)")
    duration_seconds: int | None = Field(description="Length of a voice note")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, answer: Answer) -> AnswerOut:
        """From a stored answer (the Telegram file id is left out)."""
        return cls.read(
            answer,
            question=answer.question_key,
            text=answer.value_text,
            choice=answer.value_choice,
            number=answer.value_number,
            has_file=answer.file_id is not None,
            duration_seconds=answer.file_duration,
        )


class CheckInOut(Out):
    """A member's check-in of one week, with its answers."""

    model_config = examples(
        {
            "id": 41,
            "person_id": 7,
            "person_name": "Ana Souza",
            "week": "2026-W41",
            "phase": "pilot",
            "iteration": 3,
            "scheduled_for": "2026-10-05T19:00:00Z",
            "status": "answered",
            "opened_at": "2026-10-05T19:00:00Z",
            "closes_at": "2026-10-11T19:00:00Z",
            "answered_at": "2026-10-06T11:20:00Z",
            "nudges_sent": 0,
            "skip_reason": None,
            "answers": [
                {
                    "question": "how_well",
                    "kind": "number",
                    "text": None,
                    "choice": None,
                    "number": 4,
                    "has_file": False,
                    "duration_seconds": None,
                    "created_at": "2026-10-06T11:20:00Z",
                    "updated_at": "2026-10-06T11:20:00Z",
                }
            ],
        },
    )

    id: int
    person_id: int
    person_name: str | None
    week: str
    phase: Phase
    iteration: int | None
    scheduled_for: datetime
    status: CheckInStatus
    opened_at: datetime | None
    closes_at: datetime | None
    answered_at: datetime | None
    nudges_sent: int
    skip_reason: str | None
    answers: list[AnswerOut]

    @classmethod
    def in_timezone(cls, timezone: str) -> Callable[[CheckInRow], CheckInOut]:
        """A converter that names each check-in's week in the circle's timezone."""

        def convert(row: CheckInRow) -> CheckInOut:
            return cls.read(
                row,
                row.checkin,
                week=str(week_of(row.checkin.scheduled_for, timezone)),
                answers=[AnswerOut.of(a) for a in row.answers],
            )

        return convert


class ReflectionOut(Out):
    """A reflection after a circle meeting or an exchange session across circles."""

    id: int
    person_id: int
    author_name: str | None
    meeting_id: int | None
    session_id: int | None
    learnt: str | None
    will_change: str | None
    one_word: str | None
    visibility: Visibility
    created_at: datetime

    @classmethod
    def of(cls, row: ReflectionRow) -> ReflectionOut:
        """From a service row."""
        return cls.read(row, row.reflection)


class PeerAnswerOut(Out):
    """A peer's answer to a question of the circle."""

    id: int
    answerer_id: int
    answerer_name: str | None
    text: str
    created_at: datetime
    thanked_at: datetime | None

    @classmethod
    def of(cls, row: AnswerRow) -> PeerAnswerOut:
        """From a service row."""
        return cls.read(row, row.answer)


class PeerQuestionOut(Out):
    """A teacher's question to the circle (``/ask``), with its answers."""

    model_config = examples(
        {
            "id": 6,
            "asker_id": None,
            "asker_name": None,
            "anonymous": True,
            "text": "How do you keep exit tickets short?",
            "created_at": "2026-10-14T11:00:00Z",
            "sent_to": 8,
            "answers": [
                {
                    "id": 8,
                    "answerer_id": 12,
                    "answerer_name": "Kofi Boateng",
                    "text": "One hinge question, one line.",
                    "created_at": "2026-10-14T12:30:00Z",
                    "thanked_at": None,
                }
            ],
        }
    )

    id: int
    asker_id: int | None = Field(description="Absent when the teacher asked without their name.")
    asker_name: str | None
    anonymous: bool
    text: str
    created_at: datetime
    sent_to: int = Field(description="How many teachers of the circle it was sent to.")
    answers: list[PeerAnswerOut]

    @classmethod
    def of(cls, row: QuestionRow) -> PeerQuestionOut:
        """From a service row; an anonymous asker is not named, nor their id given."""
        question = row.question
        return cls.read(
            row,
            question,
            asker_id=None if question.anonymous else question.asker_id,
            answers=[PeerAnswerOut.of(answer) for answer in row.answers],
        )


class RsvpCounts(BaseModel):
    """How many answered yes, no and maybe."""

    yes: int
    no: int
    maybe: int


class RsvpOut(Out):
    """One member's answer to a meeting invitation."""

    person_id: int
    name: str | None
    response: RsvpResponse
    responded_at: datetime


class MeetingOut(Out):
    """A circle meeting with its RSVP counts."""

    id: int
    circle_id: int
    starts_at: datetime
    ends_at: datetime
    place: str | None
    online_url: str | None
    agenda: str | None
    status: MeetingStatus
    rsvps: RsvpCounts
    created_at: datetime

    @classmethod
    def of(cls, row: MeetingRow) -> MeetingOut:
        """From a service row."""
        return cls.read(row.meeting, rsvps=RsvpCounts(**{r.value: n for r, n in row.rsvps.items()}))


class MessageCounts(BaseModel):
    """Messages sent, and of them how many reached the phone and were read (WhatsApp
    reports both; Telegram neither, so its messages count as sent only)."""

    sent: int
    delivered: int
    read: int


class MeetingDetail(MeetingOut):
    """A meeting with every RSVP, and how its reminders to members went."""

    responses: list[RsvpOut]
    reminders: MessageCounts


# --- practices -----------------------------------------------------------------------------


class PracticeOut(Out):
    """A codified practice on its way to (or in) the evidence repository."""

    id: int
    circle_id: int
    circle_name: str
    author_id: int | None
    author_name: str | None
    author_visible: bool = Field(description="Whether the author agreed to be named publicly")
    status: PracticeStatus
    share_scope: ShareScope
    version: int
    title: str
    strategy: Strategy | None
    subject: str | None
    grade: str | None
    grade_band: GradeBand | None
    class_size: int | None
    country: str
    language: str
    summary: str | None
    tags: list[Strategy] = Field(description="Strategy tags, the main strategy first")
    content: dict[str, Any] = Field(
        description="steps, evidence, evidence_photos, conditions, lessons, materials, ratings"
    )
    review_comment: str | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    archived_at: datetime | None

    @classmethod
    def of(cls, row: PracticeRow) -> PracticeOut:
        """From a service row."""
        return cls.read(row, row.practice, **_practice_text(row.practice))


def _practice_text(practice: Practice) -> dict[str, Any]:
    """A practice's strategy tags and content as responses show them."""
    return {
        "tags": [Strategy(t) for t in practice.tags or []],
        "content": dict(practice.content or {}),
    }


class ReviewOut(BaseModel):
    """The reviewed practice and whether its author was sent a message in the bot."""

    practice: PracticeOut
    author_notified: bool

    @classmethod
    def of(cls, reviewed: Reviewed) -> ReviewOut:
        """From the service result."""
        return cls(practice=PracticeOut.of(reviewed.row), author_notified=reviewed.author_notified)


class PracticeEdit(BaseModel):
    """Changes to a practice; a practice that was published keeps its old text as a version."""

    model_config = examples(
        {"summary": "Hinge questions in the middle of a lesson."},
        extra="forbid",
    )

    title: (
        Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_NO_NUL)] | None
    ) = None
    summary: PracticeText | None = None
    tags: list[Strategy] | None = Field(default=None, min_length=1, max_length=5)
    subject: Annotated[str, StringConstraints(max_length=120, pattern=_NO_NUL)] | None = None
    grade: Annotated[str, StringConstraints(max_length=80, pattern=_NO_NUL)] | None = None
    grade_band: GradeBand | None = None
    class_size: int | None = Field(default=None, ge=1, le=200)
    share_scope: ShareScope | None = None
    author_visible: bool | None = None
    steps: PracticeText | None = None
    evidence: PracticeText | None = None
    conditions: PracticeText | None = None
    lessons: PracticeText | None = None

    def changes(self) -> dict[str, Any]:
        """The fields the request sets (enums as their values)."""
        values = self.model_dump(exclude_unset=True, mode="json")
        return {key: value for key, value in values.items() if value is not None}


class PracticeVersionOut(BaseModel):
    """A practice as it was at one version (the last one is the current text)."""

    version: int
    status: PracticeStatus
    title: str
    summary: str | None
    tags: list[str]
    subject: str | None
    grade: str | None
    grade_band: GradeBand | None
    share_scope: ShareScope
    author_visible: bool
    language: str
    content: dict[str, Any]
    published_at: datetime | None
    updated_at: datetime | None


class RepositoryPracticeOut(Out):
    """A published practice as a reader of the repository sees it."""

    id: int
    version: int
    title: str
    summary: str | None
    strategy: Strategy | None
    tags: list[Strategy]
    subject: str | None
    grade: str | None
    grade_band: GradeBand | None
    country: str
    language: str
    share_scope: ShareScope
    circle_name: str
    author_name: str | None = Field(description="Null when the author chose to be anonymous")
    content: dict[str, Any]
    published_at: datetime | None
    adoptions: int = Field(description="Teachers who answered “I'll try this”")
    adopter_rating: float | None = Field(
        description="Mean “how well did it work” (1–5) over the adopters' pilot weeks"
    )
    adopter_ratings: int = Field(description="How many ratings the mean is made of")

    @classmethod
    def of(cls, found: Found) -> RepositoryPracticeOut:
        """From a search result."""
        return cls.read(found, found.practice, **_practice_text(found.practice))


class SearchOut(BaseModel):
    """One page of repository search results; pass ``next_offset`` back as ``offset``."""

    items: list[RepositoryPracticeOut]
    total: int
    next_offset: int | None


class ChangesRequest(BaseModel):
    """What the author should change; sent to them in the bot as written."""

    model_config = examples(
        {"comment": "Please add how long each step takes in class."},
        extra="forbid",
    )

    comment: Comment


# --- summaries -------------------------------------------------------------------------------


class LabelledCount(BaseModel):
    """A count with its key and the key's label in the request's language."""

    key: str
    label: str
    count: int


def _labelled(counts: dict[str, int], labels: dict[str, str]) -> list[LabelledCount]:
    return [LabelledCount(key=k, label=_(labels[k]), count=n) for k, n in counts.items()]


class WeekRatingOut(BaseModel):
    """One week's mean "how well did it work" rating (1–5)."""

    week: str
    mean: float | None
    count: int


class RatingsOut(BaseModel):
    """The week's mean rating and the trend over the weeks up to it."""

    mean: float | None
    count: int
    weeks: list[WeekRatingOut] = Field(description="Oldest first, the requested week last")
    slope: float | None = Field(description="Rating points per week (least squares)")
    direction: Literal["up", "down", "steady"] | None
    direction_label: str | None

    @classmethod
    def of(cls, ratings: summaries.Ratings) -> RatingsOut:
        """From the service result (means rounded to two decimals)."""
        return cls(
            mean=_round(ratings.mean),
            count=ratings.count,
            weeks=[
                WeekRatingOut(week=str(w.week), mean=_round(w.mean), count=w.count)
                for w in ratings.weeks
            ],
            slope=_round(ratings.slope),
            direction=ratings.direction,  # type: ignore[arg-type]
            direction_label=_(summaries.DIRECTION_LABELS[ratings.direction])
            if ratings.direction
            else None,
        )


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


class PendingOut(Out):
    """A teacher who has not answered the week's check-in."""

    person_id: int
    name: str | None
    status: str = Field(description="missed, open or not_opened")
    status_label: str
    paused: bool


class BlockerOut(Out):
    """What got in the way, or what the circle could help with."""

    question: Literal[Question.why_not, Question.help]
    question_label: str
    kind: AnswerKind
    text: str | None
    duration_seconds: int | None
    person_id: int | None
    name: str | None
    at: datetime


class RequestOut(BaseModel):
    """A help request or "what got in the way", to reply to or mark handled."""

    answer_id: int
    question: Literal[Question.why_not, Question.help]
    question_label: str
    kind: AnswerKind
    text: str | None
    has_file: bool
    person_id: int
    name: str | None
    week_of: datetime
    at: datetime
    handled_at: datetime | None

    @classmethod
    def of(cls, request: followups.Request) -> RequestOut:
        answer = request.answer
        question = Question(answer.question_key)
        return cls(
            answer_id=answer.id or 0,
            question=question,
            question_label=_(summaries.BLOCKER_LABELS[question]),
            kind=answer.kind,
            text=answer.value_text,
            has_file=answer.file_id is not None,
            person_id=request.person_id,
            name=request.name,
            week_of=request.week_of,
            at=answer.created_at,
            handled_at=answer.handled_at,
        )


class ReplyOut(BaseModel):
    """Whether the reply was queued for the teacher (false: they cannot be reached)."""

    queued: bool


class RemindedOut(BaseModel):
    """What became of the reminder."""

    result: Literal["sent", "already", "not_due", "holiday"]


class ReflectionNoteOut(Out):
    """A reflection the reader may read."""

    person_id: int
    name: str | None
    learnt: str | None
    will_change: str | None
    one_word: str | None
    visibility: Visibility
    at: datetime


class EvidenceOut(Out):
    """The caption of an evidence photo or document."""

    kind: AnswerKind
    caption: str
    person_id: int | None
    name: str | None
    at: datetime


class CircleRef(Out):
    """Which circle a summary is about."""

    id: int
    name: str
    country: str
    timezone: str


class CircleSummaryOut(Out):
    """One circle in one week (definitions: ``circles.services.summaries``)."""

    model_config = examples(
        {
            "circle": {
                "id": 1,
                "name": "Accra 1",
                "country": "GH",
                "timezone": "Africa/Accra",
            },
            "week": "2026-W41",
            "starts_at": "2026-10-05T00:00:00Z",
            "ends_at": "2026-10-12T00:00:00Z",
            "language": "en",
            "headline": "7 of 10 teachers answered this week (70%).",
            "teachers": 10,
            "expected": 10,
            "answered": 7,
            "response_rate": 0.7,
            "not_answered_count": 3,
            "checkins": [{"key": "answered", "label": "answered", "count": 7}],
            "not_answered": [
                {
                    "person_id": 9,
                    "name": "Kwame Mensah",
                    "status": "missed",
                    "status_label": "missed",
                    "paused": False,
                }
            ],
            "names_shown": True,
            "phases": [{"key": "pilot", "label": "pilot", "count": 8}],
            "tried": [{"key": "yes", "label": "Yes", "count": 6}],
            "ratings": {
                "mean": 3.6,
                "count": 6,
                "weeks": [{"week": "2026-W41", "mean": 3.6, "count": 6}],
                "slope": 0.2,
                "direction": "up",
                "direction_label": "improving",
            },
            "blockers": [],
            "reflections": [],
            "evidence": [],
        },
    )

    circle: CircleRef
    week: str
    starts_at: datetime
    ends_at: datetime
    language: str = Field(description="The language of labels and headline")
    headline: str
    teachers: int
    expected: int
    answered: int
    response_rate: float | None
    not_answered_count: int
    checkins: list[LabelledCount]
    not_answered: list[PendingOut] = Field(description="Empty for union representatives")
    names_shown: bool
    phases: list[LabelledCount]
    tried: list[LabelledCount]
    ratings: RatingsOut
    blockers: list[BlockerOut]
    reflections: list[ReflectionNoteOut]
    evidence: list[EvidenceOut]

    @classmethod
    def of(cls, s: summaries.CircleSummary) -> CircleSummaryOut:
        """From the service result, labelled in the current language."""
        return cls.read(
            s,
            **_week_figures(s),
            circle=CircleRef.read(s.circle),
            not_answered=[
                PendingOut.read(p, status_label=_(summaries.STATUS_LABELS[p.status]))
                for p in s.not_answered
            ],
            blockers=[
                BlockerOut.read(
                    b,
                    question_label=_(summaries.BLOCKER_LABELS[b.question]),
                    duration_seconds=b.duration,
                )
                for b in s.blockers
            ],
            reflections=[ReflectionNoteOut.read(r) for r in s.reflections],
            evidence=[EvidenceOut.read(e) for e in s.evidence],
        )


def _week_figures(s: summaries.CircleSummary | summaries.AreaSummary) -> dict[str, Any]:
    """What a circle's and an area's week share, labelled in the current language."""
    counts = s.checkins
    return {
        "week": str(s.week),
        "language": current_language(),
        "headline": summaries.headline(counts),
        "expected": counts.expected,
        "answered": counts.answered,
        "response_rate": _round(counts.response_rate, 4),
        "not_answered_count": counts.not_answered,
        "checkins": _labelled(counts.as_dict(), summaries.STATUS_LABELS),
        "phases": _labelled(s.phases, summaries.PHASE_LABELS),
        "tried": _labelled(s.tried, summaries.TRIED_LABELS),
        "ratings": RatingsOut.of(s.ratings),
    }


class AreaLineOut(Out):
    """One circle (country summary) or one country (overall summary)."""

    key: str = Field(description="The circle id, or the country code")
    name: str
    country: str
    circles: int
    teachers: int
    expected: int
    answered: int
    response_rate: float | None
    rating_mean: float | None
    rating_count: int


class AreaSummaryOut(Out):
    """A country, or everything the token covers, in one week."""

    model_config = examples(
        {
            "country": "GH",
            "week": "2026-W41",
            "language": "en",
            "headline": "61 of 80 teachers answered this week (76%).",
            "circles": 8,
            "teachers": 80,
            "expected": 80,
            "answered": 61,
            "response_rate": 0.7625,
            "not_answered_count": 19,
            "checkins": [{"key": "answered", "label": "answered", "count": 61}],
            "phases": [{"key": "pilot", "label": "pilot", "count": 64}],
            "tried": [{"key": "yes", "label": "Yes", "count": 50}],
            "ratings": {
                "mean": 3.4,
                "count": 58,
                "weeks": [{"week": "2026-W41", "mean": 3.4, "count": 58}],
                "slope": 0.05,
                "direction": "steady",
                "direction_label": "steady",
            },
            "blockers": 9,
            "lines": [
                {
                    "key": "1",
                    "name": "Accra 1",
                    "country": "GH",
                    "circles": 1,
                    "teachers": 10,
                    "expected": 10,
                    "answered": 7,
                    "response_rate": 0.7,
                    "rating_mean": 3.6,
                    "rating_count": 6,
                }
            ],
        },
    )

    country: str | None = Field(description="null for the overall summary")
    week: str
    language: str
    headline: str
    circles: int
    teachers: int
    expected: int
    answered: int
    response_rate: float | None
    not_answered_count: int
    checkins: list[LabelledCount]
    phases: list[LabelledCount]
    tried: list[LabelledCount]
    ratings: RatingsOut
    blockers: int = Field(description="How many blocker answers were given this week")
    lines: list[AreaLineOut] = Field(
        description="Circle by circle for a country, country by country overall"
    )

    @classmethod
    def of(cls, s: summaries.AreaSummary) -> AreaSummaryOut:
        """From the service result, labelled in the current language."""
        return cls.read(
            s,
            **_week_figures(s),
            lines=[
                AreaLineOut.read(
                    line,
                    line.checkins,
                    response_rate=_round(line.checkins.response_rate, 4),
                    rating_mean=_round(line.rating_mean),
                )
                for line in s.lines
            ],
        )


# --- tokens and the audit log ------------------------------------------------------------------


class TokenOut(Out):
    """An API token, without its secret (only the first characters, to recognise it)."""

    id: int
    name: str
    prefix: str
    role: TokenRole
    circle_id: int | None
    countries: list[str] | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenIssuedOut(BaseModel):
    """A new token; ``secret`` is shown this once and never again."""

    token: TokenOut
    secret: str


class TokenCreate(BaseModel):
    """A new API token."""

    model_config = examples(
        {"name": "Ghana hub", "role": "coordinator", "countries": ["GH"]},
        {
            "name": "Accra 1 facilitators",
            "role": "facilitator",
            "circle_id": 1,
            "expires_at": "2027-07-31T00:00:00Z",
        },
        extra="forbid",
    )

    name: Name
    role: TokenRole
    circle_id: int | None = Field(default=None, ge=1, le=pagination.MAX_ID)
    countries: list[CountryCode] | None = Field(
        default=None,
        max_length=250,
        description="Coordinators only: limit to these countries (null or empty: all)",
    )
    expires_at: AwareDatetime | None = Field(
        default=None, description="With a timezone; null: never expires"
    )


class AuditOut(Out):
    """One audit log row."""

    id: int
    at: datetime
    actor: str
    action: str
    target_type: str | None
    target_id: int | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, row: AuditLog) -> AuditOut:
        """From a stored row."""
        return cls.read(row, detail=dict(row.detail or {}))


# --- one teacher's page ----------------------------------------------------------------------


class PilotWeekOut(Out):
    """One pilot check-in of a teacher, answered or not, with every answer given in it."""

    checkin_id: int
    week: str
    iteration: int | None
    scheduled_for: datetime
    status: CheckInStatus
    skip_reason: str | None
    tried: str | None = Field(description="yes, partly or no")
    rating: float | None = Field(description="How well it worked, 1–5")
    answers: list[AnswerOut]


class InquiryOut(Out):
    """One inquiry of a teacher: what they identified, the practice, the pilot weeks."""

    id: int
    phase: Phase
    strategy: Strategy | None
    practice: str | None
    challenge: str | None
    affected: str | None
    readiness: float | None
    baseline: str | None
    has_baseline_photo: bool
    success: str | None
    started_at: datetime
    completed_at: datetime | None
    weeks: list[PilotWeekOut] = Field(description="Oldest first")


class ReviewStepOut(BaseModel):
    """One step of a practice's way through review (comments are in the practice)."""

    action: str = Field(description="practice.submit, .approve, .request_changes, .revise, …")
    at: datetime


class TeacherPracticeOut(BaseModel):
    """A practice the teacher codified, with its review history, oldest step first."""

    practice: PracticeOut
    history: list[ReviewStepOut]


class TeacherOut(BaseModel):
    """Everything the token may read about one teacher of one circle."""

    circle_id: int
    person_id: int
    name: str | None
    language: str
    joined_at: datetime
    inquiries: list[InquiryOut] = Field(description="Newest first")
    reflections: list[ReflectionOut] = Field(description="Only those the token may read")
    practices: list[TeacherPracticeOut]

    @classmethod
    def of(cls, page: TeacherPage) -> TeacherOut:
        """From the service's page."""
        timezone = page.circle.timezone
        return cls(
            circle_id=page.circle.id or 0,
            person_id=page.person.id or 0,
            name=page.name,
            language=page.person.language,
            joined_at=page.joined_at,
            inquiries=[_inquiry_out(view, timezone) for view in page.inquiries],
            reflections=[ReflectionOut.of(row) for row in page.reflections],
            practices=[
                TeacherPracticeOut(
                    practice=PracticeOut.of(
                        PracticeRow(view.practice, page.circle.name, page.name)
                    ),
                    history=[ReviewStepOut(action=s.action, at=s.at) for s in view.history],
                )
                for view in page.practices
            ],
        )


def _inquiry_out(view: InquiryView, timezone: str) -> InquiryOut:
    inquiry = view.inquiry
    return InquiryOut.read(
        inquiry,
        challenge=view.text(Question.challenge),
        affected=view.text(Question.affected),
        readiness=view.readiness,
        has_baseline_photo=inquiry.baseline_file_id is not None,
        weeks=[
            PilotWeekOut.read(
                week.checkin,
                checkin_id=week.checkin.id,
                week=str(week_of(week.checkin.scheduled_for, timezone)),
                tried=week.choice(Question.tried),
                rating=week.rating,
                answers=[AnswerOut.of(a) for a in week.all_answers],
            )
            for week in view.weeks
        ],
    )


class PartnershipCountsOut(BaseModel):
    """Partnerships active now and ended."""

    active: int
    ended: int


class PartnershipStatsOut(BaseModel):
    """How many partnerships between teachers of different circles there are."""

    model_config = examples(
        {
            "active": 12,
            "ended": 4,
            "countries": {"GH": {"active": 5, "ended": 1}, "UY": {"active": 8, "ended": 3}},
        }
    )

    active: int
    ended: int
    countries: dict[str, PartnershipCountsOut] = Field(
        description="Per country (ISO code): a partnership across two countries counts in both."
    )

    @classmethod
    def of(cls, found: PartnershipStats) -> PartnershipStatsOut:
        """The service's counts as the API shows them."""
        return cls(
            active=found.total.active,
            ended=found.total.ended,
            countries={
                code: PartnershipCountsOut(active=c.active, ended=c.ended)
                for code, c in found.countries.items()
            },
        )
