"""Typed settings read from ``CIRCLES_*`` environment variables and ``.env``."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

#: Languages with a complete catalog in ``locales/``; Ghana uses ``en``.
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "fr", "pt_BR", "es", "ko", "ms", "de", "it")
#: The messaging tiers Meta gives a WhatsApp number (people reached outside the window a day).
WHATSAPP_TIERS: tuple[int, ...] = (250, 2000, 10_000, 100_000)

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


class SettingsError(Exception):
    """A setting has a bad value; the message is one line naming the variable."""


def normalize_database_url(value: str) -> str:
    """Return ``value`` as an async SQLAlchemy URL (``postgresql://`` → asyncpg)."""
    try:
        url = make_url(value)
    except ArgumentError as exc:
        raise ValueError(f"cannot parse database URL {value!r}") from exc
    driver = _ASYNC_DRIVERS.get(url.drivername)
    if driver is None:
        supported = "sqlite+aiosqlite://, postgresql:// or postgresql+asyncpg://"
        raise ValueError(f"unsupported database {url.drivername!r}; use {supported}")
    return url.set(drivername=driver).render_as_string(hide_password=False)


def normalize_language(value: str) -> str | None:
    """Return the supported language closest to ``value`` (``pt-br`` → ``pt_BR``), or None."""
    wanted = value.replace("-", "_").strip()
    by_lower = {lang.lower(): lang for lang in SUPPORTED_LANGUAGES}
    if wanted.lower() in by_lower:
        return by_lower[wanted.lower()]
    base = wanted.split("_", 1)[0].lower()
    for lang in SUPPORTED_LANGUAGES:
        if lang.split("_", 1)[0].lower() == base:
            return lang
    return None


class Settings(BaseSettings):
    """Everything the product reads from its environment; see README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="CIRCLES_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite+aiosqlite:///./circles.db"
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    default_language: str = "en"
    default_timezone: str = "UTC"
    #: Key for the stable pseudonyms of research exports; unset → no pseudonymised exports.
    pseudonym_key: SecretStr | None = None
    #: Key that signs the web pages' session cookies; unset → a random key per process.
    web_secret: SecretStr | None = None
    #: Serve the chat simulator (/simulator), where anyone who reaches it can join a demo
    #: circle. Unset → on only when ``api_host`` is a loopback address; true/false force it.
    simulator: bool | None = None
    #: Serve the public repository (/practices): every published practice whose author
    #: chose "everyone", read-only, to anyone who reaches the API's port.
    public_repository: bool = False
    #: The largest request body read, in bytes: ``/v1`` JSON, the Telegram and WhatsApp
    #: webhooks and the web pages' plain forms. A longer body is refused with 413 while it
    #: streams, before the token is checked or anything is parsed (1 MiB by default).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    #: The largest multipart form of the web pages (the simulator's photo), in bytes,
    #: counting the whole form; refused with 413 the same way (10 MiB by default).
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    #: Seconds between two messages to one private chat (Telegram asks for about one);
    #: a local test emulator can take 0 so that end-to-end tests do not wait for it.
    telegram_chat_gap: float = Field(default=1.0, ge=0, le=60)
    #: WhatsApp Cloud API (the WhatsApp door, ``bot/handlers/whatsapp``): unset token → the
    #: door does not start. With a token, the phone number id, the app secret and the
    #: verify token are required (the webhook cannot be checked without them).
    whatsapp_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_api_url: str = "https://graph.facebook.com/v23.0"
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_business_account_id: str | None = None
    #: The number people write to, digits with the country code (``15551234567``), for
    #: the ``https://wa.me/<number>?text=JOIN%20<code>`` invite links.
    whatsapp_number: str | None = None
    #: Where photos, documents and voice notes people sent on WhatsApp are kept
    #: (``circles/services/media.py``); created when the first file comes.
    media_dir: Path = Path("media")
    #: The organisation that runs the bot, named where WhatsApp's opt-in rules ask (the
    #: consent on WhatsApp).
    organisation_name: str = Field(default="Learning Circles", min_length=1, max_length=80)
    #: Messages a second the WhatsApp number may send (Meta's default throughput is 80);
    #: bulk sends keep to 80 % of it, replies take the rest.
    whatsapp_rate: float = Field(default=80.0, gt=0, le=1000)
    #: The number's messaging tier: different people it may start a conversation with
    #: (a template outside the 24-hour window) in any 24 hours. New numbers start at 250;
    #: Meta raises it to 2000, 10000 and 100000 (and "unlimited": use 100000).
    whatsapp_tier: int = 250
    #: Seconds between two messages to one person on WhatsApp (Meta advises about six;
    #: replies may burst three at once); a local test fake can take 0 so that end-to-end
    #: tests do not wait for it, as ``telegram_chat_gap``.
    whatsapp_person_gap: float = Field(default=6.0, ge=0, le=60)
    #: Processes that plan a big weekly wave at once on PostgreSQL (``scheduler.jobs``
    #: ``open_wave``): about one per core the scheduler may use, leaving the database
    #: its share. 1 plans in the scheduler's own process; SQLite always does.
    wave_processes: int = Field(default=1, ge=1, le=64)
    #: Fernet keys (comma-separated, url-safe base64 of 32 bytes) that encrypt the extra
    #: channel accounts' tokens (``circles channel``): the first encrypts, every one
    #: decrypts; ``circles channel rotate-key`` re-encrypts with the first. Unset → no
    #: extra accounts can be added or used; the default account above still works.
    secrets_key: SecretStr | None = None
    #: Test-only: read the time from this file (see ``circles.testmode``) and run
    #: every scheduler sweep on SIGUSR1. Unset in production: the system clock is used.
    fake_clock_file: Path | None = None

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator(
        "telegram_token",
        "webhook_secret",
        "webhook_url",
        "pseudonym_key",
        "web_secret",
        "whatsapp_token",
        "whatsapp_phone_number_id",
        "whatsapp_app_secret",
        "whatsapp_verify_token",
        "whatsapp_business_account_id",
        "whatsapp_number",
        "secrets_key",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("Telegram delivers webhooks only to https:// URLs")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("use 1 to 256 letters, digits, _ or -")
        return value

    @field_validator("simulator", mode="before")
    @classmethod
    def _simulator_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _simulator_on_loopback(self) -> Settings:
        if self.simulator is None:
            self.simulator = is_loopback(self.api_host)
        return self

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("required when CIRCLES_WEBHOOK_URL is set")
        return self

    @model_validator(mode="after")
    def _whatsapp_complete(self) -> Settings:
        if self.whatsapp_token is None:
            return self
        for name in ("whatsapp_phone_number_id", "whatsapp_app_secret", "whatsapp_verify_token"):
            if getattr(self, name) is None:
                raise ValueError(
                    f"CIRCLES_{name.upper()}: required when CIRCLES_WHATSAPP_TOKEN is set"
                )
        return self

    @field_validator("whatsapp_tier")
    @classmethod
    def _whatsapp_tier(cls, value: int) -> int:
        if value not in WHATSAPP_TIERS:
            raise ValueError(f"use one of Meta's tiers: {', '.join(map(str, WHATSAPP_TIERS))}")
        return value

    @field_validator("whatsapp_number")
    @classmethod
    def _whatsapp_number(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = re.sub(r"[\s+()-]", "", value)
        if not re.fullmatch(r"[0-9]{6,15}", digits):
            raise ValueError("use the number's digits with its country code, e.g. 15551234567")
        return digits

    @property
    def whatsapp_configured(self) -> bool:
        """Whether the WhatsApp door runs (its token is set; the rest is then required)."""
        return self.whatsapp_token is not None

    @field_validator("telegram_api_url", "whatsapp_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        language = normalize_language(value)
        if language is None:
            raise ValueError(
                f"unsupported language {value!r}; choose one of {', '.join(SUPPORTED_LANGUAGES)}"
            )
        return language

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if not is_timezone(value):
            raise ValueError(f"unknown timezone {value!r}; use an IANA name such as Europe/Zurich")
        return value

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite."""
        return self.database_url.startswith("sqlite")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def is_timezone(name: str) -> bool:
    """Whether ``name`` is an IANA timezone known to ``zoneinfo``."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def load_settings(**overrides: object) -> Settings:
    """Read settings; raise :class:`SettingsError` with one line naming the bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        if not error["loc"] and message.startswith("CIRCLES_"):
            raise SettingsError(message) from None  # a rule between settings names them
        field = str(error["loc"][0]) if error["loc"] else "webhook_secret"
        raise SettingsError(f"CIRCLES_{field.upper()}: {message}") from None
