"""Ids carried in button data and commands, read safely.

Button data comes from the person's client, which may send anything (a modified
Telegram client, the simulator's form). ``str.isdigit()`` accepts ``²`` and other
Unicode digits that ``int()`` then refuses, and a number past the id columns (``integer``
on PostgreSQL: signed 32 bits; SQLite allows 64) makes the query fail; so every id is
read here, and anything that is not a plain id is treated like an unknown one: ``None``,
never an exception.
"""

from __future__ import annotations

import re

#: The largest id every database's id columns hold (PostgreSQL's ``integer``), the same
#: bound the API's paths and cursors use.
from circles.services.pagination import MAX_ID

#: The largest number anything else in button data may be (compared in Python only).
MAX_NUMBER = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(text: str | None, *, limit: int = MAX_ID) -> int | None:
    """The id written in ``text`` (ASCII digits, 0 … ``limit``), else None."""
    if text is None or _ASCII_DIGITS.fullmatch(text) is None:
        return None
    value = int(text)
    return value if value <= limit else None
