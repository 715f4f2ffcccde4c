"""The simulator's chat history stays within its byte budgets, however much is sent."""

from __future__ import annotations

from api.web.transcript import ATTACHMENT_BYTES, SIMULATOR, Transcripts, queued
from api.web.transcript import Button as BubbleButton
from bot.flows.buttons import OpenCheckIn
from bot.flows.events import Button, File, Say, dump
from bot.flows.fit import fit
from circles.services.outbox import queued as stored
from circles.text import t


def test_transcripts_stay_under_their_byte_budget() -> None:
    transcripts = Transcripts(chat_bytes=20_000, total_bytes=100_000)
    for chat_id in range(-1000, -1050, -1):  # fifty visitors, each sending 4 KB texts
        for _ in range(30):
            transcripts.add(chat_id, "me", "é" * 2000)
            assert transcripts.size <= 100_000
            assert transcripts.chat(chat_id).size <= 20_000
    assert len(transcripts) < 50  # the least recently used chats were forgotten
    newest = transcripts.chat(-1049)
    assert newest.bubbles[-1].text == "é" * 2000  # the newest bubbles are kept
    assert transcripts.chat(-1000).bubbles == []  # the oldest chat is gone


def test_a_large_file_from_the_bot_is_named_but_not_kept() -> None:
    transcripts = Transcripts()
    big = File("mydata.json", b"x" * ATTACHMENT_BYTES, "Your data")
    small = File("mydata.json", b"{}", "Your data")
    shown = fit([big, small], "en", SIMULATOR)
    transcripts.show(-7, shown, lambda content: "data:," + content.decode())
    large, kept = transcripts.chat(-7).bubbles
    assert large.attachment == ("mydata.json", "")
    assert kept.attachment == ("mydata.json", "data:,{}")
    assert transcripts.size < 2_000


def test_a_queued_message_shows_in_the_readers_language_of_today() -> None:
    """Rows queued as events are rendered when shown; older rows as they were written."""
    reminder = stored(dump(Say(t("Done"), ((Button(t("Skip"), OpenCheckIn(4, "")),),))))
    assert queued(reminder, "fr") == [("Terminé", ((BubbleButton("Passer", "o:4:"),),))]
    assert queued(reminder, "en") == [("Done", ((BubbleButton("Skip", "o:4:"),),))]
    older = {"text": "Hello", "buttons": [[{"label": "Yes", "data": "o:4:yes"}]]}
    assert queued(older, "fr") == [("Hello", ((BubbleButton("Yes", "o:4:yes"),),))]
    assert queued(stored({"unknown": 1}), "en") == [("…", ())]
