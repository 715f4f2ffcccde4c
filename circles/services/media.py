"""The media store: photos, documents and voice notes people sent, kept as files.

An app that cannot fetch a file again later (WhatsApp: media ids expire) keeps what a
person sent here, in ``CIRCLES_MEDIA_DIR``, and the answer holds a file id
``media:<key>.<ending>`` where Telegram's answers hold Telegram's file id. The key is
derived from the message that carried the file, so a message handled again writes the
same file. Only the types listed in :data:`TYPES` are kept, each up to its size limit
(:data:`LIMITS`); anything else is refused with a :class:`MediaRefused` the door
translates. The file id is checked against a strict pattern before any path is built,
so no id can name a file outside the store.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Text, cast, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from circles.errors import InvalidAnswer
from circles.i18n import N_
from circles.models import Answer, Inquiry, Practice

PREFIX = "media:"

#: The content types kept, and the file ending each is stored with.
TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "audio/ogg": "ogg",
    "audio/opus": "opus",
    "audio/mp4": "m4a",
    "audio/mpeg": "mp3",
    "audio/amr": "amr",
}
_ENDINGS = {ending: mime for mime, ending in TYPES.items()}
MB = 1024 * 1024
#: The largest file of each family kept, in bytes (WhatsApp's own limits are 5 MB for
#: images, 16 MB for audio and 100 MB for documents).
LIMITS = {"image": 5 * MB, "audio": 16 * MB, "application": 20 * MB}
_FILE_ID = re.compile(r"media:([0-9a-f]{40})\.(" + "|".join(_ENDINGS) + r")")

UNSUPPORTED = N_(
    "I can keep photos (JPEG, PNG or WebP), PDF documents and voice notes, but not this "
    "kind of file. Please send it as one of those."
)
TOO_BIG = N_("This file is too big: I can keep files of at most {megabytes} MB.")


class MediaRefused(InvalidAnswer):
    """A file of a type that is not kept, or too big."""


@dataclass(frozen=True)
class StoredFile:
    """A kept file: its id, content type and size."""

    file_id: str
    content_type: str
    size: int


def limit_of(content_type: str) -> int:
    """The largest size kept for ``content_type``; refuses a type that is not kept."""
    mime = _base(content_type)
    if mime not in TYPES:
        raise MediaRefused(UNSUPPORTED)
    return LIMITS[mime.split("/")[0]]


def check(content_type: str, size: int | None) -> None:
    """Refuse a file of a type that is not kept, or bigger than its limit."""
    limit = limit_of(content_type)
    if size is not None and size > limit:
        raise MediaRefused(TOO_BIG, megabytes=limit // MB)


def file_id_for(source: str, content_type: str) -> str:
    """The file id of the file that ``source`` (an app and its message id) carried."""
    key = hashlib.sha256(source.encode()).hexdigest()[:40]
    return f"{PREFIX}{key}.{TYPES[_base(content_type)]}"


def is_stored(file_id: str | None) -> bool:
    """Whether ``file_id`` names a file of the store (not an app's own file id)."""
    return file_id is not None and _FILE_ID.fullmatch(file_id) is not None


def content_type_of(file_id: str) -> str:
    """The content type of a stored file, from its id."""
    return _ENDINGS[file_id.rsplit(".", 1)[1]]


async def is_named(session: AsyncSession, file_id: str | None) -> bool:
    """Whether an answer, a baseline or a practice names ``file_id``."""
    if file_id is None:
        return False
    named = union_all(
        select(Answer.id).where(Answer.file_id == file_id),
        select(Inquiry.id).where(Inquiry.baseline_file_id == file_id),
        select(Practice.id).where(cast(Practice.content, Text).contains(file_id, autoescape=True)),
    )
    return await session.scalar(select(named.subquery()).limit(1)) is not None


def save(directory: Path, *, file_id: str, content: bytes) -> None:
    """Write a file to the store (whole or not at all: written aside, then renamed)."""
    path = _path(directory, file_id)
    check(content_type_of(file_id), len(content))
    directory.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(content)
    os.replace(partial, path)


def read(directory: Path, file_id: str) -> bytes | None:
    """A stored file's content; None when it is not there (erased, or never kept)."""
    try:
        return _path(directory, file_id).read_bytes()
    except (FileNotFoundError, ValueError):
        return None


def listed(directory: Path, file_ids: Iterable[str | None]) -> list[StoredFile]:
    """The stored files among ``file_ids`` that are there, once each."""
    found = []
    for file_id in dict.fromkeys(f for f in file_ids if is_stored(f)):
        assert file_id is not None
        path = _path(directory, file_id)
        if path.is_file():
            found.append(StoredFile(file_id, content_type_of(file_id), path.stat().st_size))
    return found


def delete(directory: Path, file_ids: Iterable[str | None]) -> int:
    """Delete the stored files among ``file_ids``; returns how many were there."""
    deleted = 0
    for file_id in {f for f in file_ids if is_stored(f)}:
        assert file_id is not None
        try:
            _path(directory, file_id).unlink()
        except FileNotFoundError:
            continue
        deleted += 1
    return deleted


def _path(directory: Path, file_id: str) -> Path:
    found = _FILE_ID.fullmatch(file_id)
    if found is None:
        raise ValueError("not a file id of the media store")
    return directory / f"{found.group(1)}.{found.group(2)}"


def _base(content_type: str) -> str:
    """``audio/ogg; codecs=opus`` → ``audio/ogg``."""
    return content_type.split(";")[0].strip().lower()
