"""What a Graph API error code means for the message it stopped, at send time or in a
``failed`` status webhook.

Meta's codes: 131047 the 24-hour window is closed; 131026 the number cannot receive
(not on WhatsApp, an old app, not accepted the terms); 130429, 131048, 80007 and 4 the
number (or the app) sends too fast; 131056 too many messages to this one person;
131053 a media upload failed, and 1, 2, 131000 and 131016 a fault on Meta's side (try
again); 190 the access token is invalid or expired.
"""

from __future__ import annotations

from enum import StrEnum

OUTSIDE_WINDOW = 131047
CANNOT_RECEIVE = 131026
TOKEN = 190
NUMBER_THROTTLED = frozenset({4, 80007, 130429, 131048})
PERSON_THROTTLED = frozenset({131056})
TRY_AGAIN = frozenset({1, 2, 131000, 131016, 131053})


class Fate(StrEnum):
    """What becomes of a message WhatsApp refused or could not deliver."""

    #: Outside the 24-hour window: the message goes as its template (or waits).
    window = "window"
    #: The person cannot receive: the identity is unreachable.
    unreachable = "unreachable"
    #: The number sends too fast: everything slows down, the message is tried again.
    number_throttled = "number_throttled"
    #: Too many messages to this person: theirs wait, the message is tried again.
    person_throttled = "person_throttled"
    #: A fault on Meta's side: tried again with backoff.
    retry = "retry"
    #: The access token: nothing can be sent until it is replaced.
    token = "token"
    #: Anything else: the message failed.
    failed = "failed"


def fate(code: int | None, status: int = 400) -> Fate:
    """The fate of a message refused with Graph error ``code`` (HTTP ``status``, 0 when
    the API could not be reached; a status webhook has none)."""
    if code == OUTSIDE_WINDOW:
        return Fate.window
    if code == CANNOT_RECEIVE:
        return Fate.unreachable
    if code == TOKEN:
        return Fate.token
    if code in NUMBER_THROTTLED or status == 429:
        return Fate.number_throttled
    if code in PERSON_THROTTLED:
        return Fate.person_throttled
    if code in TRY_AGAIN or status == 0 or status >= 500:
        return Fate.retry
    return Fate.failed
