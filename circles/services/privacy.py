"""A person's rights over their data: export everything (/mydata), erase it (/forgetme).

Both cover the files of the media store (:mod:`circles.services.media`) that the person's
answers, baselines and practices name: the export lists them, erasure deletes them
(but the evidence photos of a practice that stays published).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, delete, false, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from circles.models import (
    Adoption,
    Answer,
    ApiToken,
    AuditLog,
    Channel,
    CheckIn,
    Circle,
    CoFacilitation,
    Consent,
    Delivery,
    FacilitatorCheckIn,
    FlowRun,
    Identity,
    IdentityLink,
    Inquiry,
    Meeting,
    Membership,
    Outbox,
    PartnerMessage,
    Partnership,
    PeerAnswer,
    PeerQuestion,
    PeerQuestionCopy,
    Person,
    Practice,
    PracticeShare,
    PracticeStatus,
    PracticeVersion,
    Reflection,
    Rsvp,
    SessionRsvp,
    WebSession,
)
from circles.services import media, partnerships, peers, yearbook
from circles.services.audit import record_audit
from circles.services.inbox import forget_sender

#: The actor of audit entries (and practice versions) written by someone since erased.
FORGOTTEN_ACTOR = "person:forgotten"
#: What stands where an erased person's name was in other people's messages.
NAME_GONE = "…"


def _plain(row: SQLModel, *, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    data = row.model_dump(mode="json")
    for key in leave_out:
        data.pop(key, None)
    return data


def _addressed_to(identities: list[Identity]) -> ColumnElement[bool]:
    """Outbox rows addressed to one of these identities."""
    if not identities:
        return false()
    return tuple_(Outbox.channel, Outbox.address).in_(
        [(identity.channel, identity.address) for identity in identities]
    )


def _audit_about(pid: int, practice_ids: Any) -> ColumnElement[bool]:
    """Audit entries that concern a person: done by them, about them or their practices."""
    return or_(
        AuditLog.actor == f"person:{pid}",
        (AuditLog.target_type == "person") & (AuditLog.target_id == pid),
        (AuditLog.target_type == "practice") & AuditLog.target_id.in_(practice_ids),
    )


async def _files_of(session: AsyncSession, pid: int) -> list[str]:
    """The file ids the person's answers, baselines and practices name."""
    answers = await session.scalars(
        select(Answer.file_id).where(Answer.person_id == pid, Answer.file_id.is_not(None))
    )
    baselines = await session.scalars(
        select(Inquiry.baseline_file_id).where(
            Inquiry.person_id == pid, Inquiry.baseline_file_id.is_not(None)
        )
    )
    practices = await session.scalars(select(Practice.content).where(Practice.author_id == pid))
    photos = [p for c in practices for p in (c or {}).get("evidence_photos") or []]
    return [*answers, *baselines, *photos]


async def _published_photos(session: AsyncSession, pid: int) -> set[str]:
    """The evidence photos of the person's published practices (they stay published)."""
    contents = await session.scalars(
        select(Practice.content).where(
            Practice.author_id == pid, Practice.status == PracticeStatus.published
        )
    )
    return {p for c in contents for p in (c or {}).get("evidence_photos") or []}


