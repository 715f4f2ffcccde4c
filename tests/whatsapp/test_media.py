"""Photos, documents and voice notes sent on WhatsApp: kept in the media store at once
(WhatsApp's media ids expire), named by the answer, listed by /mydata, erased by
/forgetme; other kinds, too big files and failures answered or retried, never lost."""

from __future__ import annotations

import json

from sqlalchemy import select
from support.fakecloud import document, image, message, voice

from bot.flows.events import File
from bot.handlers.whatsapp import render
from bot.handlers.whatsapp.runner import client_for
from circles.db import SessionMaker
from circles.models import Answer, Role
from circles.services import media
from circles.settings import Settings

JPEG = b"\xff\xd8\xff\xe0" + b"exit tickets" * 100
EXPLAIN = "Thank you. Do you have evidence for it?"


async def _answers(sessions: SessionMaker, key: str) -> list[Answer]:
    async with sessions() as session:
        return list(await session.scalars(select(Answer).where(Answer.question_key == key)))


async def test_a_photo_is_kept_at_once_and_stays_after_whatsapp_forgets_it(
    wa_phone, accra, cloud, sessions, wa_settings: Settings
) -> None:
    ama = wa_phone()
    await ama.to_evidence(accra.codes[Role.teacher])
    cloud.receive_media("wa-media-1", JPEG, "image/jpeg")
    texts = await ama.deliver(image(ama.wa_id, "wa-media-1", caption="Exit tickets"))
    assert cloud.fetched == [("info", "wa-media-1"), ("download", "wa-media-1")]
    assert texts  # the next question
    (evidence,) = await _answers(sessions, "evidence")
    assert media.is_stored(evidence.file_id)
    assert evidence.value_text == "Exit tickets"
    cloud.expire("wa-media-1")  # WhatsApp no longer holds it; the store does
    assert media.read(wa_settings.media_dir, evidence.file_id) == JPEG

    # /mydata lists the file.
    before = len(cloud.sent_to(ama.wa_id))
    await ama.send("/mydata")
    (sent,) = [m for m in cloud.sent_to(ama.wa_id)[before:] if m["type"] == "document"]
    exported = json.loads(cloud.uploads[sent["document"]["id"]].content)
    assert exported["files"] == [
        {"file_id": evidence.file_id, "content_type": "image/jpeg", "size": len(JPEG)}
    ]

    # /forgetme on WhatsApp erases the file with the answers.
    await ama.send("/forgetme")
    texts = await ama.tap("1. Yes, erase every…")  # too long for a button: numbered
    assert texts == ["Everything about you is erased. Thank you for taking part."]
    assert media.read(wa_settings.media_dir, evidence.file_id) is None
    assert await _answers(sessions, "evidence") == []


async def test_a_voice_note_and_a_pdf_are_kept_with_their_types(
    wa_phone, accra, cloud, sessions, wa_settings: Settings
) -> None:
    ama = wa_phone()
    await ama.to_evidence(accra.codes[Role.teacher])
    cloud.receive_media("wa-pdf", b"%PDF-1.7 plan", "application/pdf")
    await ama.deliver(document(ama.wa_id, "wa-pdf"))
    (evidence,) = await _answers(sessions, "evidence")
    assert evidence.file_id.endswith(".pdf")
    assert media.read(wa_settings.media_dir, evidence.file_id) == b"%PDF-1.7 plan"
    cloud.receive_media("wa-voice", b"OggS voice", "audio/ogg; codecs=opus")
    await ama.deliver(voice(ama.wa_id, "wa-voice"))
    kept = {f.content_type for f in media.listed(wa_settings.media_dir, _stored(wa_settings))}
    assert kept == {"application/pdf", "audio/ogg"}


def _stored(settings: Settings) -> list[str]:
    """The file ids in the media store."""
    return [f"media:{path.name}" for path in settings.media_dir.iterdir()]


