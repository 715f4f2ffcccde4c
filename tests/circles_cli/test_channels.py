"""An operator adds a bot per country from the command line; tokens stay encrypted."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text
from support.seeds import query

from circles.models import AuditLog, ChannelAccount, ChannelAssignment
from circles.secrets import Vault, generate_key

GH_TOKEN = "111111:gh-secret-token-AAAA"
CI_TOKEN = "222222:ci-secret-token-BBBB"
WA_TOKEN = "EAAG-whatsapp-secret-CCCC"
WA_SECRET = "app-secret-DDDD"


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    """The deployment's secrets key."""
    value = generate_key()
    monkeypatch.setenv("CIRCLES_SECRETS_KEY", value)
    return value


def _circles(cli) -> None:
    for name, country, zone in (
        ("Accra 1", "GH", "Africa/Accra"),
        ("Accra 2", "GH", "Africa/Accra"),
        ("Abidjan 1", "CI", "Africa/Abidjan"),
    ):
        created = cli(
            "circle", "create", "--name", name, "--country", country, "--language", "en",
            "--timezone", zone,
        )  # fmt: skip
        assert created.exit_code == 0, created.output


def _raw_values(database_url: str) -> str:
    """Every value of the account table as the database holds it."""
    return repr(query(database_url, text("SELECT * FROM channel_account")))


def test_each_circle_gets_its_own_bots_invite_link(cli, database_url: str, key: str) -> None:
    _circles(cli)
    gh = cli(
        "channel", "add", "--app", "telegram", "--name", "gh", "--token", GH_TOKEN,
        "--username", "circles_gh_bot", "--country", "GH",
    )  # fmt: skip
    assert gh.exit_code == 0, gh.output
    assert "https://t.me/circles_gh_bot" in gh.stdout
    ci = cli(
        "channel", "add", "--app", "telegram", "--name", "ci", "--token", CI_TOKEN,
        "--username", "circles_ci_bot", "--circle", "Abidjan 1",
    )  # fmt: skip
    assert ci.exit_code == 0, ci.output
    number = cli(
        "channel", "add", "--app", "whatsapp", "--name", "gh-wa", "--token", WA_TOKEN,
        "--number", "+233 20 000 0001", "--phone-number-id", "900001", "--app-secret", WA_SECRET,
        "--country", "gh",
    )  # fmt: skip
    assert number.exit_code == 0, number.output
    assert "https://wa.me/233200000001" in number.stdout

    accra = cli("invite", "create", "--circle", "Accra 1", "--role", "teacher")
    code = re.search(r"Invite code: (\S+)", accra.stdout).group(1)
    assert f"https://t.me/circles_gh_bot?start={code}" in accra.stdout
    assert f"https://wa.me/233200000001?text=JOIN%20{code}" in accra.stdout
    abidjan = cli("invite", "create", "--circle", "Abidjan 1", "--role", "teacher")
    code = re.search(r"Invite code: (\S+)", abidjan.stdout).group(1)
    assert f"https://t.me/circles_ci_bot?start={code}" in abidjan.stdout
    assert "wa.me" not in abidjan.stdout

    # A circle's own account wins over its country's.
    moved = cli("channel", "assign", "ci", "--circle", "Accra 2")
    assert moved.exit_code == 0, moved.output
    accra2 = cli("invite", "create", "--circle", "Accra 2", "--role", "teacher")
    assert "https://t.me/circles_ci_bot?start=" in accra2.stdout

    listed = cli("channel", "list")
    assert listed.exit_code == 0, listed.output
    lines = sorted(line.split("\t") for line in listed.stdout.strip().splitlines())
    assert [(line[0], line[1], line[3]) for line in lines] == [
        ("ci", "telegram", "circle 2, circle 3"),
        ("gh", "telegram", "GH"),
        ("gh-wa", "whatsapp", "GH"),
    ]
    for secret in (GH_TOKEN, CI_TOKEN, WA_TOKEN, WA_SECRET):
        assert secret not in listed.stdout
        assert secret not in _raw_values(database_url)
    actions = query(database_url, select(AuditLog.action).where(AuditLog.action.like("channel.%")))
    assert sorted(a for (a,) in actions).count("channel.add") == 3


