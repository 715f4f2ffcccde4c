"""Secrets at rest: the channel accounts' tokens, encrypted with ``CIRCLES_SECRETS_KEY``.

The setting holds one or more Fernet keys, comma-separated. The first encrypts; every one
decrypts, so a new key is put first, ``circles channel rotate-key`` re-encrypts every row
with it, and the old key can then be dropped (README, docs/deploy.md). Nothing here logs,
and no error message carries a secret.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from circles.settings import Settings


class SecretsError(Exception):
    """The key is missing or wrong; the message says what to do, without any secret."""


def generate_key() -> str:
    """A new Fernet key (for the deploy guide and the tests)."""
    return Fernet.generate_key().decode()


class Vault:
    """Encrypts with the first key, decrypts with any."""

    def __init__(self, keys: str) -> None:
        try:
            self._keys = MultiFernet(
                [Fernet(key.strip()) for key in keys.split(",") if key.strip()]
            )
        except ValueError:
            raise SecretsError(
                "CIRCLES_SECRETS_KEY: each key must be 32 url-safe base64-encoded bytes "
                "(make one with `circles channel new-key`)"
            ) from None

    def encrypt(self, secret: str) -> str:
        """``secret`` as a Fernet token (text)."""
        return self._keys.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        """The secret in ``token``; :class:`SecretsError` when no key opens it."""
        try:
            return self._keys.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretsError(
                "CIRCLES_SECRETS_KEY cannot decrypt a stored token: keep the old key after "
                "the new one until `circles channel rotate-key` has run"
            ) from None

    def rotate(self, token: str) -> str:
        """``token`` re-encrypted with the first key."""
        try:
            return self._keys.rotate(token.encode()).decode()
        except InvalidToken:
            raise SecretsError(
                "CIRCLES_SECRETS_KEY cannot decrypt a stored token: add the key it was "
                "encrypted with after the new one"
            ) from None


def vault(settings: Settings) -> Vault:
    """The vault of ``CIRCLES_SECRETS_KEY``; :class:`SecretsError` when it is unset."""
    if settings.secrets_key is None:
        raise SecretsError(
            "CIRCLES_SECRETS_KEY is not set: extra channel accounts need it "
            "(make one with `circles channel new-key`)"
        )
    return Vault(settings.secrets_key.get_secret_value())