async def test_other_kinds_and_too_big_files_are_answered_and_not_downloaded(
    wa_phone, accra, cloud, sessions
) -> None:
    ama = wa_phone()
    await ama.to_evidence(accra.codes[Role.teacher])
    cloud.receive_media("wa-video", b"video", "video/mp4")
    texts = await ama.deliver(
        message(ama.wa_id, "video", {"id": "wa-video", "mime_type": "video/mp4"})
    )
    assert texts == [
        "I can keep photos (JPEG, PNG or WebP), PDF documents and voice notes, but not this "
        "kind of file. Please send it as one of those."
    ]
    cloud.receive_media("wa-docx", b"PK", "application/msword")
    texts = await ama.deliver(document(ama.wa_id, "wa-docx", mime_type="application/msword"))
    assert texts[0].startswith("I can keep photos (JPEG, PNG or WebP), PDF documents")
    cloud.receive_media("wa-huge", b"\xff" * (5 * media.MB + 1), "image/jpeg")
    texts = await ama.deliver(image(ama.wa_id, "wa-huge"))
    assert texts == ["This file is too big: I can keep files of at most 5 MB."]
    assert ("download", "wa-huge") not in cloud.fetched and cloud.fetched == [("info", "wa-huge")]
    assert await _answers(sessions, "evidence") == []


async def test_a_failed_download_is_tried_again_and_the_photo_is_not_lost(
    wa_phone, accra, cloud, sessions, worker
) -> None:
    ama = wa_phone()
    await ama.to_evidence(accra.codes[Role.teacher])
    cloud.receive_media("wa-media-2", JPEG, "image/jpeg")
    cloud.fail_next_download(503)
    assert await ama.deliver(image(ama.wa_id, "wa-media-2")) == []  # not yet handled
    assert await _answers(sessions, "evidence") == []
    await worker.drain()  # the next pass
    (evidence,) = await _answers(sessions, "evidence")
    assert media.is_stored(evidence.file_id)


async def test_an_expired_media_id_is_answered_asking_to_send_it_again(
    wa_phone, accra, cloud, sessions
) -> None:
    ama = wa_phone()
    await ama.to_evidence(accra.codes[Role.teacher])
    texts = await ama.deliver(image(ama.wa_id, "wa-gone"))
    assert texts == ["I could not receive this file. Please send it again."]
    assert await _answers(sessions, "evidence") == []


async def test_nothing_is_downloaded_from_someone_who_has_not_consented(
    wa_phone, accra, cloud, wa_settings: Settings
) -> None:
    kofi = wa_phone("Kofi")
    await kofi.send(f"JOIN {accra.codes[Role.teacher]}")
    cloud.receive_media("wa-media-3", JPEG, "image/jpeg")
    await kofi.deliver(image(kofi.wa_id, "wa-media-3"))
    stranger = wa_phone("Stranger")
    await stranger.deliver(image(stranger.wa_id, "wa-media-3"))
    assert cloud.fetched == []
    assert not wa_settings.media_dir.exists()


async def test_a_kept_photo_is_uploaded_and_sent_as_an_image(cloud, wa_settings) -> None:
    client = client_for(wa_settings)
    try:
        shown = render.fitted([File("abc.jpg", JPEG, "Evidence of impact", kind="photo")], "en")
        await render.show(client, "233200000009", shown, "en")
    finally:
        await client.aclose()
    (sent,) = cloud.sent
    assert sent["type"] == "image" and sent["image"]["caption"] == "Evidence of impact"
    assert cloud.uploads[sent["image"]["id"]].mime_type == "image/jpeg"


async def test_a_photo_no_question_asked_for_is_not_kept(
    wa_phone, accra, cloud, wa_settings: Settings
) -> None:
    ama = wa_phone()
    await ama.join(accra.codes[Role.teacher])
    await ama.send("/cancel")  # no open question any more
    cloud.receive_media("wa-media-4", JPEG, "image/jpeg")
    await ama.deliver(image(ama.wa_id, "wa-media-4"))
    assert ("download", "wa-media-4") in cloud.fetched
    assert list(wa_settings.media_dir.iterdir()) == []
