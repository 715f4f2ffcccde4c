"""An operator sets up circles, invites and tokens from the command line."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from support.seeds import query

from circles.models import (
    Answer,
    ApiToken,
    CheckIn,
    Circle,
    Invite,
    Membership,
    Practice,
    PracticeStatus,
)
from circles.services.tokens import hash_token


def _circle_create(
    *options: str,
    name: str = "X",
    country: str = "GH",
    language: str = "en",
    timezone: str = "UTC",
) -> tuple[str, ...]:
    """The arguments of ``circles circle create`` with its four required options."""
    return (
        "circle",
        "create",
        "--name",
        name,
        "--country",
        country,
        "--language",
        language,
        "--timezone",
        timezone,
        *options,
    )


def test_create_a_circle_then_an_invite_without_a_bot_token(cli, database_url: str) -> None:
    created = cli(
        *_circle_create(
            "--day", "wed", "--time", "15:30", name="Accra 1", country="gh", timezone="Africa/Accra"
        )
    )
    assert created.exit_code == 0, created.output
    assert "Accra 1" in created.stdout
    [(circle,)] = query(database_url, select(Circle))
    assert (circle.country, circle.checkin_weekday, str(circle.checkin_time)) == (
        "GH",
        2,
        "15:30:00",
    )

    invited = cli("invite", "create", "--circle", "Accra 1", "--role", "teacher")
    assert invited.exit_code == 0, invited.output
    code = re.search(r"Invite code: (\S+)", invited.stdout).group(1)
    assert f"https://t.me/<bot username>?start={code}" in invited.stdout
    assert f"/start {code}" in invited.stdout
    [(invite,)] = query(database_url, select(Invite))
    assert (invite.code, invite.max_uses, invite.role.value) == (code, 10, "teacher")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (_circle_create(country="ZZ"), "not a two-letter country code"),
        (_circle_create(timezone="Africa/Atlantis"), "not a known timezone"),
        (_circle_create("--day", "someday"), "mon, tue"),
        (_circle_create("--time", "25:00"), "HH:MM"),
        (
            ("invite", "create", "--circle", "Nowhere", "--role", "teacher"),
            "There is no circle named Nowhere",
        ),
        (("invite", "create", "--circle", "Nowhere", "--role", "headteacher"), "headteacher"),
        (("token", "create", "--role", "facilitator"), "need a circle"),
        (("token", "create", "--role", "admin", "--country", "BR"), "coordinator"),
    ],
)
def test_bad_arguments_get_a_clear_message_and_exit_2(cli, args, message) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.output


def test_a_token_is_printed_once_and_stored_as_a_hash(cli, database_url: str) -> None:
    cli(*_circle_create(name="Seoul 1", country="KR", language="ko", timezone="Asia/Seoul"))
    result = cli(
        "token", "create", "--role", "facilitator", "--circle", "Seoul 1", "--name", "Min-ji"
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("lc_") and len(secret) > 40
    [(token,)] = query(database_url, select(ApiToken))
    assert token.token_hash == hash_token(secret)
    assert secret not in (token.prefix, token.name)


def test_demo_seeds_a_circle_with_weeks_of_answers_once(cli, database_url: str) -> None:
    first = cli("demo")
    assert first.exit_code == 0, first.output
    assert "13 members" in first.stdout
    counts = query(
        database_url,
        select(
            select(func.count()).select_from(Membership).scalar_subquery(),
            select(func.count()).select_from(CheckIn).scalar_subquery(),
            select(func.count()).select_from(Answer).scalar_subquery(),
        ),
    )[0]
    # 13 in the demo circle, 6 in its partner circle in Ghana.
    assert counts[0] == 13 + 6 and counts[1] == 60 and counts[2] > 200
    assert "Created 'Demo circle (Ghana)', whose published practices travel to it." in first.stdout
    practices = query(database_url, select(Practice.status).order_by(Practice.id))
    assert [row[0] for row in practices] == [
        PracticeStatus.published,
        PracticeStatus.in_review,
        PracticeStatus.published,
        PracticeStatus.published,
    ]
    again = cli("demo")
    assert again.exit_code == 0 and "already exists" in again.stdout
    assert query(database_url, select(func.count()).select_from(CheckIn))[0][0] == 60
    assert len(query(database_url, select(Practice.id))) == 4


def test_a_bad_setting_stops_with_one_line(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIRCLES_DEFAULT_TIMEZONE", "Mars/Olympus")
    result = cli("migrate")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "Error: CIRCLES_DEFAULT_TIMEZONE: unknown timezone 'Mars/Olympus'; "
        "use an IANA name such as Europe/Zurich"
    ]


def test_every_command_has_help(cli) -> None:
    for args in (
        ("--help",),
        ("run", "--help"),
        ("circle", "create", "--help"),
        ("invite", "create", "--help"),
        ("token", "create", "--help"),
        ("demo", "--help"),
        ("migrate", "--help"),
    ):
        result = cli(*args)
        assert result.exit_code == 0
        assert "Usage" in result.output