async def export_person_data(
    session: AsyncSession, *, person: Person, media_dir: Path
) -> dict[str, Any]:
    """Everything stored about ``person``, as JSON-ready data.

    Every row that names the person (by a person id column, one of their identities'
    addresses or their actor name in the audit log) is here, with every column but
    secrets (a token's hash); ``files`` lists the files of the media store their rows
    name (id, type, size).
    """
    pid = person.id
    assert pid is not None
    practice_ids = select(Practice.id).where(Practice.author_id == pid)

    async def rows(
        model: type[SQLModel], where: Any, *, leave_out: tuple[str, ...] = ()
    ) -> list[dict[str, Any]]:
        found = await session.scalars(select(model).where(where).order_by(model.id))
        return [_plain(row, leave_out=leave_out) for row in found]

    memberships = await session.execute(
        select(Membership, Circle)
        .join(Circle, Circle.id == Membership.circle_id)
        .where(Membership.person_id == pid)
        .order_by(Membership.id)
    )
    identities = list(
        await session.scalars(
            select(Identity).where(Identity.person_id == pid).order_by(Identity.id)
        )
    )
    return {
        "person": _plain(person),
        "identities": [_plain(identity) for identity in identities],
        "identity_links": await rows(
            IdentityLink, IdentityLink.person_id == pid, leave_out=("code_hash",)
        ),
        "memberships": [
            {**_plain(m), "circle": circle.name, "country": circle.country}
            for m, circle in memberships.all()
        ],
        "inquiries": await rows(Inquiry, Inquiry.person_id == pid),
        "checkins": await rows(CheckIn, CheckIn.person_id == pid),
        "flow_runs": await rows(FlowRun, FlowRun.person_id == pid),
        "answers": await rows(Answer, Answer.person_id == pid),
        "reflections": await rows(Reflection, Reflection.person_id == pid),
        "meetings_created": await rows(Meeting, Meeting.created_by_id == pid),
        "rsvps": await rows(Rsvp, Rsvp.person_id == pid),
        "session_rsvps": await rows(SessionRsvp, SessionRsvp.person_id == pid),
        "practices": await rows(Practice, Practice.author_id == pid),
        "practice_versions": await rows(
            PracticeVersion, PracticeVersion.practice_id.in_(practice_ids)
        ),
        "adoptions": await rows(Adoption, Adoption.person_id == pid),
        "peer_questions": await rows(PeerQuestion, PeerQuestion.asker_id == pid),
        "peer_questions_received": await rows(PeerQuestionCopy, PeerQuestionCopy.person_id == pid),
        "peer_answers": await rows(PeerAnswer, PeerAnswer.answerer_id == pid),
        "partnerships": await rows(
            Partnership, or_(Partnership.requester_id == pid, Partnership.partner_id == pid)
        ),
        "partner_messages": await rows(PartnerMessage, PartnerMessage.sender_id == pid),
        "co_facilitation_invitations": await rows(CoFacilitation, CoFacilitation.person_id == pid),
        "co_facilitation_invitations_sent": await rows(
            CoFacilitation, CoFacilitation.inviter_id == pid
        ),
        "facilitator_checkins": await rows(FacilitatorCheckIn, FacilitatorCheckIn.person_id == pid),
        "deliveries": await rows(Delivery, Delivery.person_id == pid),
        "school_years": await yearbook.export(session, person_id=pid),
        "messages": await rows(Outbox, _addressed_to(identities)),
        "api_tokens": await rows(ApiToken, ApiToken.person_id == pid, leave_out=("token_hash",)),
        "audit_entries": await rows(AuditLog, _audit_about(pid, practice_ids)),
        "files": [asdict(f) for f in media.listed(media_dir, await _files_of(session, pid))],
    }


