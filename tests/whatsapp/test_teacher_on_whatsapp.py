"""A teacher on WhatsApp: joins with the wa.me link's text, consents, onboards, identifies
a practice from more choices than three buttons hold, rates 1–5, and gets /mydata."""

from __future__ import annotations

import json

from sqlalchemy import select
from support.fakecloud import image
from support.places import add_circle

from circles.db import SessionMaker, transaction
from circles.models import Answer, Channel, Consent, Identity, Person, Role, TokenRole
from circles.services.tokens import create_token


async def _person(sessions: SessionMaker, wa_id: str) -> Person:
    async with sessions() as session:
        person = await session.scalar(
            select(Person)
            .join(Identity, Identity.person_id == Person.id)
            .where(Identity.channel == Channel.whatsapp, Identity.address == wa_id)
        )
        assert person is not None
        return person


async def test_teacher_joins_onboards_and_identifies_a_practice_on_whatsapp(
    wa_phone, accra, cloud, sessions
) -> None:
    ama = wa_phone("Ama Mensah")
    texts = await ama.send(f"Hi! I was told to send this: join {accra.codes[Role.teacher]}")
    assert texts[0].startswith("Welcome to Accra 1! You joined as teacher.")
    assert ama.labels() == ["I agree", "No, thank you"]
    person = await _person(sessions, ama.wa_id)
    assert person.language == "en"  # the circle's: WhatsApp tells no language

    await ama.tap("I agree")
    # Eight languages do not fit three buttons: a list, every one a row.
    list_message = ama.last_interactive()
    assert list_message["interactive"]["type"] == "list"
    assert len(ama.labels()) == 8
    await ama.tap("✓ English")
    assert "Africa/Accra" in ama.labels()
    await ama.tap("Africa/Accra")
    assert ama.labels() == ["Ama Mensah"]  # the profile name WhatsApp gave, one tap away
    await ama.send("Ama M.")
    await ama.send("Mathematics, Science")
    texts = await ama.tap("Lower secondary")  # six grades: a list
    assert any(t.startswith("You are all set, Ama M.!") for t in texts)
    assert (await _person(sessions, ama.wa_id)).consent is Consent.given

    await ama.send("Many students copy answers without checking if they understood.")
    await ama.send("About a third of my Year 8 class")
    cloud.receive_media("media-evidence-1", b"\xff\xd8 exit tickets", "image/jpeg")
    await ama.deliver(image(ama.wa_id, "media-evidence-1", caption="Exit tickets"))
    await ama.send("They guess, and copy from a neighbour.")  # the baseline
    await ama.send("Each student explains a step in their own words.")  # success evidence
    # Five strategies, longer than a row's title: a list, each whole in its description.
    strategies = ama.last_interactive()["interactive"]
    assert strategies["type"] == "list"
    (row,) = [
        r
        for r in strategies["action"]["sections"][0]["rows"]
        if r.get("description") == "Eliciting evidence of learning"
    ]
    assert row["title"] == "Eliciting evidence of l…"
    await ama.tap("Eliciting evidence of learning")
    await ama.send("Mini whiteboards for every student on one hinge question per lesson.")
    assert ama.labels() == ["1", "2", "3", "4", "5"]  # a 1–5 scale, as a list
    texts = await ama.tap("4")
    assert texts[-1].startswith("Thank you! From next week")

    async with sessions() as session:
        answers = {
            a.question_key: a
            for a in await session.scalars(
                select(Answer).where(Answer.person_id == person.id, Answer.flow_id == "identify")
            )
        }
    assert answers["strategy"].value_choice == "eliciting_evidence"
    assert answers["readiness"].value_number == 4
    assert answers["evidence"].file_id.startswith("media:")  # kept: WhatsApp's id expires
    assert answers["baseline"].value_text == "They guess, and copy from a neighbour."

    # /mydata arrives as a document WhatsApp accepts, uploaded first.
    before = len(cloud.sent_to(ama.wa_id))
    await ama.send("/mydata")
    document = cloud.sent_to(ama.wa_id)[before:][-1]
    assert document["type"] == "document"
    upload = cloud.uploads[document["document"]["id"]]
    assert upload.mime_type == "text/plain"
    assert json.loads(upload.content)["identities"]
    # Nothing sent broke WhatsApp's limits.
    assert cloud.refused == []


async def test_a_teacher_who_joins_on_whatsapp_takes_the_circles_language(
    wa_phone, sessions, clock
) -> None:
    from circles.db import transaction
    from circles.services.invites import create_invite

    async with transaction(sessions) as session:
        circle = await add_circle(session, "Abidjan 1", country="CI", now=clock.now())
        invite = await create_invite(session, circle=circle, role=Role.teacher, now=clock.now())
    awa = wa_phone("Awa")
    texts = await awa.send(f"Bonjour JOIN {invite.code}")
    assert texts[0].startswith("Bienvenue dans Abidjan 1\xa0!")
    assert awa.labels()[0] == "J'accepte"
    assert (await _person(sessions, awa.wa_id)).language == "fr"


async def test_a_coordinator_on_whatsapp_is_asked_to_delete_the_token_message(
    wa_phone, sessions, clock
) -> None:
    """WhatsApp lets a business delete nothing the person sent: the reply says so."""
    async with transaction(sessions) as session:
        issued = await create_token(
            session,
            role=TokenRole.coordinator,
            name="hub",
            actor="cli",
            now=clock.now(),
            countries=["GH"],
        )
    kofi = wa_phone("Kofi Asante")
    texts = await kofi.send(f"/coordinator {issued.secret}")
    assert texts == [
        "Your account is linked as a coordinator for GH. Please delete the message with the "
        "token from this chat: I cannot delete it here. Send /broadcast to announce something."
    ]
