"""Two requests open a circle's next year at once: the second is a 409, not a crash."""

from __future__ import annotations

from datetime import date

import pytest
from support.places import add_circle

from circles.clock import FakeClock
from circles.db import SessionMaker, transaction
from circles.errors import Conflict
from circles.services import years


async def test_a_second_open_year_at_the_same_moment_is_a_conflict(
    sessions: SessionMaker, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with transaction(sessions) as session:
        circle = await add_circle(session, "Accra 1", now=clock.now())

    async def nothing_open(*_args, **_kwargs):
        return None  # as if the other request's year were not committed yet

    monkeypatch.setattr(years, "open_year_of", nothing_open)
    with pytest.raises(Conflict) as refused:
        async with transaction(sessions) as session:
            await years.open_year(
                session,
                circle=await session.get_one(type(circle), circle.id),
                label="2027–28",
                starts_on=date(2027, 9, 13),
                ends_on=date(2028, 7, 14),
                actor="test",
                now=clock.now(),
            )
    assert refused.value.message == years.STILL_OPEN
    async with sessions() as session:
        assert [y.label for y in await years.list_years(session, circle=circle)] == ["2026–27"]