async def forget_person(
    session: AsyncSession, *, person: Person, now: datetime, media_dir: Path | None
) -> None:
    """Erase the person's personal data and answers; anonymous counts stay.

    What remains is the refusal record: the person's row with every personal column
    emptied (consent refused, ``forgotten_at`` set; kept are only the interface language,
    for the goodbye, and when the row was created), and one ``person.forget`` audit entry
    that points at that row and names no one.

    - Identities: every (channel, address) of theirs is deleted; if they write again, they
      are someone new.
    - Messages: every outbox row addressed to one of their identities is deleted, whatever
      its state, so a pending one is never sent and a sent one leaves no text behind.
      Idempotency keys name only a message's purpose, never a person, and are unique per
      address, so their rows (and nothing else) go and everybody else's dedupe stays. Other people's
      messages that name them (a facilitator's digest, a practice card's byline) lose the
      lines quoting them, and their name becomes "…" elsewhere in the text.
    - Check-ins stay as anonymous rows (answered, missed or skipped, without reasons) so a
      circle's response rates do not change in the past; they move to a new anonymous row,
      so they no longer carry the person's id.
    - Published practices stay in the repository without an author, older versions or
      review comment; unpublished ones are deleted with their versions.
    - School years: their rows of every year go, and their line (and unpublished
      practices) leave every closed year's frozen summary; its weekly numbers stay.
    - Questions they asked their peers go for everyone (the copies, the answers and the
      queued or sent messages that carry them), and so do their answers to others'.
    - Messages they wrote to partners go (with the rows that carried them, and the requests
      and introductions that named them); their active partnerships end, and the partner
      is told without their name; requests not answered yet are withdrawn.
    - Their invitations to co-facilitate and their monthly facilitator check-ins are
      deleted; invitations they sent keep no trace of them.
    - Audit entries they made keep the action but name :data:`FORGOTTEN_ACTOR`.
    - Files of the media store (in ``media_dir``) that their rows name are deleted, but
      a published practice's evidence photos. They go before the transaction commits:
      if it then fails, the person's rows name files that are gone and are erased on
      the next try.
    """
    pid, name = person.id, person.display_name
    assert pid is not None
    files = set(await _files_of(session, pid)) - await _published_photos(session, pid)
    identities = list(await session.scalars(select(Identity).where(Identity.person_id == pid)))
    deliveries = select(Delivery.outbox_id).where(
        Delivery.person_id == pid, Delivery.outbox_id.is_not(None)
    )
    to_them = or_(Outbox.id.in_(deliveries), _addressed_to(identities))
    await session.execute(delete(Outbox).where(to_them))
    await peers.forget(session, person_id=pid)
    await yearbook.forget(session, person_id=pid)
    await partnerships.forget(session, person_id=pid, now=now)
    for channel in (Channel.telegram, Channel.whatsapp):
        await forget_sender(
            session,
            channel=channel,
            addresses=[i.address for i in identities if i.channel is channel],
        )
    for model, column in (
        (Identity, Identity.person_id),
        (IdentityLink, IdentityLink.person_id),
        (Delivery, Delivery.person_id),
        (Answer, Answer.person_id),
        (Reflection, Reflection.person_id),
        (Rsvp, Rsvp.person_id),
        (SessionRsvp, SessionRsvp.person_id),
        (Adoption, Adoption.person_id),
        (FlowRun, FlowRun.person_id),
        (Membership, Membership.person_id),
        (CoFacilitation, CoFacilitation.person_id),
        (FacilitatorCheckIn, FacilitatorCheckIn.person_id),
    ):
        await session.execute(delete(model).where(column == pid))
    await _forget_practices(session, pid)
    await _anonymise_checkins(session, pid, now)
    await session.execute(delete(Inquiry).where(Inquiry.person_id == pid))
    await session.execute(
        update(Meeting).where(Meeting.created_by_id == pid).values(created_by_id=None)
    )
    tokens = select(ApiToken.id).where(ApiToken.person_id == pid)
    await session.execute(delete(WebSession).where(WebSession.token_id.in_(tokens)))
    await session.execute(update(ApiToken).where(ApiToken.person_id == pid).values(person_id=None))
    await session.execute(
        update(AuditLog).where(AuditLog.actor == f"person:{pid}").values(actor=FORGOTTEN_ACTOR)
    )
    await session.execute(
        update(CoFacilitation).where(CoFacilitation.inviter_id == pid).values(inviter_id=None)
    )
    await session.execute(
        update(CoFacilitation)
        .where(CoFacilitation.invited_by == f"person:{pid}")
        .values(invited_by=FORGOTTEN_ACTOR)
    )
    await session.execute(
        update(AuditLog)
        .where(AuditLog.target_type == "person", AuditLog.target_id == pid)
        .values(target_id=None)
    )
    if name and len(name.strip()) > 1:
        await _scrub_name(session, Outbox, Outbox.payload, name.strip())
        await _scrub_name(session, AuditLog, AuditLog.detail, name.strip())
    person.display_name = person.subjects = person.grade_level = None
    person.consent, person.consent_at = Consent.refused, None
    person.paused_until = None
    person.timezone, person.practice_digest = "UTC", True
    person.peer_questions = person.partner_proposals = True
    person.forgotten_at = now
    await record_audit(
        session,
        now=now,
        actor=FORGOTTEN_ACTOR,
        action="person.forget",
        target_type="person",
        target_id=pid,
    )
    await session.flush()
    if media_dir is not None:
        media.delete(media_dir, files)


