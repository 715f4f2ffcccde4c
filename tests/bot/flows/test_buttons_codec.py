"""The button codec: typed actions in, the same button data as ever out, and back.

A teacher taps a button the bot sent last week: it must still do what it said. A modified
client sends anything: it must be read as nothing, never crash the door. And no module
but the codec writes button data by hand.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.flows import buttons
from bot.flows.buttons import (
    DATA_LIMIT,
    AcceptCoFacilitation,
    AcceptPartner,
    AdoptPractice,
    AnswerPeer,
    AnswerSession,
    AskCircle,
    AskPartner,
    Browse,
    CancelMeeting,
    ChooseYearPath,
    Codify,
    DeclineCoFacilitation,
    DeclinePartner,
    EditAnswer,
    EndPartner,
    FacilitatorCommand,
    FlowAnswer,
    FlowDone,
    FlowSkip,
    FlowSuggestion,
    FlowToggle,
    ForgetConfirm,
    InviteCoFacilitator,
    KeepData,
    KeepPiloting,
    LinkAnswer,
    MoveMeeting,
    NewInquiry,
    OpenCheckIn,
    OpenFacilitatorCheckIn,
    Pause,
    ReadPractice,
    Reflect,
    ReflectOnSession,
    RestartDigest,
    RestartPeerQuestions,
    Review,
    RevisePractice,
    Rsvp,
    SearchPage,
    ShowCandidate,
    StopDigest,
    StopPeerQuestions,
    ThankPeer,
    WritePartner,
    decode,
    encode,
)
from bot.flows.definition import AnswerType, library
from bot.flows.ids import MAX_ID, MAX_NUMBER
from circles.models import RsvpResponse, Strategy, YearChoice

ROOT = Path(__file__).resolve().parents[3]

#: Button data exactly as the bot wrote it before the codec existed, and what it means.
SENT_LAST_WEEK = [
    ("c:12:3:yes", FlowAnswer(12, 3, "yes")),
    ("c:12:3:4", FlowAnswer(12, 3, "4")),
    ("c:12:3:pt_BR", FlowAnswer(12, 3, "pt_BR")),
    ("c:12:3:#1", FlowSuggestion(12, 3, 1)),
    ("t:12:3:cards", FlowToggle(12, 3, "cards")),
    ("d:12:3", FlowDone(12, 3)),
    ("s:12:3", FlowSkip(12, 3)),
    ("o:88:", OpenCheckIn(88)),
    ("o:88:yes", OpenCheckIn(88, "yes")),
    ("o:88:3", OpenCheckIn(88, "3")),
    ("x:pause:7", Pause(7)),
    ("x:pause:0", Pause(0)),
    ("x:forget:1788000000", ForgetConfirm(1788000000)),
    ("x:keep_data:0", KeepData()),
    ("x:link:1", LinkAnswer(1)),
    ("x:codify:5", Codify(5)),
    ("x:keep:5", KeepPiloting(5)),
    ("x:new:0", NewInquiry()),
    ("x:edit:12:tried", EditAnswer(12, "tried")),
    ("x:rsvp:9:yes", Rsvp(9, RsvpResponse.yes)),
    ("x:rsvp:9:maybe", Rsvp(9, RsvpResponse.maybe)),
    ("x:rsvp:9:no", Rsvp(9, RsvpResponse.no)),
    ("x:reflect:9", Reflect(9)),
    ("x:srsvp:4:maybe", AnswerSession(4, RsvpResponse.maybe)),
    ("x:sreflect:4", ReflectOnSession(4)),
    ("x:mmove:9", MoveMeeting(9)),
    ("x:mcancel:9", CancelMeeting(9)),
    ("p:q:5:exit tickets", SearchPage(5, "exit tickets")),
    ("p:q:0:", SearchPage(0, "")),
    ("p:s:eliciting_evidence:0", Browse(Strategy.eliciting_evidence, 0)),
    ("p:s:feedback:10", Browse(Strategy.feedback, 10)),
    ("p:v:31", ReadPractice(31)),
    ("p:a:31", AdoptPractice(31)),
    ("p:r:31", RevisePractice(31)),
    ("p:off", StopDigest()),
    ("p:on", RestartDigest()),
    ("f:who", FacilitatorCommand("who")),
    ("f:nudge", FacilitatorCommand("nudge")),
    ("f:review", FacilitatorCommand("review")),
    ("r:approve:31", Review(31, "approve")),
    ("r:changes:31", Review(31, "changes")),
    ("q:a:7", AnswerPeer(7)),
    ("q:t:8", ThankPeer(8)),
    ("q:ask:88", AskCircle(88)),
    ("q:off", StopPeerQuestions()),
    ("q:on", RestartPeerQuestions()),
    ("pt:n:2", ShowCandidate(2)),
    ("pt:ask:41", AskPartner(41)),
    ("pt:y:5", AcceptPartner(5)),
    ("pt:no:5", DeclinePartner(5)),
    ("pt:w:5", WritePartner(5)),
    ("pt:end:5", EndPartner(5)),
    ("l:y:4", AcceptCoFacilitation(4)),
    ("l:n:4", DeclineCoFacilitation(4)),
    ("l:c:9", OpenFacilitatorCheckIn(9)),
    ("l:i:1:12", InviteCoFacilitator(1, 12)),
    ("y:c:3:continue", ChooseYearPath(3, YearChoice.continue_journey)),
    ("y:c:3:new", ChooseYearPath(3, YearChoice.new_inquiry)),
]


@pytest.mark.parametrize(("data", "action"), SENT_LAST_WEEK)
def test_buttons_sent_before_the_codec_still_mean_what_they_said(data: str, action) -> None:
    assert decode(data) == action
    assert encode(action) == data


def test_every_kind_of_action_has_a_button_sent_last_week() -> None:
    assert {type(action) for _data, action in SENT_LAST_WEEK} == set(buttons.ACTIONS)


@pytest.mark.parametrize(
    "data",
    [
        "",
        ":",
        "x:",
        "x::",
        "garbage",
        "z:1:2",
        "p:v:²",
        "p:v:٣",
        "p:v:-1",
        "p:v:",
        "p:v",
        "p:v:2147483648",
        "p:v:99999999999999999999",
        "p:q:²:whiteboards",
        "p:q:9223372036854775807:whiteboards",
        "p:q:0",
        "p:s:\x00:0",
        "p:s:eliciting_evidence",
        "p:s:eliciting_evidence:99999999999999999999",
        "p:off:",
        "x:new",
        "x:keep_data",
        "x:pause:²",
        "x:forget:-1",
        "x:forget:99999999999999999999",
        "x:edit:12",
        "x:edit:12:tried:again",
        "x:rsvp:9",
        "x:rsvp:9:perhaps",
        "x:srsvp:4:perhaps",
        "x:sreflect:four",
        "x:rsvp:9223372036854775807:yes",
        "x:reflect:1:" + "x" * 5000,
        "o:²:yes",
        "o:99999999999999999999:",
        "o:88",
        "o:88:#0",
        "f",
        "f:",
        "f:everything",
        "r:approve:²",
        "r:publish:31",
        "r:changes:99999999999999999999",
        "c:99999999999999999999:1:yes",
        "c:1:²:yes",
        "c:1:1",
        "c:1:1:",
        "c:1:1:#x",
        "c:1:1:line\nbreak",
        "t:1:1:" + "x" * 80,
        "d:1:1:extra",
        "s:1",
        "p:v:" + "9" * 5000,
        "x:reflect:\ud800",
    ],
)
def test_forged_or_malformed_data_is_read_as_nothing(data: str) -> None:
    assert decode(data) is None


# --- every button fits Telegram's 64 bytes ----------------------------------------------------


LARGEST = [
    OpenCheckIn(MAX_ID),
    Pause(MAX_ID),
    ForgetConfirm(MAX_NUMBER),
    Codify(MAX_ID),
    KeepPiloting(MAX_ID),
    NewInquiry(),
    KeepData(),
    LinkAnswer(1),
    Rsvp(MAX_ID, RsvpResponse.maybe),
    Reflect(MAX_ID),
    MoveMeeting(MAX_ID),
    CancelMeeting(MAX_ID),
    SearchPage(MAX_ID, "word " * 40),
    *(Browse(strategy, MAX_ID) for strategy in Strategy),
    ReadPractice(MAX_ID),
    AdoptPractice(MAX_ID),
    RevisePractice(MAX_ID),
    StopDigest(),
    RestartDigest(),
    FacilitatorCommand("summary"),
    Review(MAX_ID, "changes"),
    FlowDone(MAX_ID, MAX_ID),
    FlowSkip(MAX_ID, MAX_ID),
    FlowSuggestion(MAX_ID, MAX_ID, 99),
]


@pytest.mark.parametrize("action", LARGEST, ids=repr)
def test_every_action_with_its_largest_ids_fits_in_a_button(action) -> None:
    data = encode(action)
    assert len(data.encode()) <= DATA_LIMIT
    assert decode(data) is not None


def test_every_answer_of_every_shipped_flow_fits_in_a_button() -> None:
    for flow in library().flows.values():
        for step in flow.steps:
            assert len(encode(EditAnswer(MAX_ID, step.key)).encode()) <= DATA_LIMIT
            if step.type in (AnswerType.multi_choice,):
                actions = [FlowToggle(MAX_ID, MAX_ID, value) for value in step.values]
            else:
                actions = [FlowAnswer(MAX_ID, MAX_ID, value) for value in step.values]
            actions += [OpenCheckIn(MAX_ID, value) for value in step.values]
            for action in actions:
                assert decode(encode(action)) == action, (flow.id, step.key)


def test_long_search_words_are_dropped_from_the_end_then_cut_at_a_character() -> None:
    words = "retroalimentação " * 10
    data = encode(SearchPage(20, words.strip()))
    assert len(data.encode()) <= DATA_LIMIT
    assert data.startswith("p:q:20:retroalimentação retroalimentação")
    one_long_word = encode(SearchPage(0, "ação" * 40))
    assert len(one_long_word.encode()) <= DATA_LIMIT
    action = decode(one_long_word)
    assert isinstance(action, SearchPage) and action.words.startswith("açãoação")


@pytest.mark.parametrize(
    "action",
    [
        FlowAnswer(1, 1, "#1"),
        FlowAnswer(1, 1, ""),
        FlowAnswer(1, 1, "x" * 41),
        FlowAnswer(MAX_ID, MAX_ID, "é" * 40),
        EditAnswer(1, "not a key"),
        FacilitatorCommand("everything"),  # type: ignore[arg-type]
        Review(1, "publish"),  # type: ignore[arg-type]
    ],
    ids=repr,
)
def test_an_action_that_cannot_be_a_button_is_refused_when_encoded(action) -> None:
    with pytest.raises(ValueError):
        encode(action)


# --- properties --------------------------------------------------------------------------------

ids = st.integers(min_value=0, max_value=MAX_ID)
choices = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40
).filter(lambda text: not text.startswith("#"))
actions = st.one_of(
    st.builds(FlowAnswer, ids, ids, choices),
    st.builds(FlowSuggestion, ids, ids, st.integers(min_value=0, max_value=MAX_ID)),
    st.builds(FlowToggle, ids, ids, choices),
    st.builds(FlowDone, ids, ids),
    st.builds(FlowSkip, ids, ids),
    st.builds(OpenCheckIn, ids, st.one_of(st.just(""), choices)),
    st.builds(Pause, ids),
    st.builds(ForgetConfirm, st.integers(min_value=0, max_value=MAX_NUMBER)),
    st.just(KeepData()),
    st.builds(LinkAnswer, st.integers(min_value=0, max_value=1)),
    st.builds(Codify, ids),
    st.builds(KeepPiloting, ids),
    st.just(NewInquiry()),
    st.builds(EditAnswer, ids, st.from_regex(r"[a-z_]{1,30}", fullmatch=True)),
    st.builds(Rsvp, ids, st.sampled_from(RsvpResponse)),
    st.builds(Reflect, ids),
    st.builds(MoveMeeting, ids),
    st.builds(CancelMeeting, ids),
    st.builds(SearchPage, ids, st.text(max_size=20)),
    st.builds(Browse, st.sampled_from(Strategy), ids),
    st.builds(ReadPractice, ids),
    st.builds(AdoptPractice, ids),
    st.builds(RevisePractice, ids),
    st.just(StopDigest()),
    st.just(RestartDigest()),
    st.builds(FacilitatorCommand, st.sampled_from(["summary", "who", "nudge", "review", "circle"])),
    st.builds(Review, ids, st.sampled_from(["approve", "changes"])),
)


@given(actions)
def test_every_action_reads_back_as_itself(action) -> None:
    try:
        data = encode(action)
    except ValueError:  # too long for a button: refused, never sent cut
        assume(False)
    assert len(data.encode()) <= DATA_LIMIT
    if isinstance(action, SearchPage) and data != f"p:q:{action.offset}:{action.words}":
        assume(False)  # the words were shortened to fit; covered above
    assert decode(data) == action


@given(st.one_of(st.text(max_size=80), st.binary(max_size=80).map(lambda b: b.decode("latin-1"))))
def test_any_text_reads_as_an_action_or_nothing_and_never_raises(text: str) -> None:
    action = decode(text)
    assert action is None or isinstance(action, buttons.Action)


# --- no module but the codec writes button data ---------------------------------------------------

#: The beginnings of button data: a tag, then ``:`` (or a bare tag such as ``p:off``).
_LOOKS_LIKE_DATA = re.compile(r"(?:[xpofrctds]):")


def _leading_text(node: ast.AST) -> str | None:
    """The literal text a string expression starts with, if it is built from a literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        return _leading_text(node.values[0])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _leading_text(node.left)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "join")
    ):
        return _leading_text(node.func.value)
    return None


def _hand_made_button_data(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in docstrings or isinstance(node, ast.FormattedValue):
            continue
        text = _leading_text(node)
        if text is not None and _LOOKS_LIKE_DATA.match(text):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text[:30]!r}")
    return found


def test_no_module_but_the_codec_writes_button_data_by_hand() -> None:
    sources = [
        path
        for folder in ("bot", "api", "scheduler", "circles")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.relative_to(ROOT).as_posix() != "bot/flows/buttons.py"
    ]
    assert sources
    assert [line for path in sources for line in _hand_made_button_data(path)] == []


def test_the_check_catches_every_way_of_writing_a_button_by_hand() -> None:
    source = (
        'a = f"x:rsvp:{meeting.id}:yes"\n'
        'b = "p:off"\n'
        'c = "o:" + str(checkin_id)\n'
        'd = "c:{}:{}".format(run, seq)\n'
    )
    tree = ast.parse(source)
    hits = [
        node.lineno
        for node in ast.walk(tree)
        if (text := _leading_text(node)) is not None and _LOOKS_LIKE_DATA.match(text)
    ]
    assert sorted(set(hits)) == [1, 2, 3, 4]
