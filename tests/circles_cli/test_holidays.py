"""An operator sets school holidays from the command line, for a circle or a country."""

from __future__ import annotations

from sqlalchemy import select
from support.seeds import query

from circles.models import AuditLog, Holiday


def _accra(cli) -> None:
    created = cli(
        "circle", "create", "--name", "Accra 1", "--country", "GH", "--language", "en",
        "--timezone", "Africa/Accra",
    )  # fmt: skip
    assert created.exit_code == 0, created.output


def test_add_list_and_remove_a_circle_holiday(cli, database_url: str) -> None:
    _accra(cli)
    added = cli(
        "holiday", "add", "--circle", "Accra 1", "--from", "2030-12-21", "--to", "2031-01-04",
        "--name", "Christmas",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "2030-12-21 to 2031-01-04" in added.output
    by_id = cli("holiday", "add", "--circle", "1", "--from", "2030-10-05", "--to", "2030-10-09")
    assert by_id.exit_code == 0, by_id.output
    country = cli("holiday", "add", "--country", "gh", "--from", "2030-08-01", "--to", "2030-08-02")
    assert country.exit_code == 0, country.output

    listed = cli("holiday", "list", "--circle", "Accra 1")
    assert listed.exit_code == 0, listed.output
    rows = [line.split("\t") for line in listed.output.strip().splitlines()]
    assert [(r[1], r[3]) for r in rows] == [
        ("2030-08-01", "GH"),
        ("2030-10-05", "circle 1"),
        ("2030-12-21", "circle 1"),
    ]
    assert rows[2][4] == "Christmas"

    christmas = rows[2][0]
    removed = cli("holiday", "remove", christmas)
    assert removed.exit_code == 0, removed.output
    assert len(query(database_url, select(Holiday.id))) == 2
    actions = query(
        database_url,
        select(AuditLog.action, AuditLog.actor).where(AuditLog.target_type == "holiday"),
    )
    assert sorted(actions) == [("holiday.add", "cli")] * 3 + [("holiday.remove", "cli")]


def test_bad_holidays_are_refused_in_one_line(cli) -> None:
    _accra(cli)
    base = ("holiday", "add", "--circle", "Accra 1")
    reversed_range = cli(*base, "--from", "2030-10-09", "--to", "2030-10-05")
    assert reversed_range.exit_code == 2
    assert "cannot end (2030-10-05) before it starts (2030-10-09)" in reversed_range.output
    not_a_date = cli(*base, "--from", "9 October", "--to", "2030-10-05")
    assert not_a_date.exit_code == 2 and "YYYY-MM-DD" in not_a_date.output
    assert cli(*base, "--from", "2030-10-05", "--to", "2030-10-09").exit_code == 0
    overlap = cli(*base, "--from", "2030-10-08", "--to", "2030-10-12")
    assert overlap.exit_code == 2 and "overlap" in overlap.output
    nowhere = cli("holiday", "add", "--from", "2030-10-05", "--to", "2030-10-09")
    assert nowhere.exit_code == 2 and "--circle or --country" in nowhere.output
    unknown = cli("holiday", "list", "--circle", "Kumasi 9")
    assert unknown.exit_code == 2 and "no circle named Kumasi 9" in unknown.output
    missing = cli("holiday", "remove", "99")
    assert missing.exit_code == 2 and "no holiday with this id" in missing.output