async def _forget_practices(session: AsyncSession, pid: int) -> None:
    """Delete unpublished practices; published ones lose their author and history."""
    theirs = select(Practice.id).where(Practice.author_id == pid)
    unpublished = theirs.where(Practice.status != PracticeStatus.published)
    await session.execute(delete(PracticeVersion).where(PracticeVersion.practice_id.in_(theirs)))
    for model, column in (
        (Adoption, Adoption.practice_id),
        (PracticeShare, PracticeShare.practice_id),
    ):
        await session.execute(delete(model).where(column.in_(unpublished)))
    await session.execute(
        delete(Practice).where(
            Practice.author_id == pid, Practice.status != PracticeStatus.published
        )
    )
    await session.execute(
        update(Practice)
        .where(Practice.author_id == pid)
        .values(author_id=None, author_visible=False, review_comment=None, inquiry_id=None)
    )
    await session.execute(
        update(PracticeVersion)
        .where(PracticeVersion.edited_by == f"person:{pid}")
        .values(edited_by=FORGOTTEN_ACTOR)
    )


async def _anonymise_checkins(session: AsyncSession, pid: int, now: datetime) -> None:
    """Move the person's check-ins, without reasons, to a new row that is no one."""
    if await session.scalar(select(CheckIn.id).where(CheckIn.person_id == pid).limit(1)) is None:
        return
    nobody = Person(consent=Consent.refused, forgotten_at=now, created_at=now)
    session.add(nobody)
    await session.flush()
    await session.execute(
        update(CheckIn)
        .where(CheckIn.person_id == pid)
        .values(person_id=nobody.id, skip_reason=None, inquiry_id=None)
    )


async def _scrub_name(session: AsyncSession, model: Any, column: Any, name: str) -> None:
    """Take ``name`` out of a JSON column wherever it appears (other people's messages)."""
    as_text = cast(column, Text)
    forms = {name, json.dumps(name)[1:-1]}  # as written, and as stored with \\u escapes
    mentions = or_(*(as_text.contains(form, autoescape=True) for form in forms))
    found = await session.execute(select(model.id, column).where(mentions))
    for row_id, value in found.all():
        await session.execute(
            update(model).where(model.id == row_id).values({column.key: _without(value, name)})
        )


def _without(value: Any, name: str) -> Any:
    """``value`` with lines that quote ``name`` dropped and other mentions replaced."""
    if isinstance(value, dict):
        return {key: _without(item, name) for key, item in value.items()}
    if isinstance(value, list):
        # A queued event's text is a list of parts, one line each: a quoting line goes.
        kept = [(item, _without(item, name)) for item in value]
        return [new for old, new in kept if not (isinstance(old, str) and old and not new)]
    if not isinstance(value, str):
        return value
    escaped = re.escape(name)
    quoted = re.compile(rf"^\W*{escaped}\s*:")
    mention = re.compile(rf"(?<!\w){escaped}(?!\w)")
    lines = [line for line in value.split("\n") if not quoted.match(line)]
    return mention.sub(NAME_GONE, "\n".join(lines))
