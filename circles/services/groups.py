"""A circle's group chats, one per channel (``/linkgroup``): meeting news is posted there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from circles.models import Channel, Circle, GroupLink


async def link_group(
    session: AsyncSession, *, circle_id: int, channel: Channel, address: str, now: datetime
) -> GroupLink:
    """Make ``address`` the circle's group on ``channel``.

    It replaces the circle's earlier group on that channel, and a group linked to another
    circle before moves to this one: a group belongs to one circle.
    """
    await session.execute(
        delete(GroupLink).where(
            (GroupLink.channel == channel)
            & ((GroupLink.address == address) | (GroupLink.circle_id == circle_id))
        )
    )
    link = GroupLink(circle_id=circle_id, channel=channel, address=address, created_at=now)
    session.add(link)
    await session.flush()
    return link


async def groups_of(session: AsyncSession, *, circle_id: int) -> list[GroupLink]:
    """The circle's linked groups, one per channel at most."""
    return list(
        await session.scalars(
            select(GroupLink).where(GroupLink.circle_id == circle_id).order_by(GroupLink.id)
        )
    )


async def circle_of_group(
    session: AsyncSession, *, channel: Channel, address: str
) -> Circle | None:
    """The circle a group chat is linked to, if any."""
    return await session.scalar(
        select(Circle)
        .join(GroupLink, GroupLink.circle_id == Circle.id)
        .where(GroupLink.channel == channel, GroupLink.address == address)
    )
