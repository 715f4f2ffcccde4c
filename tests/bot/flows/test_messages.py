"""Replies joined into messages: one notification per step, within Telegram's limit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.flows.messages import MESSAGE_LIMIT, Attachment, Button, Reply, joined

YES = ((Button("Yes", "c:1:1:yes"),),)


def test_an_introduction_and_the_question_are_one_message_with_its_buttons() -> None:
    intro = Reply("Time for this week's check-in about your practice.")
    question = Reply("Did you try your practice this week?", YES)
    assert joined([intro, question]) == [
        Reply(
            "Time for this week's check-in about your practice.\n\n"
            "Did you try your practice this week?",
            YES,
        )
    ]


def test_buttons_a_file_or_a_photo_end_a_message() -> None:
    question = Reply("Did you try it?", YES)
    export = Reply("Everything we store about you.", attachment=Attachment("me.json", b"{}"))
    photo = Reply("Exit tickets", photo="file-1")
    thanks = Reply("Thank you.")
    replies = [question, thanks, export, thanks, photo, thanks]
    assert joined(replies) == replies


def test_nothing_is_joined_past_telegrams_limit() -> None:
    long = Reply("x" * (MESSAGE_LIMIT - 10))
    question = Reply("Did you try it?", YES)
    assert joined([long, question]) == [long, question]


texts = st.text(alphabet="ab \n", max_size=MESSAGE_LIMIT)
replies = st.builds(Reply, texts, st.sampled_from([(), YES]))


@given(st.lists(replies, max_size=8))
def test_joining_keeps_every_text_in_order_and_every_keyboard(sent: list[Reply]) -> None:
    messages = joined(sent)
    assert "\n\n".join(m.text for m in messages) == "\n\n".join(r.text for r in sent)
    assert [m.buttons for m in messages if m.buttons] == [r.buttons for r in sent if r.buttons]
    assert all(len(m.text) <= MESSAGE_LIMIT for m in messages)
    assert len(messages) <= len(sent)


def test_the_items_of_a_list_stay_messages_of_their_own() -> None:
    heading = Reply("Your practices:")
    archived = Reply("“Hinge questions”\nStatus: Archived", separate=True)
    published = Reply("“Exit tickets”\nStatus: Published", YES, separate=True)
    assert joined([heading, archived, published]) == [heading, archived, published]
