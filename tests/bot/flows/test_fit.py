"""Events fitted to an app: joined into few messages, every choice kept, nothing cut silently."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.apps import NARROW

from bot.flows.buttons import FlowAnswer, FlowDone, FlowSkip, FlowToggle, OpenCheckIn, encode
from bot.flows.events import Ask, Button, Choice, Done, Extra, File, Notice, Photo, Say
from bot.flows.fit import Media, Message, fit
from bot.handlers.telegram.render import TELEGRAM
from circles.text import t

YES = ((Button("Yes", OpenCheckIn(1, "yes")),),)
YES_KEYS = ((("Yes", "o:1:yes"),),)


def _strategy(selected: frozenset[str] = frozenset(), redraw: bool = False) -> Ask:
    labels = ["Exit tickets", "Hinge questions", "Peer assessment with a rubric", "Wait time"]
    return Ask(
        t("Which strategy?"),
        tuple(Choice(f"s{n}", label, FlowToggle(7, 2, f"s{n}")) for n, label in enumerate(labels)),
        multiple=True,
        selected=selected,
        extra=(Extra(t("Done"), FlowDone(7, 2), control=True),),
        redraw=redraw,
    )


def test_an_introduction_and_the_question_are_one_message_with_its_buttons() -> None:
    intro = Say("Time for this week's check-in about your practice.")
    question = Say("Did you try your practice this week?", YES)
    assert fit([intro, question], "en", TELEGRAM).messages == [
        Message(
            "Time for this week's check-in about your practice.\n\n"
            "Did you try your practice this week?",
            YES_KEYS,
        )
    ]


def test_buttons_a_file_or_a_photo_end_a_message() -> None:
    events = [
        Say("Did you try it?", YES),
        Say("Thank you."),
        File("me.json", b"{}", "Everything we store about you."),
        Say("Thank you."),
        Photo("file-1", "Exit tickets"),
        Say("Thank you."),
    ]
    assert fit(events, "en", TELEGRAM).messages == [
        Message("Did you try it?", YES_KEYS),
        Message("Thank you."),
        Message(
            "Everything we store about you.",
            media=Media("document", filename="me.json", content=b"{}"),
        ),
        Message("Thank you."),
        Message("Exit tickets", media=Media("photo", file_id="file-1")),
        Message("Thank you."),
    ]


def test_only_events_are_shown() -> None:
    with pytest.raises(TypeError, match="str is not an event"):
        fit(["Your data."], "en", TELEGRAM)


def test_nothing_is_joined_past_the_apps_limit() -> None:
    long = Say("x" * (TELEGRAM.text_length - 10))
    question = Say("Did you try it?", YES)
    assert [m.text for m in fit([long, question], "en", TELEGRAM).messages] == [
        long.text,
        "Did you try it?",
    ]


def test_the_items_of_a_list_stay_messages_of_their_own() -> None:
    heading = Say("Your practices:")
    archived = Say("“Hinge questions”\nStatus: Archived", separate=True)
    published = Say("“Exit tickets”\nStatus: Published", YES, separate=True)
    messages = fit([heading, archived, published], "en", TELEGRAM).messages
    assert [m.text for m in messages] == [heading.text, archived.text, published.text]


texts = st.text(alphabet="ab \n", max_size=TELEGRAM.text_length)
says = st.builds(Say, texts, st.sampled_from([(), YES]))


@given(st.lists(says, max_size=8))
def test_joining_keeps_every_text_in_order_and_every_keyboard(sent: list[Say]) -> None:
    messages = fit(sent, "en", TELEGRAM).messages
    assert "\n\n".join(m.text for m in messages) == "\n\n".join(s.text for s in sent)
    assert [m.keys for m in messages if m.keys] == [YES_KEYS for s in sent if s.buttons]
    assert all(len(m.text) <= TELEGRAM.text_length for m in messages)
    assert len(messages) <= len(sent)


def test_a_text_over_the_limit_is_split_at_line_ends_with_the_buttons_last() -> None:
    lines = [f"Line {n}: " + "x" * 90 for n in range(30)]  # 30 lines of 98 characters
    messages = fit([Say("\n".join(lines), YES)], "en", NARROW).messages
    assert len(messages) == 3
    assert all(len(m.text) <= NARROW.text_length for m in messages)
    assert "\n".join(m.text for m in messages) == "\n".join(lines)
    assert [bool(m.keys) for m in messages] == [False, False, True]


def test_a_question_that_fits_keeps_its_buttons_ticked() -> None:
    ask = Ask(
        t("Which language should I use with you?"),
        (
            Choice("en", "English", FlowAnswer(3, 1, "en")),
            Choice("fr", "Français", FlowAnswer(3, 1, "fr")),
        ),
        selected=frozenset({"fr"}),
    )
    [message] = fit([ask], "en", NARROW).messages
    assert message == Message(
        "Which language should I use with you?",
        ((("English", "c:3:1:en"),), (("✓ Français", "c:3:1:fr"),)),
    )


def test_too_many_choices_become_a_numbered_list_with_done_kept_as_a_button() -> None:
    [message] = fit([_strategy(frozenset({"s1"}))], "en", NARROW).messages
    assert message.text == (
        "Which strategy?\n\n"
        "1. Exit tickets\n"
        "2. ✓ Hinge questions\n"
        "3. Peer assessment with a rubric\n"
        "4. Wait time\n"
        "Reply with the numbers of your choices, separated by commas."
    )
    # Done cannot be typed: it keeps its button; the first choices get the others.
    assert message.keys == (
        (("Exit tickets", encode(FlowToggle(7, 2, "s0"))),),
        (("✓ Hinge questions", encode(FlowToggle(7, 2, "s1"))),),
        (("Done", encode(FlowDone(7, 2))),),
    )


def test_a_label_too_long_is_never_cut_silently() -> None:
    ask = Ask(
        t("Share it with whom?"),
        (
            Choice("circle", "My circle", FlowAnswer(1, 1, "circle")),
            Choice("all", "Every teacher in the whole country", FlowAnswer(1, 1, "all")),
        ),
        extra=(Extra(t("Skip"), FlowSkip(1, 1), control=True),),
    )
    [message] = fit([ask], "en", NARROW).messages
    assert "2. Every teacher in the whole country" in message.text.splitlines()
    assert "Reply with the number of your choice." in message.text
    labels = [label for row in message.keys for label, _data in row]
    assert labels == ["My circle", "2. Every teacher in…", "Skip"]
    assert all(len(label) <= 20 for label in labels)


def test_a_scale_that_does_not_fit_asks_for_its_number() -> None:
    ask = Ask(
        t("How well did it work?"),
        tuple(Choice(str(n), str(n), FlowAnswer(1, 1, str(n))) for n in range(1, 6)),
        scale=True,
    )
    [message] = fit([ask], "en", NARROW).messages
    assert message.text == "How well did it work?\n\nPlease send a number from 1 to 5."
    assert message.keys == ()
    [wide] = fit([ask], "en", TELEGRAM).messages
    assert [label for label, _d in wide.keys[0]] == ["1", "2", "3", "4", "5"]  # one row


def test_a_message_with_more_buttons_than_fit_goes_on_in_further_messages() -> None:
    buttons = tuple((Button(f"Week {n}", OpenCheckIn(n, "")),) for n in range(1, 8))
    messages = fit([Say("Open check-ins:", buttons)], "en", NARROW).messages
    assert [m.text for m in messages] == ["Open check-ins:", "More choices:", "More choices:"]
    assert [label for m in messages for row in m.keys for label, _d in row] == [
        f"Week {n}" for n in range(1, 8)
    ]
    assert all(len(m.keys) <= 3 for m in messages)


def test_an_app_that_edits_marks_the_answer_and_redraws_a_selection() -> None:
    shown = fit([Notice(t("This question is already closed.")), Done(t("Yes"))], "en", TELEGRAM)
    assert (shown.notice, shown.chosen, shown.messages) == (
        "This question is already closed.",
        "Yes",
        [],
    )
    redrawn = fit([_strategy(frozenset({"s0"}), redraw=True)], "en", TELEGRAM)
    assert redrawn.messages == []
    assert redrawn.redraw is not None and redrawn.redraw[0] == (
        ("✓ Exit tickets", encode(FlowToggle(7, 2, "s0"))),
    )


def test_an_app_without_edits_shows_nothing_for_done_and_sends_a_redraw_anew() -> None:
    shown = fit([Done(t("Yes")), _strategy(frozenset({"s0"}), redraw=True)], "en", NARROW)
    assert shown.chosen is None and shown.redraw is None
    [message] = shown.messages
    assert "1. ✓ Exit tickets" in message.text


def test_everything_is_rendered_in_the_readers_language() -> None:
    [message] = fit([_strategy()], "fr", NARROW).messages
    assert message.keys[-1][0][0] == "Terminé"  # Done
    scale = Ask(
        t("How well did it work?"),
        tuple(Choice(str(n), str(n), FlowAnswer(1, 1, str(n))) for n in range(1, 6)),
        scale=True,
    )
    [asked] = fit([scale], "fr", NARROW).messages
    assert asked.text.endswith("Merci d'envoyer un nombre de 1 à 5.")
