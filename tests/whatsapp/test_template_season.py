"""A season of a circle queues every kind of message the bot starts; each has its template.

The real producers (the scheduler's sweeps, meetings, reviews, a broadcast, the practice
digest) fill the outbox; every row then becomes its template in every language, with
one-line parameters that fit Meta's limit and quick replies the codec reads back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from support.people import add_person
from support.places import add_circle

from bot.flows import announcements, digest, peers, prompts, sharing
from bot.flows.buttons import decode
from bot.handlers.whatsapp.template_purposes import GROUP_KEY
from bot.handlers.whatsapp.templates import BODY_LIMIT, for_purpose, load_catalog
from circles.db import SessionMaker, transaction
from circles.models import (
    Consent,
    Membership,
    Outbox,
    Person,
    Practice,
    PracticeStatus,
    Role,
    RsvpResponse,
    TokenRole,
)
from circles.services import broadcasts, meetings, reviews
from circles.services import peers as peer_questions
from circles.services.access import Scope
from circles.services.broadcasts import Audience
from circles.settings import SUPPORTED_LANGUAGES

#: Monday 14 September 2026, 19:30 UTC: 16:30 in Recife, after check-ins opened.
MONDAY = datetime(2026, 9, 14, 19, 30, tzinfo=UTC)
ADMIN = Scope("test", TokenRole.admin)


async def _member(session, circle, role: Role, name: str, telegram: int) -> Person:
    person = await add_person(
        session,
        telegram=telegram,
        display_name=name,
        language="pt_BR",
        timezone="America/Recife",
        consent=Consent.given,
        created_at=MONDAY - timedelta(weeks=4),
    )
    session.add(
        Membership(
            person_id=person.id,
            circle_id=circle.id,
            role=role,
            joined_at=MONDAY - timedelta(weeks=4),
        )
    )
    await session.flush()
    return person


def _practice(circle, author: Person, title: str) -> Practice:
    return Practice(
        circle_id=circle.id,
        author_id=author.id,
        status=PracticeStatus.in_review,
        title=title,
        country="BR",
        language="pt_BR",
        summary="Cada estudante escreve uma linha no fim da aula.",
    )


async def _season(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        circle = await add_circle(
            session,
            "Recife 1",
            country="BR",
            timezone="America/Recife",
            now=MONDAY - timedelta(weeks=5),
        )
        ana = await _member(session, circle, Role.teacher, "Ana Souza", 7001)
        grace = await _member(session, circle, Role.facilitator, "Grace Lima", 7002)
        await prompts.open_checkins(session, now=MONDAY)
        await prompts.nudge_checkins(session, now=MONDAY + timedelta(days=1))

        meeting = await meetings.schedule_meeting(
            session,
            circle=circle,
            starts_at=MONDAY + timedelta(days=3),
            place="Biblioteca",
            agenda="Feedback entre pares",
            created_by=grace,
            now=MONDAY,
        )
        await announcements.announce(
            session, meeting=meeting, circle=circle, kind="new", now=MONDAY
        )
        await meetings.move_meeting(
            session, meeting=meeting, starts_at=MONDAY + timedelta(days=4), by=grace, now=MONDAY
        )
        await announcements.announce(
            session, meeting=meeting, circle=circle, kind="moved", now=MONDAY
        )
        await meetings.answer_invitation(
            session, meeting_id=meeting.id, person=ana, response=RsvpResponse.yes, now=MONDAY
        )
        for before in (timedelta(hours=23), timedelta(minutes=50)):
            await announcements.send_reminders(session, now=meeting.starts_at - before)
        await announcements.invite_reflections(session, now=meeting.ends_at + timedelta(minutes=30))
        other = await meetings.schedule_meeting(
            session,
            circle=circle,
            starts_at=MONDAY + timedelta(days=10),
            place=None,
            agenda=None,
            created_by=grace,
            now=MONDAY,
        )
        await meetings.cancel_meeting(session, meeting=other, by=grace, now=MONDAY)
        await announcements.announce(
            session, meeting=other, circle=circle, kind="cancelled", now=MONDAY
        )

        approved, changes = (
            _practice(circle, ana, "Bilhetes de saída"),
            _practice(circle, ana, "Semáforo"),
        )
        session.add_all([approved, changes])
        await session.flush()
        await reviews.approve_practice(session, scope=ADMIN, practice_id=approved.id, now=MONDAY)
        await reviews.request_changes(
            session,
            scope=ADMIN,
            practice_id=changes.id,
            comment="Descreva os passos.\nE como você leu as respostas.",
            now=MONDAY,
        )
        await sharing.share(session, circle=circle, practice_id=approved.id, now=MONDAY)

        broadcast = await broadcasts.create_broadcast(
            session,
            variants={"pt_BR": "Encontro regional na sexta-feira.\nTragam um exemplo."},
            default_language="pt_BR",
            audience=Audience(circle_ids=[circle.id]),
            created_by="test",
            now=MONDAY,
        )
        await broadcasts.fan_out(session, broadcast=broadcast, now=MONDAY)

        bia = await _member(session, circle, Role.teacher, "Bia Costa", 7003)
        question, reached = await peer_questions.ask_question(
            session, asker=ana, circle=circle, text="Como vocês corrigem\nos bilhetes?",
            anonymous=False, now=MONDAY,
        )  # fmt: skip
        await peers.send_question(
            session, question=question, asker=ana, circle=circle, to=reached, now=MONDAY
        )
        answer = await peer_questions.answer_question(
            session, question=question, answerer=bia, text="Em dupla, no fim da aula.", now=MONDAY
        )
        await peers.send_answer(session, answer=answer, question=question, by=bia, now=MONDAY)
        await peers.send_thanks(session, answer=answer, question=question, by=ana, now=MONDAY)
        next_monday = datetime(2026, 9, 21, 11, 30, tzinfo=UTC)  # 08:30 in Recife
        await digest.send_digests(session, now=next_monday)


async def test_every_message_of_a_season_goes_as_its_template_in_every_language(
    sessions: SessionMaker,
) -> None:
    await _season(sessions)
    async with sessions() as session:
        rows = list(await session.scalars(select(Outbox).order_by(Outbox.id)))
    catalog = load_catalog()
    names = set()
    portuguese = {}
    for row in rows:
        assert not GROUP_KEY.fullmatch(row.idempotency_key)
        for language in SUPPORTED_LANGUAGES:
            filled = for_purpose(row.idempotency_key, row.payload, language)
            assert filled is not None, row.idempotency_key
            template = catalog.get(filled.name, language)
            assert template is not None
            assert all(v and "\n" not in v and "\t" not in v for v in filled.params)
            assert template.fixed_length() + sum(map(len, filled.params)) <= BODY_LIMIT
            assert len(filled.params) == len(template.examples)
            assert len(filled.payloads) == len(template.buttons)
            assert all(decode(payload) is not None for payload in filled.payloads)
            names.add(filled.name)
            if language == "pt_BR":
                portuguese[filled.name] = filled.params
    assert names == {
        "checkin_invitation",
        "checkin_reminder",
        "meeting_new",
        "meeting_moved",
        "meeting_cancelled",
        "meeting_reminder_day",
        "meeting_reminder_hour",
        "reflection_invitation",
        "review_published",
        "review_changes",
        "practice_digest",
        "broadcast",
        "facilitator_digest",
        "peer_question",
        "peer_answer",
        "peer_thanks",
    }
    # The parameters are the message's own words, in the reader's language.
    assert "Biblioteca" in portuguese["meeting_new"][0]
    assert "Local: Biblioteca · Pauta: Feedback entre pares" in portuguese["meeting_moved"][0]
    assert portuguese["review_published"] == ("Bilhetes de saída",)
    assert portuguese["review_changes"] == (
        "Semáforo",
        "Descreva os passos. E como você leu as respostas.",
    )
    assert portuguese["practice_digest"][0].startswith("“Bilhetes de saída”")
    assert portuguese["broadcast"] == ("Encontro regional na sexta-feira. Tragam um exemplo.",)
    week, lines = portuguese["facilitator_digest"]
    assert week.startswith("Recife 1 · semana")
    assert "Ana Souza" in lines
    # A peer's question, answer and thanks: the teachers' own words, on one line.
    assert "“Como vocês corrigem · os bilhetes?”" in portuguese["peer_question"][0]
    assert portuguese["peer_answer"][0].endswith("“Em dupla, no fim da aula.”")
    assert "Ana" in portuguese["peer_thanks"][0]
