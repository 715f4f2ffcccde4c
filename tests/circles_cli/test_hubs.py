"""An operator groups circles in hubs from the command line."""

from __future__ import annotations


def _circle(cli, name: str, country: str, timezone: str) -> None:
    created = cli(
        "circle", "create", "--name", name, "--country", country, "--language", "en",
        "--timezone", timezone,
    )  # fmt: skip
    assert created.exit_code == 0, created.output


def test_create_add_and_list_hubs(cli) -> None:
    _circle(cli, "Accra 1", "GH", "Africa/Accra")
    _circle(cli, "Abidjan 1", "CI", "Africa/Abidjan")
    created = cli("hub", "create", "--name", "West Africa")
    assert created.exit_code == 0, created.output
    assert created.output.strip() == "Hub 1 created: West Africa (regional)"
    national = cli("hub", "create", "--name", "Ghana", "--kind", "national", "--country", "gh")
    assert national.exit_code == 0, national.output
    for hub, circle in (("West Africa", "Accra 1"), ("West Africa", "2"), ("Ghana", "Accra 1")):
        added = cli("hub", "add", "--hub", hub, "--circle", circle)
        assert added.exit_code == 0, added.output
    assert "West Africa (2 circles)" in added.output or "Ghana (1 circles)" in added.output
    listed = cli("hub", "list")
    assert listed.exit_code == 0, listed.output
    assert listed.output.strip().splitlines() == [
        "2\tGhana\tnational\tGH\t1",
        "1\tWest Africa\tregional\t\t2",
    ]


def test_bad_hubs_are_refused_in_one_line(cli) -> None:
    _circle(cli, "Abidjan 1", "CI", "Africa/Abidjan")
    assert cli("hub", "create", "--name", "Ghana", "--kind", "national").exit_code == 2
    cli("hub", "create", "--name", "Ghana", "--kind", "national", "--country", "GH")
    again = cli("hub", "create", "--name", "Ghana", "--kind", "national", "--country", "GH")
    assert again.exit_code == 2
    assert "Error: A hub called Ghana already exists." in again.output
    wrong = cli("hub", "add", "--hub", "Ghana", "--circle", "Abidjan 1")
    assert wrong.exit_code == 2
    assert "Error: A national hub holds circles of GH only." in wrong.output
    missing = cli("hub", "add", "--hub", "Nowhere", "--circle", "Abidjan 1")
    assert "Error: There is no hub called Nowhere." in missing.output
