"""Domain errors: services raise these; each door maps them to its own answer."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain was broken.

    ``message`` is an untranslated message id (marked with ``N_``) and ``params`` its
    named placeholders, so the bot can translate it for the reader and the API can put
    it into a problem document.
    """

    status = 400

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class NotFound(DomainError):
    """The thing asked for does not exist (or the caller may not know it does)."""

    status = 404


class Forbidden(DomainError):
    """The caller may not do this."""

    status = 403


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate, a closed question)."""

    status = 409


class InvalidTransition(Conflict):
    """A state machine (inquiry phase, practice status) cannot go there from where it is."""


class InvalidAnswer(DomainError):
    """An answer or input value is not acceptable."""

    status = 422


class Unauthorized(DomainError):
    """The caller did not say who they are, or their credentials are not valid (any more)."""

    status = 401
