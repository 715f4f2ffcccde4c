"""What each message the bot starts itself is, for its WhatsApp template.

A row of the outbox names its purpose in its key (``checkin-<id>-open``,
``meeting-<id>-24h-<start>``, ``broadcast-<id>`` …; see ``circles/services/outbox.py``).
:data:`PURPOSES` lists every such purpose: the key's pattern (with the ids it carries),
the template that stands for it, the parameters that template takes from the queued
event (:data:`PARAMETERS`: a name, a date, the meeting's details, the digest's lines),
and the action of each quick reply — the codec's action that the Telegram button of the
same message carries, so that a tap opens the same step. Where one key has several
purposes (a nudge with or without its button, an approval or a request for changes),
``fits`` tells them apart by the event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from bot.flows.buttons import (
    AcceptCoFacilitation,
    AcceptPartner,
    Action,
    AdoptPractice,
    AnswerPeer,
    AnswerSession,
    ChooseYearPath,
    DeclineCoFacilitation,
    DeclinePartner,
    FacilitatorCommand,
    OpenCheckIn,
    OpenFacilitatorCheckIn,
    ReadPractice,
    Reflect,
    ReflectOnSession,
    Rsvp,
    StopDigest,
    StopPeerQuestions,
    ThankPeer,
    WritePartner,
)
from bot.flows.events import Event, Photo, Say
from circles.models import RsvpResponse, YearChoice
from circles.text import Join, Message, Part, Text, lines, render


def _first_message(text: Part) -> Message | None:
    """The first message id of ``text`` (a Join's first part), if any."""
    if isinstance(text, Message):
        return text
    if isinstance(text, Join) and text.parts:
        return _first_message(text.parts[0])
    return None


def _rest(text: Part) -> tuple[Part, ...]:
    """The parts of a Join after its first one (the details under a headline)."""
    return text.parts[1:] if isinstance(text, Join) else ()


def _param(name: str) -> Callable[[Event], Part]:
    def read(event: Event) -> Part:
        message = _first_message(_text(event))
        return message.params.get(name, "") if message is not None else ""

    return read


def whole_text(event: Event) -> Part:
    """The event's whole text (a photo's caption)."""
    return _text(event)


def _question(event: Event) -> Part:
    """An invitation's first question, without the flow's intro above it."""
    text = _text(event)
    return text.parts[-1] if isinstance(text, Join) and text.parts else text


def _meeting(event: Event) -> Part:
    """When the meeting is (in the reader's timezone), where, and its agenda."""
    text = _text(event)
    return lines(_param("when")(event), *_rest(text))


def _session(event: Event) -> Part:
    """An exchange session's title, when it is (in the reader's timezone) and where."""
    text = _text(event)
    return lines(_param("title")(event), _param("when")(event), *_rest(text))


def _comment(event: Event) -> Part:
    return lines(*_rest(_text(event)))


def _practice(event: Event) -> Part:
    """The practice card's head (title, strategies, facts, author), without the intro."""
    text = _text(event)
    return _Head(text.parts[-1]) if isinstance(text, Join) and text.parts else text


def _digest_week(event: Event) -> Part:
    text = _text(event)
    return text.parts[1] if isinstance(text, Join) and len(text.parts) > 1 else ""


def _digest_body(event: Event) -> Part:
    text = _text(event)
    return lines(*text.parts[2:]) if isinstance(text, Join) else text


@dataclass(frozen=True)
class _Head(Text):
    """The lines of ``text`` up to its first blank line, as the reader sees them."""

    text: Part

    def _render(self) -> str:
        head = []
        for line in render(self.text).split("\n"):
            if not line.strip():
                if head:
                    break
                continue
            head.append(line)
        return "\n".join(head)


def _text(event: Event) -> Part:
    if isinstance(event, Say):
        return event.text
    if isinstance(event, Photo):
        return event.caption
    return ""


#: What a template's ``{{n}}`` holds, by the name its file gives it.
PARAMETERS: dict[str, Callable[[Event], Part]] = {
    "question": _question,
    "name": _param("name"),
    "meeting": _meeting,
    "session": _session,
    "title": _param("title"),
    "comment": _comment,
    "practice": _practice,
    "message": whole_text,
    "week": _digest_week,
    "digest": _digest_body,
    "circle": _param("circle"),
    "when": _param("when"),
    "pack": _comment,
    "label": _param("label"),
}

#: A quick reply's action, from the key's ids (``m``) and the queued event.
Payload = Callable[[re.Match[str], Event], Action | None]


def _actions(event: Event) -> Iterable[Action]:
    if isinstance(event, Say):
        for row in event.buttons:
            for button in row:
                yield button.action


def _open_checkin(match: re.Match[str], event: Event) -> Action | None:
    """Open the check-in at its first question (what every invitation button opens)."""
    if "checkin" in match.groupdict():
        return OpenCheckIn(int(match["checkin"]))
    found = next((a for a in _actions(event) if isinstance(a, OpenCheckIn)), None)
    return replace(found, value="") if found is not None else None


def _rsvp(answer: RsvpResponse) -> Payload:
    return lambda match, _event: Rsvp(int(match["meeting"]), answer)


def _answer_session(answer: RsvpResponse) -> Payload:
    return lambda match, _event: AnswerSession(int(match["session"]), answer)


def _has_open_button(event: Event) -> bool:
    return any(isinstance(a, OpenCheckIn) for a in _actions(event))


@dataclass(frozen=True)
class Purpose:
    """A kind of message the bot starts itself, and the template that carries it."""

    #: The template's name (its file is ``templates/<name>.toml``).
    name: str
    #: The outbox keys of such messages (``idempotency_key``), with their ids as groups.
    key: re.Pattern[str]
    #: Names of the parameters ``{{1}}``, ``{{2}}``… (keys of :data:`PARAMETERS`).
    params: tuple[str, ...] = ()
    #: Each quick reply's action, in the order of the template's buttons.
    buttons: tuple[Payload, ...] = ()
    #: Among purposes of the same key, whether this one is the event's.
    fits: Callable[[Event], bool] = lambda _event: True
    #: What an example key of such a message looks like (for the tests and ``check``).
    example: str = ""
    #: The purpose whose template says the message in part (and promises the rest) when
    #: this one cannot hold it whole.
    longer: str | None = None


def _purpose(name: str, key: str, example: str, *params: str, **more: Any) -> Purpose:
    return Purpose(name, re.compile(key), params, example=example, **more)


_MEETING = r"meeting-(?P<meeting>\d+)"
_RSVP = (
    _rsvp(RsvpResponse.yes),
    _rsvp(RsvpResponse.maybe),
    _rsvp(RsvpResponse.no),
)

_SESSION = r"session-(?P<session>\d+)"
_SESSION_ANSWERS = (
    _answer_session(RsvpResponse.yes),
    _answer_session(RsvpResponse.maybe),
    _answer_session(RsvpResponse.no),
)

#: Every message the bot starts itself, by its outbox key. Keys of messages to a group
#: (``…-group``) are not here: groups are Telegram's only.
PURPOSES: tuple[Purpose, ...] = (
    _purpose(
        "checkin_invitation",
        r"checkin-(?P<checkin>\d+)-open",
        "checkin-7-open",
        "question",
        buttons=(_open_checkin,),
    ),
    _purpose(
        "checkin_reminder",
        r"checkin-(?P<checkin>\d+)-nudge-\d+",
        "checkin-7-nudge-1",
        buttons=(_open_checkin,),
    ),
    _purpose(
        "facilitator_nudge",
        r"nudge-\d{4}-\d\d-\d\d",
        "nudge-2026-09-01",
        "name",
        buttons=(_open_checkin,),
        fits=_has_open_button,
    ),
    _purpose("facilitator_nudge_start", r"nudge-\d{4}-\d\d-\d\d", "nudge-2026-09-01", "name"),
    _purpose(
        "meeting_new", rf"{_MEETING}-new-\d+", "meeting-3-new-1790000000", "meeting", buttons=_RSVP
    ),
    _purpose(
        "meeting_moved",
        rf"{_MEETING}-moved-\d+",
        "meeting-3-moved-1790000000",
        "meeting",
        buttons=_RSVP,
    ),
    _purpose(
        "meeting_cancelled",
        rf"{_MEETING}-cancelled-\d+",
        "meeting-3-cancelled-1790000000",
        "meeting",
    ),
    _purpose("meeting_reminder_day", rf"{_MEETING}-24h-\d+", "meeting-3-24h-1790000000", "meeting"),
    _purpose("meeting_reminder_hour", rf"{_MEETING}-1h-\d+", "meeting-3-1h-1790000000", "meeting"),
    _purpose(
        "meeting_pack",
        rf"{_MEETING}-pack-\d+",
        "meeting-3-pack-1790000000",
        "circle",
        "when",
        "pack",
    ),
    _purpose(
        "reflection_invitation",
        rf"{_MEETING}-reflect",
        "meeting-3-reflect",
        buttons=(lambda match, _event: Reflect(int(match["meeting"])),),
    ),
    _purpose(
        "session_news",
        rf"{_SESSION}-(new|moved)-\d+",
        "session-4-new-1790000000",
        "session",
        buttons=_SESSION_ANSWERS,
    ),
    _purpose(
        "session_cancelled",
        rf"{_SESSION}-cancelled-\d+",
        "session-4-cancelled-1790000000",
        "session",
    ),
    _purpose(
        "session_reminder", rf"{_SESSION}-(24h|1h)-\d+", "session-4-24h-1790000000", "session"
    ),
    _purpose(
        "session_reflection",
        rf"{_SESSION}-reflect",
        "session-4-reflect",
        "title",
        buttons=(lambda match, _event: ReflectOnSession(int(match["session"])),),
    ),
    _purpose(
        "review_published",
        r"practice-review-(?P<practice>\d+)-\d+",
        "practice-review-5-1",
        "title",
        # Approval is one sentence; a request for changes carries the comment below it.
        fits=lambda event: isinstance(_text(event), Message),
    ),
    _purpose(
        "review_changes",
        r"practice-review-(?P<practice>\d+)-\d+",
        "practice-review-5-2",
        "title",
        "comment",
    ),
    _purpose("facilitator_reply", r"reply-(?P<answer>\d+)-\d+", "reply-9-1", "name", "comment"),
    _purpose(
        "practice_digest",
        r"practice-share-\d+-(?P<practice>\d+)",
        "practice-share-2-5",
        "practice",
        buttons=(
            lambda match, _event: ReadPractice(int(match["practice"])),
            lambda match, _event: AdoptPractice(int(match["practice"])),
            lambda _match, _event: StopDigest(),
        ),
    ),
    _purpose("broadcast", r"broadcast-\d+", "broadcast-4", "message", longer="broadcast_long"),
    # The same broadcast when "broadcast" cannot hold it whole: only ever its ``longer``.
    _purpose("broadcast_long", r"broadcast-\d+", "broadcast-4", "message", fits=lambda _e: False),
    _purpose(
        "peer_question",
        r"peer-question-(?P<question>\d+)",
        "peer-question-6",
        "message",
        buttons=(
            lambda match, _event: AnswerPeer(int(match["question"])),
            lambda _match, _event: StopPeerQuestions(),
        ),
    ),
    _purpose(
        "peer_answer",
        r"peer-answer-(?P<answer>\d+)",
        "peer-answer-8",
        "message",
        buttons=(lambda match, _event: ThankPeer(int(match["answer"])),),
    ),
    _purpose("peer_thanks", r"peer-thanks-\d+", "peer-thanks-8", "message"),
    _purpose("year_closed", r"year-\d+-closed", "year-3-closed", "label"),
    _purpose(
        "year_continue",
        r"year-(?P<year>\d+)-continue",
        "year-3-continue",
        "label",
        buttons=(
            lambda match, _event: ChooseYearPath(int(match["year"]), YearChoice.continue_journey),
            lambda match, _event: ChooseYearPath(int(match["year"]), YearChoice.new_inquiry),
        ),
    ),
    _purpose(
        "partner_request",
        r"partner-request-(?P<partnership>\d+)",
        "partner-request-5",
        "message",
        buttons=(
            lambda match, _event: AcceptPartner(int(match["partnership"])),
            lambda match, _event: DeclinePartner(int(match["partnership"])),
        ),
    ),
    _purpose(
        "partner_message",
        r"partner-message-(?P<partnership>\d+)-\d+",
        "partner-message-5-12",
        "message",
        buttons=(lambda match, _event: WritePartner(int(match["partnership"])),),
    ),
    # One template for the news of a partnership: its introduction, a declined request, its end.
    *(
        _purpose("partner_news", rf"partner-{news}-\d+", f"partner-{news}-5", "message")
        for news in ("intro", "declined", "ended")
    ),
    _purpose(
        "cofacilitation_invitation",
        r"cofacilitation-(?P<invitation>\d+)",
        "cofacilitation-4",
        "message",
        buttons=(
            lambda match, _event: AcceptCoFacilitation(int(match["invitation"])),
            lambda match, _event: DeclineCoFacilitation(int(match["invitation"])),
        ),
    ),
    _purpose(
        "cofacilitation_answer", r"cofacilitation-\d+-answer", "cofacilitation-4-answer", "message"
    ),
    _purpose(
        "facilitator_checkin",
        r"facilitator-checkin-(?P<checkin>\d+)-open",
        "facilitator-checkin-3-open",
        buttons=(lambda match, _event: OpenFacilitatorCheckIn(int(match["checkin"])),),
    ),
    _purpose(
        "facilitator_checkin_reminder",
        r"facilitator-checkin-(?P<checkin>\d+)-nudge",
        "facilitator-checkin-3-nudge",
        buttons=(lambda match, _event: OpenFacilitatorCheckIn(int(match["checkin"])),),
    ),
    _purpose(
        "facilitator_digest",
        r"digest-\d{4}-\d\d-\d+",
        "digest-2026-36-0",
        "week",
        "digest",
        buttons=(
            lambda _match, _event: FacilitatorCommand("summary"),
            lambda _match, _event: FacilitatorCommand("who"),
        ),
    ),
)

#: Messages to a group: no person's window, no template (WhatsApp groups are not used).
GROUP_KEY = re.compile(r"meeting-\d+-.+-group")


def purposes_of(key: str) -> list[Purpose]:
    """The purposes whose key ``key`` is (several when the event decides between them)."""
    return [p for p in PURPOSES if p.key.fullmatch(key)]
