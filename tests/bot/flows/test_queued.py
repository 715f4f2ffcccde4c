"""Queued messages are events: rendered for the reader when sent, old rows as they were."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from support.people import add_person

from bot.flows import queued
from bot.flows.buttons import FacilitatorCommand, OpenCheckIn
from bot.flows.circle import quote
from bot.flows.events import Button, Photo, Say
from circles.db import SessionMaker, transaction
from circles.models import Channel, Consent, Outbox, Person
from circles.services import outbox
from circles.services.people import Address
from circles.services.privacy import NAME_GONE, forget_person
from circles.text import join, lines, t


def test_a_services_message_is_the_event_the_bot_would_queue() -> None:
    text = lines(t("Your practice “{title}” was reviewed.", title="Ampelkarten"), "", "Kürzer.")
    assert outbox.say(text) == queued.payload(Say(text))
    caption = "Hub on Friday"
    assert outbox.media("F1", "photo", caption) == queued.payload(Photo("F1", caption, "photo"))


def test_a_queued_row_is_shown_in_the_language_of_whoever_reads_it_when_sent() -> None:
    payload = queued.payload(
        Say(
            t("Your check-in for this week is still open. It takes about five minutes."),
            ((Button(t("Open my check-in"), OpenCheckIn(5)),),),
        )
    )
    english, french = queued.shown(payload, "en"), queued.shown(payload, "fr")
    assert english.text.startswith("Your check-in for this week is still open.")
    assert french.text.startswith("Votre point hebdomadaire est encore ouvert.")
    assert english.buttons == ((("Open my check-in", "o:5:"),),)
    assert french.buttons[0][0][1] == "o:5:" and french.buttons[0][0][0] != "Open my check-in"


def test_a_row_queued_before_events_is_shown_as_it_was_stored() -> None:
    old = outbox.message_payload("Your practice was published.", [[("OK", "x:closed")]])
    shown = queued.shown(old, "fr")
    assert (shown.text, shown.buttons) == ("Your practice was published.", ((("OK", "x:closed"),),))
    photo = queued.shown({"text": "Hub", "file_id": "F1", "file_kind": "photo"}, "fr")
    assert (photo.text, photo.file_id, photo.file_kind) == ("Hub", "F1", "photo")


async def test_an_erased_teacher_leaves_a_queued_digest_without_her_name_or_words(
    sessions: SessionMaker,
) -> None:
    now = datetime(2026, 9, 14, 9, 0, tzinfo=UTC)
    async with transaction(sessions) as session:
        adwoa = await add_person(
            session, telegram=7001, display_name="Adwoa Ɔsei", consent=Consent.given
        )
        digest = Say(
            lines(
                t("Your weekly digest"),
                t(
                    "Missed two check-ins in a row: {names}",
                    names=join(["Adwoa Ɔsei", "Kojo"], ", "),
                ),
                t("What got in the way, and where the circle could help:"),
                quote("Adwoa Ɔsei", "my sister was ill all week"),
                quote("Kojo", "the projector broke"),
            ),
            ((Button(t("Who has answered"), FacilitatorCommand("who")),),),
        )
        await outbox.enqueue(
            session,
            to=Address(Channel.telegram, "7003"),
            payload=queued.payload(digest),
            key="digest-2026-38-0",
            now=now,
        )
    async with transaction(sessions) as session:
        await forget_person(
            session, person=await session.get_one(Person, adwoa.id), now=now, media_dir=None
        )
    async with sessions() as session:
        row = await session.scalar(select(Outbox))
    assert row is not None
    shown = queued.shown(row.payload, "en")
    assert shown.text.splitlines() == [
        "Your weekly digest",
        f"Missed two check-ins in a row: {NAME_GONE}, Kojo",
        "What got in the way, and where the circle could help:",
        "• Kojo: the projector broke",
    ]
    assert shown.buttons == ((("Who has answered", "f:who"),),)
