"""Operators get one clear line for a bad setting, and the defaults DESIGN.md promises."""

from __future__ import annotations

import pytest

from circles.settings import Settings, SettingsError, load_settings


def test_defaults_match_the_documented_contract() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite+aiosqlite:///./circles.db"
    assert settings.telegram_token is None
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert (settings.api_host, settings.api_port) == ("127.0.0.1", 8000)
    assert (settings.default_language, settings.default_timezone) == ("en", "UTC")


def test_plain_postgresql_url_is_accepted_and_made_async(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIRCLES_DATABASE_URL", "postgresql://teacher:pw@db.example:5432/circles")
    settings = load_settings()
    assert settings.database_url == "postgresql+asyncpg://teacher:pw@db.example:5432/circles"


def test_settings_are_read_from_a_dotenv_file(tmp_path, monkeypatch) -> None:
    (tmp_path / ".env").write_text("CIRCLES_DEFAULT_LANGUAGE=pt-BR\nCIRCLES_API_PORT=9001\n")
    settings = load_settings()
    assert settings.default_language == "pt_BR"
    assert settings.api_port == 9001


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("CIRCLES_DATABASE_URL", "not a url::", "CIRCLES_DATABASE_URL: cannot parse"),
        ("CIRCLES_DATABASE_URL", "mysql://x/y", "CIRCLES_DATABASE_URL: unsupported database"),
        ("CIRCLES_DEFAULT_TIMEZONE", "Mars/Olympus", "CIRCLES_DEFAULT_TIMEZONE: unknown timezone"),
        ("CIRCLES_DEFAULT_LANGUAGE", "tlh", "CIRCLES_DEFAULT_LANGUAGE: unsupported language"),
        ("CIRCLES_API_PORT", "99999", "CIRCLES_API_PORT:"),
        ("CIRCLES_TELEGRAM_API_URL", "api.telegram.org", "CIRCLES_TELEGRAM_API_URL: expected"),
        ("CIRCLES_WEBHOOK_URL", "http://bot.example.org/hook", "CIRCLES_WEBHOOK_URL: Telegram"),
        (
            "CIRCLES_WEBHOOK_URL",
            "https://bot.example.org/hook",
            "CIRCLES_WEBHOOK_SECRET: required when CIRCLES_WEBHOOK_URL is set",
        ),
    ],
)
def test_a_bad_value_names_the_variable_in_one_line(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_an_empty_token_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIRCLES_TELEGRAM_TOKEN", "  ")
    assert load_settings().telegram_token is None


def test_the_token_never_shows_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIRCLES_TELEGRAM_TOKEN", "123:SECRET")
    settings = load_settings()
    assert "SECRET" not in repr(settings)
    assert settings.telegram_token is not None
    assert settings.telegram_token.get_secret_value() == "123:SECRET"


@pytest.mark.parametrize(
    ("host", "variable", "on"),
    [
        ("127.0.0.1", None, True),  # `make run`: on by default
        ("localhost", None, True),
        ("::1", None, True),
        ("0.0.0.0", None, False),  # the Docker image: off unless asked for
        ("192.0.2.10", None, False),
        ("0.0.0.0", "true", True),
        ("127.0.0.1", "false", False),
        ("0.0.0.0", "", False),
    ],
)
def test_the_simulator_is_on_by_default_only_on_a_loopback_address(
    monkeypatch: pytest.MonkeyPatch, host: str, variable: str | None, on: bool
) -> None:
    monkeypatch.setenv("CIRCLES_API_HOST", host)
    if variable is not None:
        monkeypatch.setenv("CIRCLES_SIMULATOR", variable)
    assert load_settings().simulator is on
