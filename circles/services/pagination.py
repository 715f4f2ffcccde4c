"""Cursor pagination: keyset on ids, behind an opaque cursor.

Every list is ordered by its rows' id (ascending, or descending for "newest first"
lists). A page's ``next_cursor`` is ``base64url("v1:<last id>")`` without padding; the
next page continues after that id. Cursors are opaque to clients: they may only pass
back what they were given. Keyset paging stays fast on the millionth row and never
repeats or skips a row when rows are added between pages.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from circles.errors import InvalidAnswer
from circles.i18n import N_

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_ID = 2**31 - 1
_BAD_CURSOR = N_("The cursor is not valid; pass the next_cursor of the previous page unchanged.")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results and the cursor of the next one (None on the last page)."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(last_id: int) -> str:
    """The opaque cursor that continues after ``last_id``."""
    return base64.urlsafe_b64encode(f"v1:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor continues after; an :class:`InvalidAnswer` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidAnswer(_BAD_CURSOR) from None
    version, _, number = raw.partition(":")
    if version != "v1" or not number.isdigit() or not 0 < int(number) <= MAX_ID:
        raise InvalidAnswer(_BAD_CURSOR)
    return int(number)


def check_limit(limit: int) -> int:
    """``limit`` if it is a page size we serve, else an :class:`InvalidAnswer`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidAnswer(N_("The limit must be between 1 and {most}."), most=MAX_LIMIT)
    return limit


def keyset(
    query: Select[Any],
    id_column: InstrumentedAttribute[Any],
    *,
    cursor: str | None,
    limit: int,
    newest_first: bool = False,
) -> Select[Any]:
    """``query`` ordered by ``id_column``, after the cursor, one row more than ``limit``."""
    check_limit(limit)
    if cursor is not None:
        after = decode_cursor(cursor)
        query = query.where(id_column < after if newest_first else id_column > after)
    order = id_column.desc() if newest_first else id_column.asc()
    return query.order_by(order).limit(limit + 1)


def page_of(rows: Sequence[T], *, limit: int, last_id: Any) -> Page[T]:
    """Cut the extra row fetched by :func:`keyset` and make the next cursor.

    ``last_id`` takes a row and returns its id.
    """
    items = list(rows[:limit])
    more = len(rows) > limit
    return Page(items, encode_cursor(last_id(items[-1])) if more and items else None)
