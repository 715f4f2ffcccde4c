"""Button data: the one place that encodes and decodes what a tapped button carries.

Every button is a typed action (a frozen dataclass) registered under a short, stable
tag; :func:`encode` writes it as the text a messaging app sends back (at most
:data:`DATA_LIMIT` bytes, Telegram's ``callback_data`` limit) and :func:`decode` reads
that text back into the action, or None for anything malformed, unknown or over-long.
Decoding never raises: the data comes from the person's client, which may send
anything. Ids are read with :func:`~bot.flows.ids.parse_id`.

The wire format is the one buttons had before this module existed, so buttons sent in
chats earlier still work:

``c:<run>:<seq>:<value>`` / ``c:<run>:<seq>:#<n>`` / ``t:…`` / ``d:<run>:<seq>`` /
``s:<run>:<seq>`` answer a flow's question (the sequence closes old keyboards);
``o:<check-in>:<value>`` opens a check-in; ``x:<verb>:…`` a member's action
(pause, erasure, inquiry, meetings, exchange sessions); ``p:<verb>:…`` the evidence
repository; ``f:<command>`` and ``r:<verdict>:<practice>`` a facilitator's; ``q:<verb>:…``
help from peers (answer a question, thank an answer, stop or restart peers' questions);
``pt:<verb>:…`` partnerships between teachers of different circles; ``l:<verb>:…``
distributed leadership (accept or decline co-facilitating, a facilitator's monthly
check-in).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import ClassVar, Literal, TypeVar, get_args

from bot.flows.ids import MAX_NUMBER, parse_id
from circles.models import RsvpResponse, Strategy, YearChoice

#: Bytes of button data Telegram accepts.
DATA_LIMIT = 64
#: Characters a flow's choice value may have in a button.
CHOICE_LIMIT = 40
_CHOICE = re.compile(rf"[^\n]{{1,{CHOICE_LIMIT}}}")
_STEP_KEY = re.compile(r"[A-Za-z0-9_]{1,40}")

FacilitatorCommandName = Literal["summary", "who", "nudge", "review", "circle"]
Verdict = Literal["approve", "changes"]


class Action:
    """A typed button action; subclasses say their tag and how their fields are written."""

    tag: ClassVar[str]
    #: How many ``:``-separated parts follow the tag (the last keeps any further ``:``).
    arity: ClassVar[int] = 1

    def parts(self) -> tuple[str, ...]:
        """The fields, as written after the tag."""
        raise NotImplementedError

    @classmethod
    def read(cls, parts: list[str]) -> Action | None:
        """The action the parts spell, else None."""
        raise NotImplementedError


_REGISTRY: dict[str, type[Action]] = {}


_A = TypeVar("_A", bound=type[Action])


def _register(cls: _A) -> _A:
    assert cls.tag not in _REGISTRY, cls.tag
    _REGISTRY[cls.tag] = cls
    return cls


def _ids(parts: list[str], limit: int | None = None) -> list[int] | None:
    values = [parse_id(p) if limit is None else parse_id(p, limit=limit) for p in parts]
    return None if any(v is None for v in values) else values  # type: ignore[return-value]


# --- a flow's questions -------------------------------------------------------------------------


@dataclass(frozen=True)
class _FlowPress(Action):
    run_id: int
    seq: int


@_register
@dataclass(frozen=True)
class FlowAnswer(_FlowPress):
    """A choice (or a point of a scale) answering the question shown with ``seq``."""

    tag: ClassVar[str] = "c"
    arity: ClassVar[int] = 3
    choice: str

    def parts(self) -> tuple[str, ...]:
        if _CHOICE.fullmatch(self.choice) is None or self.choice.startswith("#"):
            raise ValueError(f"not a choice a button can carry: {self.choice!r}")
        return (str(self.run_id), str(self.seq), self.choice)

    @classmethod
    def read(cls, parts: list[str]) -> Action | None:
        ids = _ids(parts[:2])
        if ids is None or _CHOICE.fullmatch(parts[2]) is None:
            return None
        if parts[2].startswith("#"):
            index = parse_id(parts[2][1:])
            return None if index is None else FlowSuggestion(ids[0], ids[1], index)
        return cls(ids[0], ids[1], parts[2])


@dataclass(frozen=True)
class FlowSuggestion(_FlowPress):
    """One of the suggestions offered with a text question (written as ``c:…:#<n>``)."""

    tag: ClassVar[str] = "c"
    arity: ClassVar[int] = 3
    index: int

    def parts(self) -> tuple[str, ...]:
        return (str(self.run_id), str(self.seq), f"#{self.index}")


@_register
@dataclass(frozen=True)
class FlowToggle(_FlowPress):
    """Ticking or unticking one value of a multiple-choice question."""

    tag: ClassVar[str] = "t"
    arity: ClassVar[int] = 3
    value: str

    def parts(self) -> tuple[str, ...]:
        if _CHOICE.fullmatch(self.value) is None:
            raise ValueError(f"not a choice a button can carry: {self.value!r}")
        return (str(self.run_id), str(self.seq), self.value)

    @classmethod
    def read(cls, parts: list[str]) -> Action | None:
        ids = _ids(parts[:2])
        if ids is None or _CHOICE.fullmatch(parts[2]) is None:
            return None
        return cls(ids[0], ids[1], parts[2])


@dataclass(frozen=True)
class _RunStep(_FlowPress):
    arity: ClassVar[int] = 2

    def parts(self) -> tuple[str, ...]:
        return (str(self.run_id), str(self.seq))

    @classmethod
    def read(cls, parts: list[str]) -> Action | None:
        ids = _ids(parts)
        return None if ids is None else cls(ids[0], ids[1])


@_register
@dataclass(frozen=True)
class FlowDone(_RunStep):
    """ "Done" under a multiple-choice question."""

    tag: ClassVar[str] = "d"


@_register
@dataclass(frozen=True)
class FlowSkip(_RunStep):
    """ "Skip" under an optional question."""

    tag: ClassVar[str] = "s"


FlowPress = FlowAnswer | FlowSuggestion | FlowToggle | FlowDone | FlowSkip


# --- check-ins ----------------------------------------------------------------------------------


@_register
@dataclass(frozen=True)
class OpenCheckIn(Action):
    """Open an invited check-in, answering its first question with ``value`` if given."""

    tag: ClassVar[str] = "o"
    arity: ClassVar[int] = 2
    checkin_id: int
    value: str = ""

    def parts(self) -> tuple[str, ...]:
        if self.value and (_CHOICE.fullmatch(self.value) is None or self.value[0] == "#"):
            raise ValueError(f"not a choice a button can carry: {self.value!r}")
        return (str(self.checkin_id), self.value)

    @classmethod
    def read(cls, parts: list[str]) -> Action | None:
        checkin_id = parse_id(parts[0])
        value = parts[1]
        if checkin_id is None or (value and (_CHOICE.fullmatch(value) is None or value[0] == "#")):
            return None
        return cls(checkin_id, parts[1])


# --- a member's actions (``x:``) -----------------------------------------------------------------


@dataclass(frozen=True)
class _OneId(Action):
    """An action on one row (or with one number), written as that number."""

    limit: ClassVar[int | None] = None

    def parts(self) -> tuple[str, ...]:
        return (str(getattr(self, fields(self)[0].name)),)

    @classmethod
    def read(cls, parts: list[str]) -> Action | None:
        ids = _ids(parts, cls.limit)
        return None if ids is None else cls(ids[0])


@dataclass(frozen=True)
class _Constant(Action):
    """An action without fields, written with a constant ``0`` (as it always was)."""

    def parts(self) -> tuple[str, ...]:
        return ("0",)

    @classmethod
    def read(cls, parts: list[str]) -> Action | None:
        return cls() if parts == ["0"] else None


@_register
@dataclass(frozen=True)
class Pause(_OneId):
    """Pause check-ins for ``days`` days (0: until /resume)."""

    tag: ClassVar[str] = "x:pause"
    days: int


@_register
@dataclass(frozen=True)
class ForgetConfirm(_OneId):
    """Yes, erase everything; ``stamp`` is the Unix time /forgetme was asked."""

    tag: ClassVar[str] = "x:forget"
    limit: ClassVar[int | None] = MAX_NUMBER
    stamp: int


@_register
@dataclass(frozen=True)
class KeepData(_Constant):
    """No, keep my data."""

    tag: ClassVar[str] = "x:keep_data"


@_register
@dataclass(frozen=True)
class LinkAnswer(_OneId):
    """Whether the person joining is the member on the other app (1: yes, 0: no)."""

    tag: ClassVar[str] = "x:link"
    limit: ClassVar[int | None] = 1
    yes: int


@_register
@dataclass(frozen=True)
class Codify(_OneId):
    """Move the inquiry from piloting to codifying its practice."""

    tag: ClassVar[str] = "x:codify"
    inquiry_id: int


@_register
@dataclass(frozen=True)
class KeepPiloting(_OneId):
    """Keep piloting the inquiry another week."""

    tag: ClassVar[str] = "x:keep"
    inquiry_id: int


@_register
@dataclass(frozen=True)
class NewInquiry(_Constant):
    """Start a new inquiry after the last one ended."""

    tag: ClassVar[str] = "x:new"


@_register
@dataclass(frozen=True)
class EditAnswer(Action):
    """Change one answer of the person's latest check-in (``/edit``)."""

    tag: ClassVar[str] = "x:edit"
    arity: ClassVar[int] = 2
    run_id: int
    step_key: str

    def parts(self) -> tuple[str, ...]:
        if _STEP_KEY.fullmatch(self.step_key) is None:
            raise ValueError(f"not a step key: {self.step_key!r}")
        return (str(self.run_id), self.step_key)

    @classmethod
    def read(cls, parts: list[str]) -> Action | None:
        run_id = parse_id(parts[0])
        if run_id is None or _STEP_KEY.fullmatch(parts[1]) is None:
            return None
        return cls(run_id, parts[1])


@_register
@dataclass(frozen=True)
class Rsvp(Action):
    """A member's answer to a meeting invitation."""

    tag: ClassVar[str] = "x:rsvp"
    arity: ClassVar[int] = 2
    meeting_id: int
    answer: RsvpResponse

    def parts(self) -> tuple[str, ...]:
        return (str(self.meeting_id), RsvpResponse(self.answer).value)

    @classmethod
    def read(cls, parts: list[str]) -> Action | None:
        meeting_id = parse_id(parts[0])
        if meeting_id is None or parts[1] not in RsvpResponse.__members__:
            return None
        return cls(meeting_id, RsvpResponse(parts[1]))


@_register
@dataclass(frozen=True)
class Reflect(_OneId):
    """Start one's reflection on a meeting that has ended."""

    tag: ClassVar[str] = "x:reflect"
    meeting_id: int


@_register
@dataclass(frozen=True)
class MoveMeeting(_OneId):
    """A facilitator moves a scheduled meeting."""

    tag: ClassVar[str] = "x:mmove"
    meeting_id: int


@_register
@dataclass(frozen=True)
class CancelMeeting(_OneId):
    """A facilitator cancels a scheduled meeting."""

    tag: ClassVar[str] = "x:mcancel"
    meeting_id: int


MeetingAction = Rsvp | Reflect | MoveMeeting | CancelMeeting


@_register
@dataclass(frozen=True)
class AnswerSession(Action):
    """An invitee's answer to an exchange session across circles."""

    tag: ClassVar[str] = "x:srsvp"
    arity: ClassVar[int] = 2
    session_id: int
    answer: RsvpResponse

    def parts(self) -> tuple[str, ...]:
        return (str(self.session_id), RsvpResponse(self.answer).value)

    @classmethod
    def read(cls, parts: list[str]) -> Action | None:
        session_id = parse_id(parts[0])
        if session_id is None or parts[1] not in RsvpResponse.__members__:
            return None
        return cls(session_id, RsvpResponse(parts[1]))


@_register
@dataclass(frozen=True)
class ReflectOnSession(_OneId):
    """Start one's reflection on an exchange session that has ended."""

    tag: ClassVar[str] = "x:sreflect"
    session_id: int


# --- the evidence repository (``p:``) ------------------------------------------------------------


@_register
@dataclass(frozen=True)
class SearchPage(Action):
    """A page of search results from ``offset`` for ``words`` (space-separated)."""

    tag: ClassVar[str] = "p:q"
    arity: ClassVar[int] = 2
    offset: int
    words: str

    def parts(self) -> tuple[str, ...]:
        # Words are dropped from the end until the data fits, then cut at a character.
        room = DATA_LIMIT - len(f"{self.tag}:{self.offset}:".encode())
        words = self.words.split(" ")
        while len(" ".join(words).encode()) > room and len(words) > 1:
            words.pop()
        text = " ".join(words).encode()[: max(room, 0)].decode(errors="ignore")
        return (str(self.offset), text)

    @classmethod
    def read(cls, parts: list[str]) -> Action | None:
        offset = parse_id(parts[0])
        return None if offset is None else cls(offset, parts[1])


@_register
@dataclass(frozen=True)
class Browse(Action):
    """A page of the published practices of one strategy."""

    tag: ClassVar[str] = "p:s"
    arity: ClassVar[int] = 2
    strategy: Strategy
    offset: int = 0

    def parts(self) -> tuple[str, ...]:
        return (Strategy(self.strategy).value, str(self.offset))

    @classmethod
    def read(cls, parts: list[str]) -> Action | None:
        offset = parse_id(parts[1])
        if offset is None or parts[0] not in Strategy.__members__:
            return None
        return cls(Strategy(parts[0]), offset)


@_register
@dataclass(frozen=True)
class ReadPractice(_OneId):
    """Read a practice in full."""

    tag: ClassVar[str] = "p:v"
    practice_id: int


@_register
@dataclass(frozen=True)
class AdoptPractice(_OneId):
    """ "I'll try this": a new inquiry piloting the practice."""

    tag: ClassVar[str] = "p:a"
    practice_id: int


@_register
@dataclass(frozen=True)
class RevisePractice(_OneId):
    """Revise one's own practice."""

    tag: ClassVar[str] = "p:r"
    practice_id: int


@dataclass(frozen=True)
class _Bare(Action):
    """An action written as its tag alone."""

    arity: ClassVar[int] = 0

    def parts(self) -> tuple[str, ...]:
        return ()

    @classmethod
    def read(cls, parts: list[str]) -> Action | None:
        return cls()


@_register
@dataclass(frozen=True)
class StopDigest(_Bare):
    """Stop the digest of practices from other circles."""

    tag: ClassVar[str] = "p:off"


@_register
@dataclass(frozen=True)
class RestartDigest(_Bare):
    """Send the digest of practices from other circles again."""

    tag: ClassVar[str] = "p:on"


PracticeAction = (
    SearchPage | Browse | ReadPractice | AdoptPractice | RevisePractice | StopDigest | RestartDigest
)


# --- help from peers (``q:``) -------------------------------------------------------------------


@_register
@dataclass(frozen=True)
class AnswerPeer(_OneId):
    """Answer a question a peer of the circle asked."""

    tag: ClassVar[str] = "q:a"
    question_id: int


@_register
@dataclass(frozen=True)
class ThankPeer(_OneId):
    """Thank the peer who answered one's question."""

    tag: ClassVar[str] = "q:t"
    answer_id: int


@_register
@dataclass(frozen=True)
class AskCircle(_OneId):
    """Ask the circle what the pilot check-in's "anything your circle could help with?" said."""

    tag: ClassVar[str] = "q:ask"
    checkin_id: int


@_register
@dataclass(frozen=True)
class StopPeerQuestions(_Bare):
    """Receive no more questions from peers."""

    tag: ClassVar[str] = "q:off"


@_register
@dataclass(frozen=True)
class RestartPeerQuestions(_Bare):
    """Receive peers' questions again."""

    tag: ClassVar[str] = "q:on"


# --- partnerships (``pt:``) ----------------------------------------------------------------------


@_register
@dataclass(frozen=True)
class ShowCandidate(_OneId):
    """Show the candidate partner at this place of the list (the next one)."""

    tag: ClassVar[str] = "pt:n"
    index: int


@_register
@dataclass(frozen=True)
class AskPartner(_OneId):
    """Ask to be introduced to this teacher (checked: one of the presser's candidates)."""

    tag: ClassVar[str] = "pt:ask"
    person_id: int


@_register
@dataclass(frozen=True)
class AcceptPartner(_OneId):
    """Accept a request to be introduced."""

    tag: ClassVar[str] = "pt:y"
    partnership_id: int


@_register
@dataclass(frozen=True)
class DeclinePartner(_OneId):
    """Decline a request to be introduced."""

    tag: ClassVar[str] = "pt:no"
    partnership_id: int


@_register
@dataclass(frozen=True)
class WritePartner(_OneId):
    """Write one message to a partner (the bot relays it)."""

    tag: ClassVar[str] = "pt:w"
    partnership_id: int


@_register
@dataclass(frozen=True)
class EndPartner(_OneId):
    """End a partnership."""

    tag: ClassVar[str] = "pt:end"
    partnership_id: int


# --- distributed leadership (``l:``) ------------------------------------------------------------


@_register
@dataclass(frozen=True)
class AcceptCoFacilitation(_OneId):
    """Accept an invitation to co-facilitate a circle."""

    tag: ClassVar[str] = "l:y"
    invitation_id: int


@_register
@dataclass(frozen=True)
class DeclineCoFacilitation(_OneId):
    """Decline an invitation to co-facilitate a circle."""

    tag: ClassVar[str] = "l:n"
    invitation_id: int


@_register
@dataclass(frozen=True)
class InviteCoFacilitator(Action):
    """A facilitator invites a teacher of their circle to co-facilitate it (``/cofacilitate``)."""

    tag: ClassVar[str] = "l:i"
    arity: ClassVar[int] = 2
    circle_id: int
    person_id: int

    def parts(self) -> tuple[str, ...]:
        return (str(self.circle_id), str(self.person_id))

    @classmethod
    def read(cls, parts: list[str]) -> Action | None:
        ids = _ids(parts)
        return None if ids is None else cls(ids[0], ids[1])


@_register
@dataclass(frozen=True)
class OpenFacilitatorCheckIn(_OneId):
    """Open a facilitator's monthly check-in."""

    tag: ClassVar[str] = "l:c"
    checkin_id: int


# --- the next school year (``y:``) ---------------------------------------------------------------


@_register
@dataclass(frozen=True)
class ChooseYearPath(Action):
    """A continuing teacher's choice for the new school year: go on, or a new inquiry."""

    tag: ClassVar[str] = "y:c"
    arity: ClassVar[int] = 2
    year_id: int
    choice: YearChoice

    def parts(self) -> tuple[str, ...]:
        return (str(self.year_id), YearChoice(self.choice).value)

    @classmethod
    def read(cls, parts: list[str]) -> Action | None:
        year_id = parse_id(parts[0])
        if year_id is None or parts[1] not in {c.value for c in YearChoice}:
            return None
        return cls(year_id, YearChoice(parts[1]))


# --- a facilitator's (``f:``, ``r:``) ------------------------------------------------------------


@_register
@dataclass(frozen=True)
class FacilitatorCommand(Action):
    """One of a facilitator's commands, run from a button (``f:who``)."""

    tag: ClassVar[str] = "f"
    command: FacilitatorCommandName

    def parts(self) -> tuple[str, ...]:
        if self.command not in get_args(FacilitatorCommandName):
            raise ValueError(f"not a facilitator's command: {self.command!r}")
        return (self.command,)

    @classmethod
    def read(cls, parts: list[str]) -> Action | None:
        if parts[0] not in get_args(FacilitatorCommandName):
            return None
        return cls(parts[0])  # type: ignore[arg-type]


@_register
@dataclass(frozen=True)
class Review(Action):
    """A facilitator's review decision on a practice waiting for review."""

    tag: ClassVar[str] = "r"
    arity: ClassVar[int] = 2
    practice_id: int
    verdict: Verdict

    def parts(self) -> tuple[str, ...]:
        if self.verdict not in get_args(Verdict):
            raise ValueError(f"not a verdict: {self.verdict!r}")
        return (self.verdict, str(self.practice_id))

    @classmethod
    def read(cls, parts: list[str]) -> Action | None:
        practice_id = parse_id(parts[1])
        if practice_id is None or parts[0] not in get_args(Verdict):
            return None
        return cls(practice_id, parts[0])  # type: ignore[arg-type]


FacilitatorAction = FacilitatorCommand | Review

#: The tags of the facilitators' buttons, whose closed answer is a message (see actions.press).
FACILITATOR_TAGS = (FacilitatorCommand.tag, Review.tag)


#: Actions a service in ``circles`` may offer in a message it queues (it cannot import this
#: codec): a domain name and the action its id stands for. The stored message names them
#: (``{"label": …, "named": ["revise_practice", 12]}``); :mod:`bot.flows.events` reads them
#: back as the action, and the renderers encode it like any other.
NAMED: dict[str, Callable[[int], Action]] = {
    "revise_practice": RevisePractice,
    "accept_cofacilitation": AcceptCoFacilitation,
    "decline_cofacilitation": DeclineCoFacilitation,
}


def named(name: object, ident: object) -> Action | None:
    """The action a queued message names, else None (an unknown name or a bad id)."""
    make = NAMED.get(name) if isinstance(name, str) else None
    if make is None or not isinstance(ident, int) or isinstance(ident, bool) or ident < 1:
        return None
    return make(ident)


# --- the codec ---------------------------------------------------------------------------------


def encode(action: Action) -> str:
    """The button data of ``action``; ValueError if it cannot fit in :data:`DATA_LIMIT`."""
    data = ":".join((action.tag, *action.parts()))
    if len(data.encode()) > DATA_LIMIT:
        raise ValueError(f"button data over {DATA_LIMIT} bytes: {action!r}")
    return data


def decode(data: str | None) -> Action | None:
    """The action ``data`` spells, else None (malformed, unknown or over-long); never raises."""
    if not isinstance(data, str):
        return None
    try:
        if len(data.encode()) > DATA_LIMIT:
            return None
    except UnicodeEncodeError:  # a lone surrogate: no client sends that
        return None
    head, _, rest = data.partition(":")
    cls = _REGISTRY.get(head)
    if cls is None:
        verb, _, rest = rest.partition(":")
        cls = _REGISTRY.get(f"{head}:{verb}")
        if cls is None:
            return None
        if cls.arity == 0:
            return cls.read([]) if data == cls.tag else None
    if cls.arity == 0 or ":" not in data:
        return None
    parts = rest.split(":", cls.arity - 1)
    if len(parts) != cls.arity:
        return None
    return cls.read(parts)


def recoded(data: str, change: Callable[[Action], Action]) -> str:
    """Stored button data with its action changed by ``change`` (a queued template's
    buttons pointed at each recipient's own item); data that does not decode is kept."""
    action = decode(data)
    if action is None:
        return data
    changed = change(action)
    return data if changed == action else encode(changed)


def family(data: str) -> str:
    """The tag ``data`` starts with (``x:pause``, ``f``, …), read or not; ``""`` if none."""
    head, _, rest = data.partition(":")
    if head in _REGISTRY:
        return head
    tag = f"{head}:{rest.partition(':')[0]}"
    return tag if tag in _REGISTRY else ""


#: Every kind of action (for the tests).
ACTIONS: tuple[type[Action], ...] = (*_REGISTRY.values(), FlowSuggestion)
