"""An operator closes a circle's school year and opens the next from the command line;
bad input gets one line."""

from __future__ import annotations

from sqlalchemy import select
from support.seeds import query

from circles.models import AuditLog, SchoolYear


def _accra(cli) -> None:
    created = cli(
        "circle", "create", "--name", "Accra 1", "--country", "GH", "--language", "en",
        "--timezone", "Africa/Accra",
    )  # fmt: skip
    assert created.exit_code == 0, created.output


def _open(cli, *more: str):
    return cli(
        "year", "open", "--circle", "Accra 1", "--label", "2099–00",
        "--start", "2099-09-01", "--end", "2100-07-14", *more,
    )  # fmt: skip


def test_close_then_open_the_next_year(cli, database_url: str) -> None:
    _accra(cli)
    [first] = cli("year", "list", "--circle", "Accra 1").output.strip().splitlines()
    assert first.split("\t")[4] == "open"

    closed = cli("year", "close", "--circle", "Accra 1")
    assert closed.exit_code == 0, closed.output
    assert "0 member(s) told their questions closed." in closed.output
    opened = _open(cli, "--invite", "teacher:4", "--invite", "facilitator")
    assert opened.exit_code == 0, opened.output
    assert opened.output.count("Invite code") == 2

    listed = cli("year", "list", "--circle", "1").output.strip().splitlines()
    assert listed[0].split("\t")[1:] == [
        "2099–00",
        "2099-09-01",
        "2100-07-14",
        "open",
    ]
    assert listed[1].split("\t")[4] == "closed"
    assert query(
        database_url, select(SchoolYear.snapshot).where(SchoolYear.label == "2099–00")
    ) == [(None,)]
    actions = query(
        database_url, select(AuditLog.action).where(AuditLog.target_type == "school_year")
    )
    assert sorted(a for (a,) in actions) == ["year.close", "year.open"]


def test_bad_years_are_refused_in_one_line(cli) -> None:
    _accra(cli)
    still_open = _open(cli)
    assert still_open.exit_code == 2
    assert still_open.output.strip() == (
        "Error: This circle's school year is still open; close it first."
    )
    assert cli("year", "close", "--circle", "Accra 1").exit_code == 0
    twice = cli("year", "close", "--circle", "Accra 1")
    assert (twice.exit_code, twice.output.strip()) == (
        2,
        "Error: This circle has no open school year.",
    )
    reversed_dates = cli(
        "year", "open", "--circle", "Accra 1", "--label", "2099–00",
        "--start", "2100-07-14", "--end", "2099-09-01",
    )  # fmt: skip
    assert reversed_dates.exit_code == 2
    assert reversed_dates.output.strip() == (
        "Error: The school year must start before it ends (2100-07-14 is not before 2099-09-01)."
    )
    strangers = _open(cli, "--keep", "41,42")
    assert strangers.output.strip() == "Error: These people are not members of the circle: 41, 42."
    bad_keep = _open(cli, "--keep", "some")
    assert bad_keep.exit_code == 2 and "use all, none or person ids" in bad_keep.output
    bad_holiday = _open(cli, "--holiday", "2099-12-20")
    assert bad_holiday.exit_code == 2 and "FROM:TO" in bad_holiday.output
    bad_invite = _open(cli, "--invite", "pilot:3")
    assert bad_invite.exit_code == 2 and "ROLE[:USES]" in bad_invite.output
    unknown = cli("year", "close", "--circle", "Kumasi 9")
    assert unknown.exit_code == 2 and "no circle named Kumasi 9" in unknown.output
    # Nothing half-done: the refused attempts opened no year.
    listed = cli("year", "list", "--circle", "Accra 1").output.strip().splitlines()
    assert len(listed) == 1
