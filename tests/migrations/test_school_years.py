"""Migration 0022 gives every existing circle its first school year, with its members."""

from __future__ import annotations

from sqlalchemy import text

from circles.db import create_engine
from circles.migrate import downgrade, upgrade


async def test_existing_circles_get_their_first_year_with_their_members(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url)
    try:
        await upgrade(engine, "0021")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO circle (name, country, language, timezone, cadence,"
                    " checkin_weekday, checkin_time, days_before_meeting, first_nudge_hours,"
                    " second_nudge_hours, quiet_from, quiet_until, share_every_days, demo,"
                    " created_at) VALUES ('Seoul 1', 'KR', 'ko', 'Asia/Seoul', 'weekly', 2,"
                    " '16:00:00', 3, 24, 72, '21:00:00', '07:00:00', 14, false,"
                    " '2026-09-01 00:00:00+00')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO person (language, timezone, consent, practice_digest,"
                    " peer_questions, partner_proposals, created_at) VALUES ('ko',"
                    " 'Asia/Seoul', 'given', true, true, true, '2026-09-01 00:00:00+00')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO membership (person_id, circle_id, role, joined_at)"
                    " VALUES (1, 1, 'teacher', '2026-09-02 00:00:00+00')"
                )
            )
        await upgrade(engine)
        async with engine.connect() as connection:
            year = (
                await connection.execute(
                    text("SELECT id, label, starts_on, ends_on, status FROM school_year")
                )
            ).one()
            members = (
                await connection.execute(
                    text("SELECT year_id, person_id, role, choice FROM school_year_member")
                )
            ).all()
        assert (year.label, str(year.starts_on), str(year.ends_on), year.status) == (
            "2026–27",
            "2026-09-01",
            "2027-08-31",
            "open",
        )
        assert [tuple(m) for m in members] == [(year.id, 1, "teacher", None)]

        await downgrade(engine, "0021")  # and back, keeping the circle
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT name FROM circle"))).scalar() == "Seoul 1"
    finally:
        await engine.dispose()
