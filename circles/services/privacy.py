"""A person's rights over their data: export everything (/mydata), erase it (/forgetme)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from circles.models import (
    Adoption,
    Answer,
    AuditLog,
    CheckIn,
    Circle,
    Consent,
    Delivery,
    FlowRun,
    Inquiry,
    Membership,
    Person,
    Practice,
    PracticeStatus,
    Reflection,
    Rsvp,
)


def _plain(row: SQLModel, *, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    data = row.model_dump(mode="json")
    for key in leave_out:
        data.pop(key, None)
    return data


async def export_person_data(session: AsyncSession, *, person: Person) -> dict[str, Any]:
    """Everything stored about ``person``, as JSON-ready data."""

    async def rows(model: type[SQLModel], column: Any) -> list[dict[str, Any]]:
        found = await session.scalars(select(model).where(column == person.id))
        return [_plain(row) for row in found]

    memberships = await session.execute(
        select(Membership, Circle)
        .join(Circle, Circle.id == Membership.circle_id)
        .where(Membership.person_id == person.id)
    )
    return {
        "person": _plain(person),
        "memberships": [
            {
                "circle": circle.name,
                "country": circle.country,
                "role": m.role.value,
                "joined_at": m.joined_at.isoformat(),
            }
            for m, circle in memberships.all()
        ],
        "inquiries": await rows(Inquiry, Inquiry.person_id),
        "checkins": await rows(CheckIn, CheckIn.person_id),
        "answers": await rows(Answer, Answer.person_id),
        "reflections": await rows(Reflection, Reflection.person_id),
        "rsvps": await rows(Rsvp, Rsvp.person_id),
        "practices": await rows(Practice, Practice.author_id),
        "adoptions": await rows(Adoption, Adoption.person_id),
    }


async def forget_person(session: AsyncSession, *, person: Person, now: datetime) -> None:
    """Erase the person's personal data and answers; anonymous counts stay.

    Check-ins remain as anonymous rows (answered, missed or skipped, without reasons) so a
    circle's response rates do not change in the past. Published practices stay in the
    repository without an author; unpublished drafts are deleted.
    """
    pid = person.id
    for model, column in (
        (Answer, Answer.person_id),
        (Reflection, Reflection.person_id),
        (Rsvp, Rsvp.person_id),
        (Delivery, Delivery.person_id),
        (FlowRun, FlowRun.person_id),
        (Membership, Membership.person_id),
    ):
        await session.execute(delete(model).where(column == pid))
    await session.execute(update(CheckIn).where(CheckIn.person_id == pid).values(skip_reason=None))
    await session.execute(
        delete(Practice).where(
            Practice.author_id == pid, Practice.status != PracticeStatus.published
        )
    )
    await session.execute(
        update(Practice)
        .where(Practice.author_id == pid)
        .values(author_id=None, author_visible=False)
    )
    await session.execute(delete(Inquiry).where(Inquiry.person_id == pid))
    person.telegram_user_id = None
    person.display_name = person.subjects = person.grade_level = None
    person.consent, person.consent_at = Consent.refused, None
    person.paused_until = person.unreachable_at = None
    person.forgotten_at = now
    session.add(
        AuditLog(
            at=now,
            actor=f"person:{pid}",
            action="person.forget",
            target_type="person",
            target_id=pid,
        )
    )
    await session.flush()
