"""The evidence repository: lifecycle, versions, scoping, search, digest, adoption, booklet.

Every test runs on SQLite (FTS5) and, in the PostgreSQL run, on tsvector search.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from support.people import add_person

from bot.flows import sharing
from bot.flows.queued import shown
from circles.db import SessionMaker, transaction
from circles.errors import Conflict, NotFound
from circles.i18n import use_language
from circles.models import (
    Adoption,
    Answer,
    AnswerKind,
    CheckIn,
    CheckInStatus,
    Circle,
    Consent,
    FlowRun,
    GradeBand,
    Inquiry,
    Membership,
    Outbox,
    Person,
    Phase,
    Practice,
    PracticeStatus,
    Role,
    ShareScope,
    Strategy,
    TokenRole,
)
from circles.services import booklet, dissemination, repository, reviews
from circles.services.access import Scope
from circles.services.circles import create_circle

# Wednesday 2026-10-14, 10:30 in Accra and Recife is after 10:00 local in both (UTC+0/-3).
NOW = datetime(2026, 10, 14, 13, 30, tzinfo=UTC)


class Repo:
    """Three circles: Accra and Kumasi in Ghana, Recife in Brazil."""

    def __init__(self) -> None:
        self.circles: dict[str, int] = {}
        self.people: dict[str, int] = {}

    async def build(self, sessions: SessionMaker) -> Repo:
        async with transaction(sessions) as session:
            for name, country, language, zone in (
                ("Accra", "GH", "en", "Africa/Accra"),
                ("Kumasi", "GH", "en", "Africa/Accra"),
                ("Recife", "BR", "pt_BR", "America/Recife"),
            ):
                circle = await create_circle(
                    session, name=name, country=country, language=language, timezone=zone, now=NOW
                )
                self.circles[name] = circle.id
            for n, (name, circle, language) in enumerate(
                (
                    ("Ama", "Accra", "en"),
                    ("Kofi", "Kumasi", "en"),
                    ("Esi", "Kumasi", "en"),
                    ("Ana", "Recife", "pt_BR"),
                ),
                start=1,
            ):
                person = await add_person(
                    session,
                    display_name=name,
                    language=language,
                    timezone="Africa/Accra" if circle != "Recife" else "America/Recife",
                    consent=Consent.given,
                    telegram=1000 + n,
                )
                session.add(
                    Membership(
                        person_id=person.id, circle_id=self.circles[circle], role=Role.teacher
                    )
                )
                self.people[name] = person.id
        return self

    async def practice(
        self,
        sessions: SessionMaker,
        *,
        circle: str,
        author: str,
        title: str,
        scope: ShareScope = ShareScope.everyone,
        status: PracticeStatus = PracticeStatus.published,
        steps: str = "",
        strategy: Strategy = Strategy.eliciting_evidence,
        tags: tuple[Strategy, ...] = (),
        band: GradeBand | None = GradeBand.primary,
        language: str = "en",
        published: datetime = NOW - timedelta(days=1),
        visible: bool = True,
    ) -> int:
        async with transaction(sessions) as session:
            country = (await session.get_one(Circle, self.circles[circle])).country
            practice = Practice(
                circle_id=self.circles[circle],
                author_id=self.people[author],
                status=status,
                share_scope=scope,
                title=title,
                summary=f"{title}: a summary.",
                strategy=strategy,
                tags=[strategy.value, *(t.value for t in tags)],
                subject="Mathematics",
                grade_band=band,
                country=country,
                language=language,
                author_visible=visible,
                content={"steps": steps, "ratings": [2.0, 4.0]},
                published_at=published if status is PracticeStatus.published else None,
                created_at=NOW - timedelta(days=3),
                updated_at=NOW - timedelta(days=3),
            )
            practice.search_text = repository.search_text_of(practice)
            session.add(practice)
            await session.flush()
            return practice.id


@pytest.fixture
async def repo(sessions: SessionMaker) -> Repo:
    return await Repo().build(sessions)


async def _titles(sessions: SessionMaker, reader: repository.Reader, **filters) -> list[str]:
    async with sessions() as session:
        results = await repository.search(
            session, reader=reader, filters=repository.Filters(**filters), limit=50
        )
    return [f.practice.title for f in results.items]


async def _member(sessions: SessionMaker, person_id: int) -> repository.Reader:
    async with sessions() as session:
        return await repository.reader_of_member(session, person_id)


async def test_a_practice_goes_from_review_to_published_versions_and_archive(
    sessions: SessionMaker, repo: Repo
) -> None:
    practice_id = await repo.practice(
        sessions,
        circle="Accra",
        author="Ama",
        title="Hinge questions",
        status=PracticeStatus.in_review,
        steps="Ask one question mid-lesson.",
    )
    kofi = await _member(sessions, repo.people["Kofi"])
    assert await _titles(sessions, kofi, words="hinge") == []  # not published yet

    scope = Scope("token:1", TokenRole.facilitator, circle_ids=frozenset({repo.circles["Accra"]}))
    async with transaction(sessions) as session:
        await reviews.approve_practice(session, scope=scope, practice_id=practice_id, now=NOW)
    assert await _titles(sessions, kofi, words="hinge") == ["Hinge questions"]

    later = NOW + timedelta(days=1)
    async with transaction(sessions) as session:
        practice = await session.get_one(Practice, practice_id)
        await repository.edit(
            session,
            practice=practice,
            changes={"steps": "Ask one hinge question; regroup by answer."},
            actor="token:1",
            now=later,
        )
    async with sessions() as session:
        practice = await session.get_one(Practice, practice_id)
        history = await repository.versions(session, practice=practice)
    assert [v["version"] for v in history] == [1, 2]
    assert history[0]["content"]["steps"] == "Ask one question mid-lesson."
    assert history[1]["content"]["steps"] == "Ask one hinge question; regroup by answer."
    assert await _titles(sessions, kofi, words="regroup") == ["Hinge questions"]
    assert await _titles(sessions, kofi, words="mid lesson") == []  # the old text is gone

    async with transaction(sessions) as session:
        archived = await repository.archive(
            session, scope=scope, practice_id=practice_id, now=later
        )
        assert archived.status is PracticeStatus.archived
    with pytest.raises(Conflict):
        async with transaction(sessions) as session:
            await repository.archive(session, scope=scope, practice_id=practice_id, now=later)
    assert await _titles(sessions, kofi, words="hinge") == []
    async with sessions() as session:
        with pytest.raises(NotFound):
            await repository.readable(session, reader=kofi, practice_id=practice_id)


async def test_an_author_revision_goes_back_to_review(sessions: SessionMaker, repo: Repo) -> None:
    practice_id = await repo.practice(
        sessions,
        circle="Accra",
        author="Ama",
        title="Exit tickets",
        status=PracticeStatus.changes_requested,
    )
    async with transaction(sessions) as session:
        practice = await session.get_one(Practice, practice_id)
        await repository.revise(
            session, practice=practice, changes={"summary": "Three questions."}, now=NOW
        )
    async with sessions() as session:
        practice = await session.get_one(Practice, practice_id)
        assert (practice.status, practice.version, practice.summary) == (
            PracticeStatus.in_review,
            1,  # never published: no version kept
            "Three questions.",
        )
    with pytest.raises(Conflict):
        async with transaction(sessions) as session:
            practice = await session.get_one(Practice, practice_id)
            practice.status = PracticeStatus.archived
            await session.flush()
            await repository.revise(session, practice=practice, changes={}, now=NOW)


async def test_share_scope_decides_who_reads_a_practice(sessions: SessionMaker, repo: Repo) -> None:
    for title, scope in (
        ("Circle only cards", ShareScope.circle),
        ("Country cards", ShareScope.country),
        ("Everyone cards", ShareScope.everyone),
    ):
        await repo.practice(sessions, circle="Accra", author="Ama", title=title, scope=scope)
    ama = await _member(sessions, repo.people["Ama"])
    kofi = await _member(sessions, repo.people["Kofi"])
    ana = await _member(sessions, repo.people["Ana"])
    assert sorted(await _titles(sessions, ama, words="cards")) == [
        "Circle only cards",
        "Country cards",
        "Everyone cards",
    ]
    assert sorted(await _titles(sessions, kofi, words="cards")) == [
        "Country cards",
        "Everyone cards",
    ]
    assert await _titles(sessions, ana, words="cards") == ["Everyone cards"]

    async with sessions() as session:
        facilitator = await repository.reader_of_scope(
            session,
            Scope("token:2", TokenRole.facilitator, circle_ids=frozenset({repo.circles["Kumasi"]})),
        )
        coordinator_br = await repository.reader_of_scope(
            session, Scope("token:3", TokenRole.coordinator, countries=frozenset({"BR"}))
        )
        admin = await repository.reader_of_scope(session, Scope("token:4", TokenRole.admin))
    assert len(await _titles(sessions, facilitator, words="cards")) == 2
    assert await _titles(sessions, coordinator_br, words="cards") == ["Everyone cards"]
    assert len(await _titles(sessions, admin, words="cards")) == 3


async def test_search_matches_words_as_prefixes_in_any_case_and_ranks_them(
    sessions: SessionMaker, repo: Repo
) -> None:
    await repo.practice(
        sessions,
        circle="Accra",
        author="Ama",
        title="Traffic lights",
        steps="Students show a green, amber or red card; feedback follows.",
        strategy=Strategy.self_assessment,
        tags=(Strategy.feedback,),
        band=GradeBand.lower_secondary,
    )
    await repo.practice(
        sessions,
        circle="Kumasi",
        author="Kofi",
        title="Feedback feedback feedback",
        steps="Written feedback with one question to answer.",
        strategy=Strategy.feedback,
    )
    await repo.practice(
        sessions,
        circle="Recife",
        author="Ana",
        title="Avaliação entre pares",
        steps="Os alunos trocam cadernos e comentam.",
        strategy=Strategy.peer_assessment,
        language="pt_BR",
    )
    await repo.practice(
        sessions, circle="Kumasi", author="Esi", title="칠판 질문", steps="학생들이 답을 씁니다."
    )
    admin = repository.Reader(None, None)

    assert await _titles(sessions, admin, words="FEEDB") == [
        "Feedback feedback feedback",  # the most relevant first
        "Traffic lights",
    ]
    assert await _titles(sessions, admin, words="feedback red") == ["Traffic lights"]
    assert await _titles(sessions, admin, words="avaliação") == ["Avaliação entre pares"]
    assert await _titles(sessions, admin, words="avaliacao") == []  # accents are kept
    assert await _titles(sessions, admin, words="칠판") == ["칠판 질문"]
    assert await _titles(sessions, admin, words="zebra") == []
    assert await _titles(sessions, admin, words="'); DROP TABLE practice; --") == []

    assert sorted(await _titles(sessions, admin, strategy=Strategy.feedback)) == [
        "Feedback feedback feedback",
        "Traffic lights",  # a further strategy tag counts
    ]
    assert await _titles(sessions, admin, grade_band=GradeBand.lower_secondary) == [
        "Traffic lights"
    ]
    assert await _titles(sessions, admin, country="br") == ["Avaliação entre pares"]
    assert await _titles(sessions, admin, language="pt_BR") == ["Avaliação entre pares"]
    assert len(await _titles(sessions, admin, subject="mathem")) == 4
    assert await _titles(sessions, admin, words="feedback", country="GH", subject="math") == [
        "Feedback feedback feedback",
        "Traffic lights",
    ]

    async with sessions() as session:
        first = await repository.search(
            session, reader=admin, filters=repository.Filters(), offset=0, limit=3
        )
        second = await repository.search(
            session, reader=admin, filters=repository.Filters(), offset=3, limit=3
        )
    assert (first.total, first.next_offset, len(second.items), second.next_offset) == (
        4,
        3,
        1,
        None,
    )


async def _rate(
    sessions: SessionMaker, inquiry_id: int, person_id: int, ratings: list[int]
) -> None:
    async with transaction(sessions) as session:
        inquiry = await session.get_one(Inquiry, inquiry_id)
        for week, rating in enumerate(ratings):
            checkin = CheckIn(
                person_id=person_id,
                circle_id=inquiry.circle_id,
                inquiry_id=inquiry_id,
                scheduled_for=NOW + timedelta(days=7 * (week + 1)),
                phase=Phase.pilot,
                status=CheckInStatus.answered,
                iteration=week + 1,
            )
            session.add(checkin)
            run = FlowRun(person_id=person_id, flow_id="pilot", flow_version=1, checkin_id=None)
            session.add(run)
            await session.flush()
            session.add(
                Answer(
                    flow_run_id=run.id,
                    person_id=person_id,
                    checkin_id=checkin.id,
                    flow_id="pilot",
                    flow_version=1,
                    question_key="how_well",
                    kind=AnswerKind.number,
                    value_number=rating,
                )
            )


async def test_adopting_starts_a_pilot_and_counts_adopters_ratings(
    sessions: SessionMaker, repo: Repo
) -> None:
    practice_id = await repo.practice(
        sessions, circle="Accra", author="Ama", title="Hinge questions", strategy=Strategy.feedback
    )
    inquiries = {}
    for name, circle in (("Kofi", "Kumasi"), ("Ana", "Recife")):
        async with transaction(sessions) as session:
            person = await session.get_one(Person, repo.people[name])
            adopted = await repository.adopt(
                session,
                person=person,
                circle=await session.get_one(Circle, repo.circles[circle]),
                practice=await session.get_one(Practice, practice_id),
                now=NOW,
            )
            assert adopted.inquiry is not None and not adopted.already
            assert (adopted.inquiry.phase, adopted.inquiry.strategy) == (
                Phase.pilot,
                Strategy.feedback,
            )
            assert adopted.inquiry.practice.startswith("Hinge questions")
            inquiries[name] = adopted.inquiry.id
    async with transaction(sessions) as session:
        again = await repository.adopt(
            session,
            person=await session.get_one(Person, repo.people["Kofi"]),
            circle=await session.get_one(Circle, repo.circles["Kumasi"]),
            practice=await session.get_one(Practice, practice_id),
            now=NOW,
        )
        assert again.already and again.inquiry.id == inquiries["Kofi"]
    await _rate(sessions, inquiries["Kofi"], repo.people["Kofi"], [3, 4])
    await _rate(sessions, inquiries["Ana"], repo.people["Ana"], [5])

    async with sessions() as session:
        found = await repository.readable(
            session, reader=repository.Reader(None, None), practice_id=practice_id
        )
        assert await session.scalar(select(func.count()).select_from(Adoption)) == 2
    assert (found.adoptions, found.adopter_rating, found.adopter_ratings) == (2, 4.0, 3)

    other = await repo.practice(sessions, circle="Accra", author="Ama", title="Exit tickets")
    async with transaction(sessions) as session:
        busy = await repository.adopt(
            session,
            person=await session.get_one(Person, repo.people["Kofi"]),
            circle=await session.get_one(Circle, repo.circles["Kumasi"]),
            practice=await session.get_one(Practice, other),
            now=NOW,
        )
        assert busy.inquiry is None and busy.busy.id == inquiries["Kofi"]


async def _digest(sessions: SessionMaker, now: datetime) -> list[dissemination.Shared]:
    async with transaction(sessions) as session:
        return await sharing.sweep(session, now=now)


async def _outbox(sessions: SessionMaker) -> list[Outbox]:
    async with sessions() as session:
        return list(await session.scalars(select(Outbox).order_by(Outbox.id)))


async def test_the_digest_sends_each_circle_a_practice_from_elsewhere_once(
    sessions: SessionMaker, repo: Repo
) -> None:
    async with transaction(sessions) as session:  # only Kumasi receives digests here
        for name in ("Accra", "Recife"):
            (await session.get_one(Circle, repo.circles[name])).share_every_days = 0
    await repo.practice(
        sessions, circle="Accra", author="Ama", title="Only for Accra", scope=ShareScope.circle
    )
    await repo.practice(sessions, circle="Kumasi", author="Kofi", title="Kumasi's own")
    await repo.practice(
        sessions,
        circle="Recife",
        author="Ana",
        title="Cartões de semáforo",
        language="pt_BR",
        published=NOW - timedelta(days=30),
    )
    await repo.practice(
        sessions,
        circle="Accra",
        author="Ama",
        title="Hinge questions",
        scope=ShareScope.country,
        published=NOW - timedelta(days=40),
    )

    early = NOW.replace(hour=9)  # 09:00 in Accra: too early
    assert await _digest(sessions, early) == []
    shared = await _digest(sessions, NOW)
    assert [(s.circle_id, s.queued) for s in shared] == [(repo.circles["Kumasi"], 2)]
    messages = await _outbox(sessions)
    assert len(messages) == 2
    first = shown(messages[0].payload, "en")
    assert first.text.startswith("A practice from another circle")
    assert "Hinge questions" in first.text  # the circle's language comes first
    assert [row[0][1] for row in first.buttons] == [
        f"p:a:{shared[0].practice_id}",
        "p:off",
    ]
    assert await _digest(sessions, NOW + timedelta(hours=1)) == []  # not due again yet

    async with transaction(sessions) as session:  # Esi turns the digest off
        (await session.get_one(Person, repo.people["Esi"])).practice_digest = False
    fortnight = NOW + timedelta(days=14)
    shared = await _digest(sessions, fortnight)
    messages = (await _outbox(sessions))[2:]
    assert [m.address for m in messages] == ["1002"]  # Kofi only
    text = shown(messages[0].payload, "en").text
    assert "Cartões de semáforo" in text
    assert "This practice was written in Portuguese (Brazil); here is the original text." in text

    assert await _digest(sessions, fortnight + timedelta(days=14)) == []  # nothing new left
    sent = [shown(m.payload, "en").text for m in await _outbox(sessions)]
    assert not any("Only for Accra" in t or "Kumasi's own" in t for t in sent)


async def test_the_booklet_groups_indexes_and_escapes(sessions: SessionMaker, repo: Repo) -> None:
    await repo.practice(
        sessions,
        circle="Accra",
        author="Ama",
        title="Traffic <script>alert(1)</script> lights",
        strategy=Strategy.self_assessment,
        steps="Show *green* or [red](http://evil)",
        visible=False,
    )
    await repo.practice(
        sessions, circle="Recife", author="Ana", title="Avaliação", strategy=Strategy.feedback
    )
    await repo.practice(
        sessions,
        circle="Kumasi",
        author="Kofi",
        title="Not yet",
        status=PracticeStatus.in_review,
    )
    admin = repository.Reader(None, None)
    async with sessions() as session:
        with use_language("en"):
            page = await booklet.booklet(
                session,
                reader=admin,
                grouping=booklet.Grouping.strategy,
                fmt=booklet.BookletFormat.html,
                now=NOW,
            )
            markdown = await booklet.booklet(
                session,
                reader=admin,
                grouping=booklet.Grouping.country,
                fmt=booklet.BookletFormat.markdown,
                now=NOW,
            )
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.index("Feedback that moves learning forward") < page.index("Self-assessment")
    assert 'href="#group-1"' in page and 'id="group-1"' in page
    assert "Shared anonymously from Accra" in page and "By Ana, Recife" in page
    assert "Not yet" not in page and "Not yet" not in markdown
    index, _sep, body = markdown.partition('<a id="group-1"></a>')
    assert "1. [Brazil](#group-1)" in index and "2. [Ghana](#group-2)" in index
    assert "Show \\*green\\* or \\[red\\]\\(http://evil\\)" in body
