"""Each flow, end to end, in each language: not one English word the catalog could replace."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select
from support.people import on_telegram
from support.story import MONDAY_EVENING

from bot.flows import reflections
from bot.handlers.telegram.render import send_events
from circles.db import transaction
from circles.i18n import LOCALES_DIR
from circles.models import Practice, Role, TokenRole
from circles.services import reviews
from circles.services.access import Scope

#: Telegram's language code for each catalog, and the language's own name on the button.
PHONES = {
    "fr": ("fr", "Français"),
    "pt_BR": ("pt-br", "Português (Brasil)"),
    "es": ("es", "Español"),
    "ko": ("ko", "한국어"),
    "ms": ("ms", "Bahasa Melayu"),
    "de": ("de", "Deutsch"),
    "it": ("it", "Italiano"),
}


def english_leftovers(language: str, shown: list[str]) -> list[str]:
    """English messages (that the catalog translates differently) found in ``shown``."""
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    english = []
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        english += [i for i in ids if i and i not in strings]
    found = []
    for text in shown:
        lines = {line.strip() for line in text.splitlines()}
        for source in english:
            first_line = (source.split("{")[0].splitlines() or [""])[0].strip()
            if len(first_line) >= 24 and first_line in text:
                found.append(first_line)
            elif source in lines or source == text:
                found.append(source)
    return found


@pytest.mark.parametrize("language", sorted(PHONES))
async def test_a_teacher_goes_through_every_flow_in_their_language(
    language, phone, accra, clock, sessions, app, sender
) -> None:
    code, own_name = PHONES[language]
    teacher_phone = phone("Ana", language_code=code)
    texts = await teacher_phone.send(f"/start {accra.codes[Role.teacher]}")
    assert "Accra 1" in texts[0]
    await teacher_phone.tap_nth(0)  # consent
    assert f"✓ {own_name}" in teacher_phone.labels()  # preselected from Telegram
    await teacher_phone.tap(f"✓ {own_name}")
    await teacher_phone.tap_nth(0)  # the circle's timezone
    await teacher_phone.tap_nth(0)  # the name Telegram gave
    await teacher_phone.send("Matemática")
    await teacher_phone.tap_nth(1)  # grade level
    for answer in ("Muitos alunos copiam.", "Um terço da turma"):
        await teacher_phone.send(answer)
    await teacher_phone.photo(caption="Bilhetes de saída")
    await teacher_phone.send("Copiam do colega.")  # the baseline
    await teacher_phone.send("Cada um escreve a sua resposta.")  # the success evidence
    await teacher_phone.tap_nth(5)  # what do these mean?
    await teacher_phone.tap_nth(1)  # a strategy
    await teacher_phone.send("Quadros brancos individuais")
    await teacher_phone.tap("4")
    await teacher_phone.sticker()  # bad input, explained in the language

    for week in MONDAY_EVENING[:3]:
        clock.set(week)
        await teacher_phone.send("/checkin")
        await teacher_phone.tap_nth(0)
        await teacher_phone.send("Usei os quadros.")
        await teacher_phone.voice()
        await teacher_phone.tap("3")
        await teacher_phone.send("Perguntar antes.")
        await teacher_phone.tap_nth(-1)  # skip the optional question
    await teacher_phone.tap_nth(0)  # codify now (v3: what was said is offered back)
    await teacher_phone.send("Quadros")
    await teacher_phone.tap_nth(0)  # keep the practice as described
    await teacher_phone.tap_nth(1)  # change the strategy
    await teacher_phone.tap_nth(2)  # to another one
    await teacher_phone.tap_nth(-1)  # no further strategies (skip)
    await teacher_phone.tap_nth(0)  # keep the subject
    await teacher_phone.tap_nth(0)  # keep the level
    await teacher_phone.send("8º ano")
    await teacher_phone.send("30")
    await teacher_phone.tap_nth(0)  # keep the steps (what was done each week)
    await teacher_phone.send("Evidência")  # the weeks' evidence was a voice note: asked
    await teacher_phone.tap_nth(0)  # keep the conditions (the challenge)
    await teacher_phone.send("Lições")  # typed: replaces the weeks' adjustments
    await teacher_phone.send("Quadros brancos")  # materials
    await teacher_phone.tap_nth(1)
    await teacher_phone.tap_nth(0)
    await teacher_phone.tap_nth(1)  # the last look: change a part
    await teacher_phone.tap_nth(0)  # its name
    await teacher_phone.send("Quadros brancos")
    await teacher_phone.tap_nth(0)  # send for review

    # A peer of the same language answers her question between meetings; she thanks him.
    peer = phone("Kofi", language_code=code)
    await peer.send(f"/start {accra.codes[Role.teacher]}")
    await peer.tap_nth(0)  # consent
    await peer.tap(f"✓ {own_name}")
    await peer.tap_nth(0)  # the circle's timezone
    await peer.tap_nth(0)  # the name Telegram gave
    await peer.send("Matemática")
    await peer.tap_nth(1)  # grade level
    await teacher_phone.send("/ask")
    await teacher_phone.send("Como manter os bilhetes curtos?")
    await teacher_phone.tap_nth(0)  # with my name
    await teacher_phone.tap_nth(0)  # yes, send it
    await sender.drain()
    await peer.tap_nth(0)  # answer
    await peer.send("Uma pergunta, uma linha.")
    await sender.drain()
    await teacher_phone.tap_nth(0)  # thank
    await sender.drain()
    assert "Uma pergunta, uma linha." in "\n".join(teacher_phone.everything_shown())

    # Her facilitator asks for changes; a photo revises the evidence and keeps its text.
    async with transaction(sessions) as session:
        practice = await session.scalar(select(Practice))
        await reviews.request_changes(
            session,
            scope=Scope("token:1", TokenRole.facilitator, circle_ids=frozenset({accra.circle_id})),
            practice_id=practice.id,
            comment="Uma foto, por favor.",
            now=clock.now(),
        )
    await sender.drain()
    await teacher_phone.tap_nth(0)  # revise
    await teacher_phone.tap_nth(3)  # the evidence
    await teacher_phone.photo(caption="Quadros da semana 3")
    async with sessions() as session:
        revised = await session.get_one(Practice, practice.id)
    assert revised.content["evidence"] == "Evidência"  # the text stays
    assert len(revised.content["evidence_photos"]) == 1

    async with transaction(sessions) as session:
        person = await on_telegram(session, teacher_phone.user.id)
        replies = await reflections.start_reflection(
            session, person=person, circle_id=accra.circle_id, meeting_id=None, now=clock.now()
        )
    await send_events(app.bot, teacher_phone.chat_id, replies, person.language)
    for answer in ("Aprendi muito.", "Vou reagrupar.", "Ótimo"):
        await teacher_phone.send(answer)
    await teacher_phone.tap_nth(2)
    for command in ("/journey", "/help", "/pause", "/edit", "/mydata", "/forgetme", "/dance"):
        await teacher_phone.send(command)

    shown = teacher_phone.everything_shown()
    assert len(shown) > 60
    assert english_leftovers(language, shown) == []
    assert english_leftovers(language, peer.everything_shown()) == []