def test_rotating_the_key_re_encrypts_every_token(
    cli, database_url: str, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    added = cli(
        "channel", "add", "--app", "telegram", "--name", "gh", "--token", GH_TOKEN,
        "--username", "circles_gh_bot",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    [(before,)] = query(database_url, select(ChannelAccount.token_encrypted))

    new = generate_key()
    monkeypatch.setenv("CIRCLES_SECRETS_KEY", f"{new},{key}")
    rotated = cli("channel", "rotate-key")
    assert rotated.exit_code == 0, rotated.output
    assert "Re-encrypted 1 account" in rotated.stdout
    [(after,)] = query(database_url, select(ChannelAccount.token_encrypted))
    assert after != before
    assert Vault(new).decrypt(after) == GH_TOKEN  # the old key is no longer needed

    monkeypatch.setenv("CIRCLES_SECRETS_KEY", generate_key())
    lost = cli("channel", "rotate-key")
    assert lost.exit_code == 2
    assert "cannot decrypt a stored token" in lost.output
    assert GH_TOKEN not in lost.output


def test_removing_an_account_gives_its_circles_back_to_the_default(
    cli, database_url: str, key: str
) -> None:
    _circles(cli)
    cli(
        "channel", "add", "--app", "telegram", "--name", "gh", "--token", GH_TOKEN,
        "--username", "circles_gh_bot", "--country", "GH",
    )  # fmt: skip
    removed = cli("channel", "remove", "gh")
    assert removed.exit_code == 0, removed.output
    assert query(database_url, select(ChannelAssignment.id)) == []
    invited = cli("invite", "create", "--circle", "Accra 1", "--role", "teacher")
    assert "https://t.me/<bot username>?start=" in invited.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--name", "Bad Name!", "--username", "a_bot"), "lower-case letters"),
        (("--name", "gh"), "needs the bot's username"),
        (("--name", "gh", "--username", "circles_gh_bot", "--country", "ZZ"), "not a country"),
        (("--name", "gh", "--username", "a_bot_x", "--circle", "Nowhere"), "Nowhere"),
    ],
)
def test_bad_accounts_are_refused_in_one_line(
    cli, database_url: str, key: str, args: tuple[str, ...], message: str
) -> None:
    base = ("channel", "add", "--app", "telegram", "--token", GH_TOKEN)
    if "--username" not in args:
        args = (*args, "--username", "")
    refused = cli(*base, *args)
    assert refused.exit_code == 2, refused.output
    assert message in refused.output
    assert GH_TOKEN not in refused.output
    assert query(database_url, select(ChannelAccount.id)) == []


def test_accounts_need_the_secrets_key_and_unique_names(
    cli, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CIRCLES_SECRETS_KEY", raising=False)
    args = ("channel", "add", "--app", "telegram", "--name", "gh", "--token", GH_TOKEN)
    no_key = cli(*args, "--username", "circles_gh_bot")
    assert no_key.exit_code == 2
    assert "CIRCLES_SECRETS_KEY is not set or not a valid key" in no_key.output

    monkeypatch.setenv("CIRCLES_SECRETS_KEY", generate_key())
    assert cli(*args, "--username", "circles_gh_bot").exit_code == 0
    twice = cli(*args, "--username", "circles_gh_bot")
    assert twice.exit_code == 2
    assert "already a channel account named gh" in twice.output
    unknown = cli("channel", "assign", "nope", "--country", "GH")
    assert unknown.exit_code == 2
    assert "no channel account named nope" in unknown.output
    both = cli("channel", "assign", "gh", "--country", "GH", "--circle", "1")
    assert both.exit_code == 2
