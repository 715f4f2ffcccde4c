"""A fake Telegram Bot API HTTP server for tests.

It runs a Starlette app with ``uvicorn`` inside the test's own event loop, bound to a free
port on 127.0.0.1, so that a real, unpatched python-telegram-bot ``Application`` can talk to it
over HTTP exactly as it talks to ``api.telegram.org``::

    async with FakeBotApi() as fake:
        app = (
            ApplicationBuilder()
            .token(fake.token)
            .base_url(f"{fake.base_url}/bot")
            .base_file_url(f"{fake.base_url}/file/bot")
            .build()
        )
        ...
        fake.user_message(FakeUser(42, "Ann"), "/start")   # queued for getUpdates
        messages = await fake.wait_for_messages(42, 1)

Conventions:

* ``ApiCall.method`` is the canonical camelCase name from the Bot API documentation
  (``"sendMessage"``) whatever case the client used; unknown methods keep the client's spelling.
* ``ApiCall.params`` holds the request parameters with JSON-encoded values decoded (ints, bools,
  ``reply_markup``, ``entities``, ``media``...). Free-text parameters (``text``, ``caption``,
  file ids, URLs...) are never JSON-decoded. Uploaded files are in ``ApiCall.files`` (field name
  -> :class:`UploadedFile`) and noted in ``params`` as ``"<upload name.ext, N bytes>"``.
* Stored messages (``sent_to``/``history``) are plain Bot API ``Message`` dicts. Unlike real
  Telegram, a bot message keeps *any* ``reply_markup`` the bot sent (reply keyboards too) so tests
  can inspect it; what is sent back over the wire only carries inline keyboards, like Telegram.
* Like Telegram, ``parse_mode`` (HTML, MarkdownV2, Markdown) is parsed: the stored text is the
  text the user sees, formatting goes to ``entities``; malformed markup is a 400
  ``Bad Request: can't parse entities: ...``. Leading/trailing whitespace is trimmed.
* Everything must be driven from the event loop the server runs in (not thread-safe); use one
  instance per event loop (e.g. a function-scoped fixture).

Notes for test writers:

* PTB ``.capitalize()``s error messages ("Bad Request: chat not found" -> "Chat not found"), so
  match them case-insensitively: ``pytest.raises(BadRequest, match=r"(?i)chat not found")``.
* PTB 22 warns (PTBDeprecationWarning) when ``RetryAfter.retry_after`` or media ``duration``
  attributes are read as ints; set ``PTB_TIMEDELTA=true`` to get ``timedelta``s without warnings.
* ``reply_text`` only quotes (sends ``reply_parameters``) in groups by default.
* A test that stops the fake while an app is still polling makes PTB log connection errors;
  shut the app down first (``updater.stop()``, ``app.stop()``, ``app.shutdown()``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import copy
import inspect
import itertools
import json
import logging
import re
import socket
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = [
    "ApiCall",
    "BotApiError",
    "FakeBotApi",
    "FakeUser",
    "UploadedFile",
    "parse_entities",
]

JSONDict = dict[str, Any]

_LOGGER = logging.getLogger(__name__)

#: Update types Telegram delivers when ``allowed_updates`` was never set (or set to ``[]``).
DEFAULT_ALLOWED_UPDATES: frozenset[str] = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)

# Parameters whose form values are free text / identifiers and must never be JSON-decoded.
_STRING_PARAMS: frozenset[str] = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "caption_parse_mode",
        "callback_query_id",
        "inline_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "ip_address",
        "description",
        "short_description",
        "name",
        "title",
        "action",
        "language_code",
        "file_id",
        "emoji",
        "first_name",
        "last_name",
        "phone_number",
        "vcard",
        "address",
        "foursquare_id",
        "foursquare_type",
        "google_place_id",
        "google_place_type",
        "business_connection_id",
        "question",
        "explanation",
        "performer",
        "message_effect_id",
        "photo",
        "document",
        "voice",
        "audio",
        "video",
        "animation",
        "sticker",
        "video_note",
        "thumbnail",
        "custom_title",
        "switch_pm_text",
        "switch_pm_parameter",
        "next_offset",
        "game_short_name",
    }
)

# Parameters that carry JSON objects/arrays (decoded even when sent as JSON strings in a JSON body).
_JSON_PARAMS: frozenset[str] = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "media",
        "commands",
        "scope",
        "allowed_updates",
        "reply_parameters",
        "link_preview_options",
        "results",
        "message_ids",
        "reaction",
        "options",
        "menu_button",
        "rights",
        "permissions",
    }
)

_BUTTON_ACTIONS: tuple[str, ...] = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

_MESSAGE_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_CHAT_NOT_FOUND = "Bad Request: chat not found"
_BLOCKED = "Forbidden: bot was blocked by the user"


# --------------------------------------------------------------------------------------------
# small public value types
# --------------------------------------------------------------------------------------------


@dataclass
class FakeUser:
    """A Telegram user that tests make act on the bot."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"

    def as_dict(self) -> JSONDict:
        """Return the Bot API ``User`` dict for this user."""
        data: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None:
            data["language_code"] = self.language_code
        return data

    def private_chat(self) -> JSONDict:
        """Return the Bot API ``Chat`` dict of this user's private chat with the bot."""
        return _private_chat_of(self.as_dict())


@dataclass
class UploadedFile:
    """A file part received in a ``multipart/form-data`` request."""

    field_name: str
    filename: str | None
    content_type: str | None
    content: bytes


@dataclass
class ApiCall:
    """One request the bot made to the fake Bot API."""

    method: str
    params: JSONDict
    files: dict[str, UploadedFile] = field(default_factory=dict)
    http_method: str = "POST"
    token: str = ""
    at: float = 0.0
    status: int | None = None
    response: JSONDict | None = None

    @property
    def ok(self) -> bool:
        """Return whether the call was answered with ``{"ok": true}``."""
        return bool(self.response and self.response.get("ok"))

    @property
    def chat_id(self) -> int | str | None:
        """Return the ``chat_id`` parameter, if any."""
        return self.params.get("chat_id")


class BotApiError(Exception):
    """An error answer of the Bot API: raised inside handlers, turned into an error response."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        """Store the HTTP status, the description and optional ``ResponseParameters``."""
        super().__init__(f"{status} {description}")
        self.status = status
        self.description = description
        self.parameters = parameters

    def as_json(self) -> JSONDict:
        """Return the Bot API error envelope."""
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


# --------------------------------------------------------------------------------------------
# internals
# --------------------------------------------------------------------------------------------


class _Notifier:
    """A level-triggered "something changed" signal: wake every waiter, re-check a predicate."""

    def __init__(self) -> None:
        """Create the first event."""
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake all current waiters."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], bool], seconds: float | None) -> None:
        """Wait until ``predicate()`` is true; raise ``TimeoutError`` after ``seconds``."""
        async with asyncio.timeout(seconds):
            while not predicate():
                await self._event.wait()


@dataclass
class _Fault:
    method: str
    status: int
    description: str
    retry_after: int | None
    chat_id: int | str | None
    times: int


@dataclass
class _Delay:
    method: str
    seconds: float
    chat_id: int | str | None
    times: int


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes | None
    filename: str | None = None
    mime_type: str | None = None

    def as_file(self) -> JSONDict:
        data: JSONDict = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.content is not None:
            data["file_size"] = len(self.content)
        data["file_path"] = self.file_path
        return data


class _Req:
    """Parameters of one API request with typed accessors that raise Bot API style errors."""

    def __init__(self, params: JSONDict, files: dict[str, UploadedFile]) -> None:
        self.params = params
        self.files = files

    def has(self, name: str) -> bool:
        return self.params.get(name) is not None

    def get(self, name: str, default: Any = None) -> Any:
        value = self.params.get(name)
        return default if value is None else value

    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self.params.get(name)
        if value is None:
            if required:
                raise BotApiError(400, f"Bad Request: {name} is empty")
            return None
        if isinstance(value, (dict, list)):
            raise BotApiError(400, f'Bad Request: field "{name}" must be of type String')
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self.params.get(name)
        if value is None or value == "":
            if required:
                raise BotApiError(400, f"Bad Request: {name} is empty")
            return None
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise BotApiError(400, f'Bad Request: field "{name}" must be of type Integer') from None

    def number(self, name: str) -> float | None:
        value = self.params.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise BotApiError(400, f'Bad Request: field "{name}" must be of type Float') from None

    def flag(self, name: str) -> bool:
        value = self.params.get(name)
        if isinstance(value, str):
            return value.lower() in {"true", "1"}
        return bool(value)

    def decoded(self, name: str, kind: type) -> Any:
        value = self.params.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise BotApiError(400, f"Bad Request: can't parse {name} JSON object") from None
        if not isinstance(value, kind):
            raise BotApiError(400, f"Bad Request: can't parse {name} JSON object")
        return value


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _private_chat_of(user: JSONDict) -> JSONDict:
    chat: JSONDict = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    for key in ("last_name", "username"):
        if user.get(key) is not None:
            chat[key] = user[key]
    return chat


def _normalise_chat_id(value: Any) -> int | str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def _decode_form_value(name: str, raw: str) -> Any:
    if name in _STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


# --------------------------------------------------------------------------------------------
# multipart/form-data (python-multipart is not installed, and we want exact bytes anyway)
# --------------------------------------------------------------------------------------------


def _disposition_param(header: str, key: str) -> str | None:
    match = re.search(rf'(?:^|;)\s*{key}="((?:[^"\\]|\\.)*)"', header)
    if match:
        return match.group(1).replace("%22", '"').replace('\\"', '"').replace("\\\\", "\\")
    match = re.search(rf"(?:^|;)\s*{key}=([^;\s]+)", header)
    return match.group(1) if match else None


def _parse_multipart(
    body: bytes, content_type: str
) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    match = re.search(r'boundary=(?:"([^"]+)"|([^;\s]+))', content_type)
    if not match:
        raise BotApiError(400, "Bad Request: multipart boundary not found")
    boundary = (match.group(1) or match.group(2)).encode("latin-1")
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    chunks = (b"\r\n" + body).split(b"\r\n--" + boundary)
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = _disposition_param(disposition, "name")
        if name is None:
            continue
        filename = _disposition_param(disposition, "filename")
        if filename is None:
            fields[name] = content.decode("utf-8", "replace")
        else:
            files[name] = UploadedFile(name, filename, headers.get("content-type"), content)
    return fields, files


# --------------------------------------------------------------------------------------------
# parse_mode handling (HTML, MarkdownV2, legacy Markdown)
# --------------------------------------------------------------------------------------------


class _Out:
    """Accumulates plain text while tracking the UTF-16 position entities are measured in."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.pos += _utf16_len(text)

    def text(self) -> str:
        return "".join(self.parts)


def _entity_error(message: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: can't parse entities: {message}")


_HTML_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_HTML_ATTR = re.compile(r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")


def _unescape_html(value: str) -> str:
    def repl(match: re.Match[str]) -> str:
        ref = match.group(1)
        named = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
        if ref in named:
            return named[ref]
        code = int(ref[2:], 16) if ref[1:2] in {"x", "X"} else int(ref[1:])
        return chr(code) if 0 < code <= 0x10FFFF else match.group(0)

    return _HTML_ENTITY.sub(repl, value)


def _parse_html(text: str) -> tuple[str, list[JSONDict]]:
    out = _Out()
    entities: list[JSONDict] = []
    stack: list[tuple[str, int, JSONDict]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "<":
            offset = _byte_offset(text, i)
            end = text.find(">", i)
            if end == -1:
                raise _entity_error(f"Unclosed start tag at byte offset {offset}")
            inner = text[i + 1 : end]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise _entity_error(f"Unexpected end tag at byte offset {offset}")
                tag, start, attrs = stack.pop()
                if name != tag:
                    raise _entity_error(
                        f'Unmatched end tag at byte offset {offset}, expected "</{tag}>", '
                        f'found "</{name}>"'
                    )
                entity = _html_entity(tag, attrs, start, out.pos - start, stack)
                if entity is not None:
                    entities.append(entity)
            else:
                match = re.match(r"[a-zA-Z][a-zA-Z0-9-]*", inner)
                name = match.group(0).lower() if match else ""
                if name not in _HTML_TAGS:
                    raise _entity_error(f'Unsupported start tag "{name}" at byte offset {offset}')
                attrs: JSONDict = {}
                for attr in _HTML_ATTR.finditer(inner[len(name) :]):
                    value = attr.group(2) or ""
                    if value[:1] in {'"', "'"}:
                        value = value[1:-1]
                    attrs[attr.group(1).lower()] = _unescape_html(value)
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise _entity_error(
                        f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
                    )
                stack.append((name, out.pos, attrs))
            i = end + 1
        elif char == "&":
            match = _HTML_ENTITY.match(text, i)
            if match:
                out.add(_unescape_html(match.group(0)))
                i = match.end()
            else:
                out.add("&")
                i += 1
        else:
            j = i + 1
            while j < n and text[j] not in "<&":
                j += 1
            out.add(text[i:j])
            i = j
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.text(), entities


def _html_entity(
    tag: str, attrs: JSONDict, offset: int, length: int, stack: list[tuple[str, int, JSONDict]]
) -> JSONDict | None:
    kind = _HTML_TAGS[tag]
    if kind == "code" and stack and stack[-1][0] == "pre":
        css = str(attrs.get("class", ""))
        if css.startswith("language-"):
            stack[-1][2]["language"] = css[len("language-") :]
        return None
    entity: JSONDict = {"type": kind, "offset": offset, "length": length}
    if kind == "text_link":
        href = attrs.get("href")
        if not href:
            return None
        user_match = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if user_match:
            entity = {
                "type": "text_mention",
                "offset": offset,
                "length": length,
                "user": {"id": int(user_match.group(1)), "is_bot": False, "first_name": "User"},
            }
        else:
            entity["url"] = href
    elif kind == "pre" and attrs.get("language"):
        entity["language"] = attrs["language"]
    elif kind == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = str(attrs.get("emoji-id", ""))
    return entity


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES: dict[str, str] = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
    "expandable_blockquote": "ExpandableBlockQuote",
}


def _parse_markdown_v2(text: str) -> tuple[str, list[JSONDict]]:
    out = _Out()
    entities: list[JSONDict] = []
    stack: list[tuple[str, int, int]] = []  # (type, utf16 start, byte offset of the marker)
    quote: tuple[str, int] | None = None
    i, n = 0, len(text)
    line_start = True

    def toggle(kind: str, at: int) -> None:
        for index in range(len(stack) - 1, -1, -1):
            if stack[index][0] == kind:
                if index != len(stack) - 1:
                    inner_kind, _, inner_offset = stack[-1]
                    raise _entity_error(
                        f"Can't find end of {_MDV2_NAMES[inner_kind]} entity at byte offset "
                        f"{inner_offset}"
                    )
                _, start, _ = stack.pop()
                entities.append({"type": kind, "offset": start, "length": out.pos - start})
                return
        stack.append((kind, out.pos, _byte_offset(text, at)))

    def scan_until(start: int, closer: str, escapable: str) -> tuple[str, int]:
        buf: list[str] = []
        k = start
        while k < n:
            if text[k] == "\\" and k + 1 < n and 1 <= ord(text[k + 1]) <= 126:
                buf.append(text[k + 1])
                k += 2
                continue
            if text.startswith(closer, k):
                return "".join(buf), k
            buf.append(text[k])
            k += 1
        return "".join(buf), -1

    def close_quote() -> None:
        nonlocal quote
        if quote is not None:
            kind, start = quote
            entities.append({"type": kind, "offset": start, "length": out.pos - start})
            quote = None

    while i < n:
        char = text[i]
        if line_start:
            line_start = False
            if text.startswith("**>", i):
                if quote is None:
                    quote = ("expandable_blockquote", out.pos)
                i += 3
                continue
            if char == ">":
                if quote is None:
                    quote = ("blockquote", out.pos)
                i += 1
                continue
            close_quote()
        if char == "\\":
            if i + 1 < n and 1 <= ord(text[i + 1]) <= 126:
                out.add(text[i + 1])
                i += 2
            else:
                out.add("\\")
                i += 1
        elif char == "*":
            toggle("bold", i)
            i += 1
        elif char == "_":
            if text.startswith("__", i):
                toggle("underline", i)
                i += 2
            else:
                toggle("italic", i)
                i += 1
        elif char == "~":
            toggle("strikethrough", i)
            i += 1
        elif char == "|" and text.startswith("||", i):
            at_line_end = i + 2 == n or text[i + 2] == "\n"
            spoiler_open = any(kind == "spoiler" for kind, _, _ in stack)
            if (
                quote is not None
                and quote[0] == "expandable_blockquote"
                and at_line_end
                and (not spoiler_open)
            ):
                close_quote()
            else:
                toggle("spoiler", i)
            i += 2
        elif char == "`":
            offset = _byte_offset(text, i)
            if text.startswith("```", i):
                content, end = scan_until(i + 3, "```", "`\\")
                if end == -1:
                    raise _entity_error(f"Can't find end of Pre entity at byte offset {offset}")
                language: str | None = None
                first_line, newline, rest = content.partition("\n")
                if newline and first_line and not re.search(r"\s", first_line):
                    language, content = first_line, rest
                elif newline and not first_line:
                    content = rest
                start = out.pos
                out.add(content)
                entity: JSONDict = {"type": "pre", "offset": start, "length": out.pos - start}
                if language:
                    entity["language"] = language
                entities.append(entity)
                i = end + 3
            else:
                content, end = scan_until(i + 1, "`", "`\\")
                if end == -1:
                    raise _entity_error(f"Can't find end of Code entity at byte offset {offset}")
                start = out.pos
                out.add(content)
                entities.append({"type": "code", "offset": start, "length": out.pos - start})
                i = end + 1
        elif char == "[" or (char == "!" and text.startswith("![", i)):
            kind = "custom_emoji" if char == "!" else "text_link"
            stack.append((kind, out.pos, _byte_offset(text, i)))
            i += 2 if char == "!" else 1
        elif char == "]":
            if not stack or stack[-1][0] not in {"text_link", "custom_emoji"}:
                raise _entity_error(
                    "Character ']' is reserved and must be escaped with the preceding '\\'"
                )
            kind, start, offset = stack.pop()
            if not text.startswith("(", i + 1):
                raise _entity_error(
                    f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {offset}"
                )
            target, end = scan_until(i + 2, ")", ")\\")
            if end == -1:
                raise _entity_error(
                    f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {offset}"
                )
            link: JSONDict = {"type": kind, "offset": start, "length": out.pos - start}
            if kind == "custom_emoji":
                link["custom_emoji_id"] = target.rpartition("id=")[2]
            else:
                link["url"] = target
            entities.append(link)
            i = end + 1
        elif char in _MDV2_RESERVED:
            raise _entity_error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        elif char == "\n":
            out.add("\n")
            line_start = True
            i += 1
        else:
            j = i + 1
            while j < n and text[j] not in _MDV2_RESERVED and text[j] not in "\\\n":
                j += 1
            out.add(text[i:j])
            i = j
    close_quote()
    if stack:
        kind, _, offset = stack[-1]
        raise _entity_error(f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {offset}")
    return out.text(), entities


def _parse_markdown(text: str) -> tuple[str, list[JSONDict]]:
    out = _Out()
    entities: list[JSONDict] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        offset = _byte_offset(text, i)
        not_found = _entity_error(f"Can't find end of the entity starting at byte offset {offset}")
        if char == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
        elif char in "*_":
            end = text.find(char, i + 1)
            if end == -1:
                raise not_found
            start = out.pos
            out.add(text[i + 1 : end])
            kind = "bold" if char == "*" else "italic"
            entities.append({"type": kind, "offset": start, "length": out.pos - start})
            i = end + 1
        elif char == "`":
            fence = "```" if text.startswith("```", i) else "`"
            end = text.find(fence, i + len(fence))
            if end == -1:
                raise not_found
            content = text[i + len(fence) : end]
            entity: JSONDict = {"type": "code" if fence == "`" else "pre"}
            if fence == "```":
                first_line, newline, rest = content.partition("\n")
                if newline and first_line and not re.search(r"\s", first_line):
                    entity["language"], content = first_line, rest
            start = out.pos
            out.add(content)
            entity.update(offset=start, length=out.pos - start)
            entities.append(entity)
            i = end + len(fence)
        elif char == "[":
            close = text.find("](", i + 1)
            end = text.find(")", close + 2) if close != -1 else -1
            if end == -1:
                raise not_found
            start = out.pos
            out.add(text[i + 1 : close])
            url = text[close + 2 : end]
            entities.append(
                {"type": "text_link", "offset": start, "length": out.pos - start, "url": url}
            )
            i = end + 1
        else:
            j = i + 1
            while j < n and text[j] not in "\\*_`[":
                j += 1
            out.add(text[i:j])
            i = j
    return out.text(), entities


def parse_entities(text: str, parse_mode: str | None) -> tuple[str, list[JSONDict]]:
    """Apply a Bot API ``parse_mode`` to ``text``: return (plain text, entities) or raise 400."""
    mode = (parse_mode or "").lower()
    if mode == "":
        return text, []
    if mode == "html":
        plain, entities = _parse_html(text)
    elif mode == "markdownv2":
        plain, entities = _parse_markdown_v2(text)
    elif mode == "markdown":
        plain, entities = _parse_markdown(text)
    else:
        raise BotApiError(400, f'Bad Request: unsupported parse_mode "{parse_mode}"')
    entities = [e for e in entities if e["length"] > 0]
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return plain, entities


def _trim(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Strip leading/trailing whitespace like Telegram, shifting/clipping the entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = _utf16_len(text[: len(text) - len(text.lstrip())])
    total = _utf16_len(stripped)
    result: list[JSONDict] = []
    for entity in entities:
        start = max(0, int(entity["offset"]) - lead)
        end = min(total, int(entity["offset"]) + int(entity["length"]) - lead)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def _command_entities(text: str) -> list[JSONDict]:
    match = re.match(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,64})?", text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(match.group(0))}]


# --------------------------------------------------------------------------------------------
# uvicorn glue
# --------------------------------------------------------------------------------------------


class _QuietConfig(uvicorn.Config):
    """A uvicorn config that leaves the process' logging configuration alone."""

    def configure_logging(self) -> None:
        """Do nothing: no dictConfig, no logger level changes."""


_api_registry: dict[str, tuple[str, str]] = {}


def _api(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a handler method for the Bot API method ``name`` (case-insensitive)."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        _api_registry[name.lower()] = (name, func.__name__)
        return func

    return decorator


# --------------------------------------------------------------------------------------------
# the fake server
# --------------------------------------------------------------------------------------------


class FakeBotApi:
    """An in-process fake of the Telegram Bot API HTTP server (see the module docstring)."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "circles_test_bot",
        bot_id: int = 123456,
        bot_first_name: str = "Learning Circles",
        strict_chats: bool = False,
        clock: Callable[[], float] = time.time,
        enforce_limits: bool = False,
    ) -> None:
        """Configure the fake; ``strict_chats`` makes unknown chat ids a 400 "chat not found".

        ``enforce_limits`` answers 429 like Telegram when a send breaks its limits: more
        than 30 messages in any second, or a chat receiving faster than one a second (a
        group: twenty a minute). ``limit_violations`` counts them.
        """
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.bot_first_name = bot_first_name
        self.strict_chats = strict_chats
        self.clock = clock
        self.enforce_limits = enforce_limits
        self.limit_violations = 0
        self._recent_sends: collections.deque[float] = collections.deque()
        self._chat_last_send: dict[int, float] = {}
        self.base_url = ""
        self.port = 0

        self.calls: list[ApiCall] = []
        self.callback_answers: list[JSONDict] = []
        self.server_errors: list[BaseException] = []
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook: JSONDict = {}
        self.webhook_history: list[JSONDict] = []
        self.blocked: set[int] = set()

        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(1)
        self._last_update_id = 0
        self._allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._poll_generation = 0
        self._chats: dict[int, JSONDict] = {}
        self._messages: dict[int, dict[int, JSONDict]] = {}
        self._outbox: dict[int, list[JSONDict]] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._deleted: set[tuple[int, int]] = set()
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._file_counter = itertools.count(1)
        self._callback_counter = itertools.count(1)
        self._media_group_counter = itertools.count(1)
        self._open_callbacks: dict[str, JSONDict] = {}
        self._answered_callbacks: set[str] = set()
        self._faults: list[_Fault] = []
        self._delays: list[_Delay] = []
        self._stubs: dict[str, Any] = {}

        self._updates_changed = _Notifier()
        self._state_changed = _Notifier()
        self._stopping = asyncio.Event()
        self._server: uvicorn.Server | None = None
        self._socket: socket.socket | None = None
        self._app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._handle_bot, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._handle_file, methods=["GET"]),
                Route("/{rest:path}", self._handle_not_found, methods=["GET", "POST"]),
            ]
        )

    # ---------------------------------------------------------------- lifecycle

    @property
    def bot_user(self) -> JSONDict:
        """Return the bot's ``User`` dict (the ``from`` of every bot message)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    @property
    def api_url(self) -> str:
        """Return the ``base_url`` to give PTB (``.../bot``; PTB appends the token)."""
        return f"{self.base_url}/bot"

    @property
    def file_url(self) -> str:
        """Return the ``base_file_url`` to give PTB (``.../file/bot``)."""
        return f"{self.base_url}/file/bot"

    @staticmethod
    def implemented_methods() -> list[str]:
        """Return the canonical names of the Bot API methods the fake implements."""
        return sorted(name for name, _ in _api_registry.values())

    @property
    def running(self) -> bool:
        """Return whether the server is accepting connections."""
        return self._server is not None

    async def start(self) -> None:
        """Start serving on 127.0.0.1 on a free port (sets ``base_url``)."""
        if self._server is not None:
            raise RuntimeError("FakeBotApi is already running")
        # asyncio primitives are (re)created here so they bind to the running loop
        self._updates_changed = _Notifier()
        self._state_changed = _Notifier()
        self._stopping = asyncio.Event()
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto is TCP; without it every response waits ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.bind(("127.0.0.1", 0))
            sock.setblocking(False)
            config = _QuietConfig(
                self._app,
                lifespan="off",
                http="h11",
                ws="none",
                access_log=False,
                log_config=None,
                log_level=None,
                proxy_headers=False,
                server_header=False,
                date_header=False,
                timeout_graceful_shutdown=2,
            )
            config.load()
            server = uvicorn.Server(config)
            server.lifespan = config.lifespan_class(config)
            await server.startup(sockets=[sock])
        except BaseException:
            sock.close()
            raise
        self._socket = sock
        self._server = server
        self.port = sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"

    async def stop(self, *, check: bool = True) -> None:
        """Stop serving: wake long polls/delays, finish requests, close all connections."""
        server = self._server
        if server is None:
            return
        self._server = None
        self._stopping.set()
        self._updates_changed.notify()
        self._state_changed.notify()
        for listener in server.servers:
            listener.close()
        state = server.server_state
        for connection in list(state.connections):
            connection.shutdown()
        tasks = set(state.tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=2.0)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        # Connections whose response just completed close themselves (keep_alive was turned off);
        # give the transports' connection_lost callbacks a chance to run.
        for _ in range(50):
            if not state.connections:
                break
            await asyncio.sleep(0)
        for connection in list(state.connections):  # stragglers, e.g. a cancelled response
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.close()
        for listener in server.servers:
            await listener.wait_closed()
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if check and self.server_errors:
            raise AssertionError(
                f"the fake Bot API crashed while handling requests: {self.server_errors!r}"
            ) from self.server_errors[0]

    async def __aenter__(self) -> Self:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server (only checks for internal errors when the block succeeded)."""
        await self.stop(check=exc_type is None)

    # ---------------------------------------------------------------- what the bot did

    def calls_for(self, method: str) -> list[ApiCall]:
        """Return the recorded calls of one Bot API method (case-insensitive)."""
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    def last_call(self, method: str) -> ApiCall:
        """Return the most recent call of ``method``; AssertionError if there was none."""
        calls = self.calls_for(method)
        if not calls:
            seen = sorted({call.method for call in self.calls})
            raise AssertionError(f"no {method} call was made; methods called: {seen}")
        return calls[-1]

    def sent_to(self, chat_id: int) -> list[JSONDict]:
        """Return every message the bot sent to ``chat_id``, in order, each in its current state.

        Edited messages are updated in place; deleted ones stay in the list (see ``visible_to``).
        """
        return list(self._outbox.get(chat_id, []))

    def visible_to(self, chat_id: int) -> list[JSONDict]:
        """Return the bot's messages in ``chat_id`` that have not been deleted."""
        return [m for m in self.sent_to(chat_id) if not self.is_deleted(chat_id, m["message_id"])]

    def texts_to(self, chat_id: int) -> list[str]:
        """Return the text (or caption, or "") of every message the bot sent to ``chat_id``."""
        return [m.get("text", m.get("caption", "")) for m in self.sent_to(chat_id)]

    def last_sent_to(self, chat_id: int) -> JSONDict:
        """Return the last message the bot sent to ``chat_id``; AssertionError if none."""
        messages = self.sent_to(chat_id)
        if not messages:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}")
        return messages[-1]

    def history(self, chat_id: int) -> list[JSONDict]:
        """Return all messages of the chat (from users and the bot) ordered by message_id."""
        chat = self._messages.get(chat_id, {})
        return [chat[mid] for mid in sorted(chat)]

    def is_deleted(self, chat_id: int, message_id: int) -> bool:
        """Return whether the bot deleted that message."""
        return (chat_id, message_id) in self._deleted

    def buttons(self, message: JSONDict) -> list[list[JSONDict]]:
        """Return the rows of inline keyboard buttons of a stored message ([] if none)."""
        markup = message.get("reply_markup") or {}
        return [list(row) for row in markup.get("inline_keyboard", [])]

    def commands_for(
        self, scope: JSONDict | None = None, language_code: str = ""
    ) -> list[JSONDict]:
        """Return the commands registered with ``setMyCommands`` for a scope and language."""
        return list(self.commands.get((self._scope_key(scope), language_code), []))

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
        what: str = "condition",
    ) -> None:
        """Wait (event-driven) until ``predicate()`` holds after some request/state change."""
        try:
            await self._state_changed.wait_for(
                lambda: predicate() or self._stopping.is_set(), timeout
            )
        except TimeoutError:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None
        if not predicate():
            raise AssertionError(f"the fake Bot API stopped while waiting for {what}")

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[JSONDict]:
        """Wait until the bot has sent at least ``count`` messages to ``chat_id``; return them."""

        def enough() -> bool:
            return len(self._outbox.get(chat_id, [])) >= count

        with contextlib.suppress(TimeoutError):
            await self._state_changed.wait_for(lambda: enough() or self._stopping.is_set(), timeout)
        if not enough():
            texts = self.texts_to(chat_id)
            recent = [f"{c.method}({c.status})" for c in self.calls[-10:]]
            reason = "before the fake stopped" if self._stopping.is_set() else f"within {timeout}s"
            raise AssertionError(
                f"expected >= {count} message(s) to chat {chat_id} {reason}, "
                f"got {len(texts)}: {texts!r}; last calls: {recent}"
            )
        return self.sent_to(chat_id)

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[ApiCall]:
        """Wait until ``method`` has been answered ``count`` times; return those calls."""

        def answered() -> list[ApiCall]:
            return [c for c in self.calls_for(method) if c.status is not None]

        try:
            await self._state_changed.wait_for(lambda: len(answered()) >= count, timeout)
        except TimeoutError:
            seen = [f"{c.method}({c.status})" for c in self.calls[-10:]]
            raise AssertionError(
                f"expected >= {count} {method} call(s) within {timeout}s, got "
                f"{len(answered())}; last calls: {seen}"
            ) from None
        return answered()

    # ---------------------------------------------------------------- what users do

    def push_update(self, update: JSONDict) -> JSONDict:
        """Queue an update for getUpdates (assigning ``update_id`` if missing) and return it."""
        self._assign_update_id(update)
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            self._open_callbacks[str(query["id"])] = query
        self._updates.append(update)
        self._updates_changed.notify()
        return update

    def group_chat(self, chat_id: int, title: str, *, type: str = "group") -> JSONDict:
        """Register (and return) a group/supergroup chat so messages can come from it."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        chat: JSONDict = {"id": chat_id, "type": type, "title": title}
        self._chats[chat_id] = chat
        return dict(chat)

    def user_message(
        self,
        user: FakeUser | JSONDict,
        text: str,
        *,
        chat: JSONDict | None = None,
        reply_to: JSONDict | None = None,
        entities: list[JSONDict] | None = None,
        enqueue: bool = True,
    ) -> JSONDict:
        """A user sends ``text`` (a ``bot_command`` entity is added for "/commands")."""
        content: JSONDict = {"text": text}
        ents = entities if entities is not None else _command_entities(text)
        if ents:
            content["entities"] = ents
        return self._user_update(user, content, chat=chat, reply_to=reply_to, enqueue=enqueue)

    def user_sticker(
        self,
        user: FakeUser | JSONDict,
        *,
        emoji: str = "👍",
        chat: JSONDict | None = None,
        enqueue: bool = True,
    ) -> JSONDict:
        """A user sends a (regular, static) sticker."""
        stored = self._new_file("sticker", b"RIFF fake webp sticker", "stickers", "webp")
        sticker: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": len(stored.content or b""),
        }
        return self._user_update(user, {"sticker": sticker}, chat=chat, enqueue=enqueue)

    def user_voice(
        self,
        user: FakeUser | JSONDict,
        *,
        duration: int = 3,
        content: bytes = b"OggS\x00fake opus voice",
        caption: str | None = None,
        chat: JSONDict | None = None,
        enqueue: bool = True,
    ) -> JSONDict:
        """A user sends a voice note whose bytes can be fetched with getFile + download."""
        stored = self._new_file("voice", content, "voice", "oga", mime_type="audio/ogg")
        voice: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(content),
        }
        fields: JSONDict = {"voice": voice}
        if caption is not None:
            fields["caption"] = caption
        return self._user_update(user, fields, chat=chat, enqueue=enqueue)

    def user_photo(
        self,
        user: FakeUser | JSONDict,
        *,
        content: bytes = b"\xff\xd8\xff\xe0fake jpeg",
        caption: str | None = None,
        width: int = 1280,
        height: int = 960,
        chat: JSONDict | None = None,
        enqueue: bool = True,
    ) -> JSONDict:
        """A user sends a photo (two PhotoSizes; the largest one holds ``content``)."""
        small = self._new_file("photo", content[:64], "photos", "jpg", mime_type="image/jpeg")
        big = self._new_file("photo", content, "photos", "jpg", mime_type="image/jpeg")
        scale = max(width, height) / 90 or 1
        photo = [
            {
                "file_id": small.file_id,
                "file_unique_id": small.file_unique_id,
                "width": max(1, round(width / scale)),
                "height": max(1, round(height / scale)),
                "file_size": len(small.content or b""),
            },
            {
                "file_id": big.file_id,
                "file_unique_id": big.file_unique_id,
                "width": width,
                "height": height,
                "file_size": len(content),
            },
        ]
        fields: JSONDict = {"photo": photo}
        if caption is not None:
            fields["caption"] = caption
        return self._user_update(user, fields, chat=chat, enqueue=enqueue)

    def user_document(
        self,
        user: FakeUser | JSONDict,
        *,
        content: bytes = b"%PDF-1.4 fake document",
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        chat: JSONDict | None = None,
        enqueue: bool = True,
    ) -> JSONDict:
        """A user sends a document (file) whose bytes can be downloaded by the bot."""
        ext = file_name.rpartition(".")[2] if "." in file_name else "bin"
        stored = self._new_file(
            "document", content, "documents", ext, filename=file_name, mime_type=mime_type
        )
        document: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        fields: JSONDict = {"document": document}
        if caption is not None:
            fields["caption"] = caption
        return self._user_update(user, fields, chat=chat, enqueue=enqueue)

    def user_location(
        self,
        user: FakeUser | JSONDict,
        latitude: float,
        longitude: float,
        *,
        chat: JSONDict | None = None,
        enqueue: bool = True,
    ) -> JSONDict:
        """A user shares a location."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._user_update(user, {"location": location}, chat=chat, enqueue=enqueue)

    def user_contact(
        self,
        user: FakeUser | JSONDict,
        phone_number: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        user_id: int | None = None,
        chat: JSONDict | None = None,
        enqueue: bool = True,
    ) -> JSONDict:
        """A user shares a contact (by default their own, as a ``request_contact`` button does)."""
        sender = self._user_dict(user)
        contact: JSONDict = {
            "phone_number": phone_number,
            "first_name": first_name if first_name is not None else sender["first_name"],
            "user_id": user_id if user_id is not None else sender["id"],
        }
        if last_name is not None:
            contact["last_name"] = last_name
        elif first_name is None and sender.get("last_name") is not None:
            contact["last_name"] = sender["last_name"]
        return self._user_update(user, {"contact": contact}, chat=chat, enqueue=enqueue)

    def user_click(
        self,
        user: FakeUser | JSONDict,
        message: JSONDict,
        data: str,
        *,
        check: bool = True,
        enqueue: bool = True,
    ) -> JSONDict:
        """A user presses the inline button with ``callback_data == data`` on a bot message.

        ``message`` is a stored message (from ``sent_to``) or an update containing one; its
        current state is used. With ``check`` the button must exist on the current keyboard.
        """
        current = self._current_message(message)
        if check:
            datas = [b.get("callback_data") for row in self.buttons(current) for b in row]
            if data not in datas:
                raise AssertionError(
                    f"message {current['message_id']} in chat {current['chat']['id']} has no "
                    f"button with callback_data {data!r}; buttons: {datas!r}"
                )
        sender = self._user_dict(user)
        query_id = f"{self.bot_id}{next(self._callback_counter):08d}"
        query: JSONDict = {
            "id": query_id,
            "from": sender,
            "message": self._wire(current),
            "chat_instance": f"{abs(int(current['chat']['id'])) * 31 + self.bot_id}",
            "data": data,
        }
        self._open_callbacks[query_id] = query
        update: JSONDict = {"callback_query": query}
        return self._emit(update, enqueue)

    def user_edit(
        self,
        user: FakeUser | JSONDict,
        message: JSONDict,
        new_text: str,
        *,
        enqueue: bool = True,
    ) -> JSONDict:
        """A user edits one of their text messages (``message`` may also be its update)."""
        current = self._current_message(message)
        sender = self._user_dict(user)
        if current.get("from", {}).get("id") != sender["id"]:
            raise AssertionError("users can only edit their own messages")
        current["text"] = new_text
        current.pop("entities", None)
        entities = _command_entities(new_text)
        if entities:
            current["entities"] = entities
        current["edit_date"] = self._now()
        self._state_changed.notify()
        return self._emit({"edited_message": copy.deepcopy(current)}, enqueue)

    def user_blocks_bot(self, user: FakeUser | JSONDict, *, enqueue: bool = True) -> JSONDict:
        """A user blocks the bot: sends to them now fail with 403; returns my_chat_member."""
        sender = self._user_dict(user)
        self.blocked.add(sender["id"])
        return self._emit(self._my_chat_member(sender, "member", "kicked"), enqueue)

    def user_unblocks_bot(self, user: FakeUser | JSONDict, *, enqueue: bool = True) -> JSONDict:
        """A user unblocks the bot again; returns the my_chat_member update."""
        sender = self._user_dict(user)
        self.blocked.discard(sender["id"])
        return self._emit(self._my_chat_member(sender, "kicked", "member"), enqueue)

    # ---------------------------------------------------------------- files

    def add_file(
        self,
        file_id: str,
        content: bytes,
        *,
        file_path: str | None = None,
        file_unique_id: str | None = None,
    ) -> JSONDict:
        """Register bytes under ``file_id`` for getFile/download; return the ``File`` dict."""
        number = next(self._file_counter)
        stored = _StoredFile(
            file_id=file_id,
            file_unique_id=file_unique_id or f"uniq{number:06d}",
            file_path=file_path or f"documents/file_{number}",
            content=content,
        )
        self._store_file(stored)
        return stored.as_file()

    def file_content(self, file_id: str) -> bytes | None:
        """Return the bytes stored for ``file_id`` (uploaded by the bot or added by a test)."""
        stored = self._files.get(file_id)
        return stored.content if stored else None

    # ---------------------------------------------------------------- faults

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (optionally for one chat) fail."""
        if description is None:
            description = {
                400: _CHAT_NOT_FOUND,
                401: "Unauthorized",
                403: _BLOCKED,
                404: "Not Found",
                409: "Conflict: terminated by other getUpdates request",
                429: f"Too Many Requests: retry after {retry_after or 1}",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(status, f"Error {status}")
        if status == 429 and retry_after is None:
            retry_after = 1
        self._faults.append(
            _Fault(method.lower(), status, description, retry_after, chat_id, times)
        )

    def delay_next(
        self, method: str, seconds: float, *, chat_id: int | str | None = None, times: int = 1
    ) -> None:
        """Delay the answer to the next ``times`` calls of ``method`` by ``seconds``.

        The delay happens before the request is processed; a slow request is still processed
        when the delay is over (the client may have timed out by then) unless the fake stops.
        """
        self._delays.append(_Delay(method.lower(), seconds, chat_id, times))

    def stub(self, method: str, result: Any) -> None:
        """Answer ``method`` with ``result`` (or ``result(params)`` if callable) from now on."""
        self._stubs[method.lower()] = result

    def clear_faults(self) -> None:
        """Forget pending ``fail_next``/``delay_next`` rules."""
        self._faults.clear()
        self._delays.clear()

    # ---------------------------------------------------------------- webhooks

    async def deliver_webhook(
        self,
        update: JSONDict,
        url: str | None = None,
        secret: str | None = None,
        *,
        app: Any = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> int:
        """POST ``update`` like Telegram's webhook delivery; return the HTTP status.

        ``url``/``secret`` default to what the bot set with setWebhook. Pass an ASGI ``app`` to
        deliver in-process (through ``httpx.ASGITransport``) instead of over the network.
        """
        target = url or self.webhook_url
        if not target:
            raise ValueError("no webhook url given and none was set with setWebhook")
        token = secret if secret is not None else self.webhook_secret
        self._assign_update_id(update)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = token
        transport = httpx.ASGITransport(app=app) if app is not None else None
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
            response = await client.post(target, content=json.dumps(update), headers=headers)
        return response.status_code

    # ================================================================ HTTP layer

    async def _handle_not_found(self, request: Request) -> Response:
        return JSONResponse(BotApiError(404, "Not Found").as_json(), status_code=404)

    async def _handle_file(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return JSONResponse(BotApiError(401, "Unauthorized").as_json(), status_code=401)
        stored = self._files_by_path.get(request.path_params["path"])
        if stored is None or stored.content is None:
            return JSONResponse(BotApiError(404, "Not Found").as_json(), status_code=404)
        return Response(stored.content, media_type=stored.mime_type or "application/octet-stream")

    async def _handle_bot(self, request: Request) -> Response:
        raw_method = request.path_params["method"]
        canonical, handler_name = _api_registry.get(raw_method.lower(), (raw_method, ""))
        call = ApiCall(
            method=canonical,
            params={},
            http_method=request.method,
            token=request.path_params["token"],
            at=self.clock(),
        )
        self.calls.append(call)
        try:
            if call.token != self.token:
                raise BotApiError(401, "Unauthorized")
            params, files = await self._read_params(request)
            call.params, call.files = params, files
            self._state_changed.notify()
            await self._apply_delay(canonical, params)
            self._apply_fault(canonical, params)
            result = await self._dispatch(canonical, handler_name, _Req(params, files))
            status, body = 200, {"ok": True, "result": result}
        except BotApiError as error:
            status, body = error.status, error.as_json()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            _LOGGER.exception("fake Bot API crashed in %s", canonical)
            self.server_errors.append(error)
            status = 500
            body = BotApiError(500, f"Internal Server Error: fake crashed: {error!r}").as_json()
        call.status, call.response = status, body
        self._state_changed.notify()
        return JSONResponse(body, status_code=status)

    async def _read_params(self, request: Request) -> tuple[JSONDict, dict[str, UploadedFile]]:
        params: JSONDict = {
            key: _decode_form_value(key, value) for key, value in request.query_params.items()
        }
        files: dict[str, UploadedFile] = {}
        body = await request.body()
        content_type = request.headers.get("content-type", "")
        media_type = content_type.split(";", 1)[0].strip().lower()
        if not body:
            return params, files
        if media_type == "application/json":
            try:
                data = json.loads(body)
            except ValueError:
                raise BotApiError(400, "Bad Request: can't parse JSON encoded body") from None
            if not isinstance(data, dict):
                raise BotApiError(400, "Bad Request: JSON body must be an object")
            for key, value in data.items():
                if key in _JSON_PARAMS and isinstance(value, str):
                    value = _decode_form_value(key, value)
                params[key] = value
        elif media_type == "multipart/form-data":
            fields, files = _parse_multipart(body, content_type)
            for key, value in fields.items():
                params[key] = _decode_form_value(key, value)
            for key, upload in files.items():
                params.setdefault(key, f"<upload {upload.filename}, {len(upload.content)} bytes>")
        else:
            pairs = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            for key, value in pairs:
                params[key] = _decode_form_value(key, value)
        return params, files

    def _matches(self, rule_method: str, rule_chat: Any, method: str, params: JSONDict) -> bool:
        if rule_method != method.lower():
            return False
        if rule_chat is None:
            return True
        return _normalise_chat_id(params.get("chat_id")) == _normalise_chat_id(rule_chat)

    async def _apply_delay(self, method: str, params: JSONDict) -> None:
        for rule in self._delays:
            if self._matches(rule.method, rule.chat_id, method, params):
                rule.times -= 1
                if rule.times <= 0:
                    self._delays.remove(rule)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), rule.seconds)
                if self._stopping.is_set():
                    raise BotApiError(502, "Bad Gateway")
                return

    def _apply_fault(self, method: str, params: JSONDict) -> None:
        for rule in self._faults:
            if self._matches(rule.method, rule.chat_id, method, params):
                rule.times -= 1
                if rule.times <= 0:
                    self._faults.remove(rule)
                parameters = {"retry_after": rule.retry_after} if rule.retry_after else None
                raise BotApiError(rule.status, rule.description, parameters)

    async def _dispatch(self, method: str, handler_name: str, req: _Req) -> Any:
        stub = self._stubs.get(method.lower())
        if stub is not None:
            result = stub(req.params) if callable(stub) else copy.deepcopy(stub)
        elif handler_name:
            result = getattr(self, handler_name)(req)
        else:
            raise BotApiError(404, "Not Found: method not found")
        if inspect.isawaitable(result):
            result = await result
        return result

    # ================================================================ state helpers

    def _now(self) -> int:
        return int(self.clock())

    def _assign_update_id(self, update: JSONDict) -> None:
        if "update_id" not in update:
            update["update_id"] = max(next(self._update_ids), self._last_update_id + 1)
        self._last_update_id = max(self._last_update_id, int(update["update_id"]))

    def _emit(self, update: JSONDict, enqueue: bool) -> JSONDict:
        if enqueue:
            return self.push_update(update)
        self._assign_update_id(update)
        return update

    def _user_dict(self, user: FakeUser | JSONDict) -> JSONDict:
        data = user.as_dict() if isinstance(user, FakeUser) else dict(user)
        data.setdefault("is_bot", False)
        data.setdefault("first_name", f"User {data['id']}")
        self._chats[int(data["id"])] = _private_chat_of(data)  # the latest profile wins
        return data

    def _user_update(
        self,
        user: FakeUser | JSONDict,
        content: JSONDict,
        *,
        chat: JSONDict | None,
        reply_to: JSONDict | None = None,
        enqueue: bool,
    ) -> JSONDict:
        sender = self._user_dict(user)
        if chat is None:
            target = self._chats[int(sender["id"])]
        else:
            target = self._chats.setdefault(int(chat["id"]), dict(chat))
        message = self._new_message(target, sender, content)
        if reply_to is not None:
            replied = self._current_message(reply_to)
            message["reply_to_message"] = self._wire(replied, nested=False)
        return self._emit({"message": copy.deepcopy(message)}, enqueue)

    def _current_message(self, message: JSONDict) -> JSONDict:
        for key in ("message", "edited_message", "channel_post"):
            if "update_id" in message and key in message:
                message = message[key]
                break
        if "callback_query" in message:
            message = message["callback_query"]["message"]
        chat_id = int(message["chat"]["id"])
        stored = self._messages.get(chat_id, {}).get(int(message["message_id"]))
        if stored is None:
            raise AssertionError(
                f"message {message['message_id']} in chat {chat_id} is unknown to the fake"
            )
        return stored

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _new_message(self, chat: JSONDict, sender: JSONDict, content: JSONDict) -> JSONDict:
        chat_id = int(chat["id"])
        message: JSONDict = {
            "message_id": self._next_message_id(chat_id),
            "from": dict(sender),
            "chat": dict(chat),
            "date": self._now(),
        }
        message.update(content)
        self._messages.setdefault(chat_id, {})[message["message_id"]] = message
        return message

    def _wire(self, message: JSONDict, *, nested: bool = True) -> JSONDict:
        """Return ``message`` as Telegram would send it (inline keyboards only)."""
        data = copy.deepcopy(message)
        markup = data.get("reply_markup")
        if markup is not None and "inline_keyboard" not in markup:
            del data["reply_markup"]
        if not nested:
            data.pop("reply_to_message", None)
        return data

    def _my_chat_member(self, user: JSONDict, old: str, new: str) -> JSONDict:
        chat = self._chats[int(user["id"])]
        member: JSONDict = {"user": self.bot_user}
        return {
            "my_chat_member": {
                "chat": dict(chat),
                "from": user,
                "date": self._now(),
                "old_chat_member": {**member, "status": old}
                | ({"until_date": 0} if old == "kicked" else {}),
                "new_chat_member": {**member, "status": new}
                | ({"until_date": 0} if new == "kicked" else {}),
            }
        }

    @staticmethod
    def _scope_key(scope: JSONDict | None) -> str:
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    def _resolve_chat(self, value: Any) -> JSONDict:
        chat_id = _normalise_chat_id(value)
        if chat_id is None or chat_id == "":
            raise BotApiError(400, "Bad Request: chat_id is empty")
        if isinstance(chat_id, str):
            name = chat_id.lstrip("@").lower()
            for chat in self._chats.values():
                if str(chat.get("username", "")).lower() == name:
                    return chat
            raise BotApiError(400, _CHAT_NOT_FOUND)
        chat = self._chats.get(chat_id)
        if chat is None:
            if self.strict_chats or chat_id == 0:
                raise BotApiError(400, _CHAT_NOT_FOUND)
            if chat_id > 0:
                chat = {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
            else:
                kind = "supergroup" if str(chat_id).startswith("-100") else "group"
                chat = {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}
            self._chats[chat_id] = chat
        return chat

    def _target_chat(self, req: _Req) -> JSONDict:
        chat = self._resolve_chat(req.get("chat_id"))
        if chat["type"] == "private" and chat["id"] in self.blocked:
            raise BotApiError(403, _BLOCKED)
        return chat

    def _format(
        self,
        req: _Req,
        text_key: str,
        entities_key: str,
        *,
        limit: int,
        too_long: str,
        empty: str | None,
    ) -> tuple[str, list[JSONDict]]:
        raw = req.string(text_key) or ""
        explicit = req.decoded(entities_key, list)
        if explicit is not None:
            text, entities = raw, explicit
        else:
            text, entities = parse_entities(raw, req.string("parse_mode"))
        text, entities = _trim(text, entities)
        if not text and empty is not None:
            raise BotApiError(400, empty)
        if _utf16_len(text) > limit:
            raise BotApiError(400, too_long)
        return text, entities

    def _text_fields(self, req: _Req) -> JSONDict:
        text, entities = self._format(
            req,
            "text",
            "entities",
            limit=4096,
            too_long="Bad Request: message is too long",
            empty="Bad Request: message text is empty",
        )
        fields: JSONDict = {"text": text}
        if entities:
            fields["entities"] = entities
        return fields

    def _caption_fields(self, req: _Req) -> JSONDict:
        text, entities = self._format(
            req,
            "caption",
            "caption_entities",
            limit=1024,
            too_long="Bad Request: message caption is too long",
            empty=None,
        )
        fields: JSONDict = {}
        if text:
            fields["caption"] = text
            if entities:
                fields["caption_entities"] = entities
            if req.flag("show_caption_above_media"):
                fields["show_caption_above_media"] = True
        return fields

    def _reply_markup(self, req: _Req) -> JSONDict | None:
        markup = req.decoded("reply_markup", dict)
        if markup is None:
            return None
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise BotApiError(400, "Bad Request: can't parse inline keyboard markup")
            for row in rows:
                for button in row:
                    self._check_button(button)
        elif not any(key in markup for key in ("keyboard", "remove_keyboard", "force_reply")):
            raise BotApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        return markup

    @staticmethod
    def _check_button(button: Any) -> None:
        unallowed = (
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
            "inline keyboard"
        )
        if not isinstance(button, dict) or not button.get("text"):
            raise BotApiError(400, unallowed)
        if not any(key in button for key in _BUTTON_ACTIONS):
            raise BotApiError(400, unallowed)
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                raise BotApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        if "url" in button:
            url = str(button["url"])
            parts = urllib.parse.urlsplit(url)
            host = (parts.hostname or "").lower()
            bad = parts.scheme not in {"http", "https", "tg", "ton"} or (
                parts.scheme in {"http", "https"}
                and (not host or host == "localhost" or "." not in host)
            )
            if bad:
                raise BotApiError(
                    400,
                    f"Bad Request: inline keyboard button URL '{url}' is invalid: Wrong HTTP URL",
                )

    def _reply_target(self, req: _Req, chat: JSONDict) -> JSONDict | None:
        reply = req.decoded("reply_parameters", dict)
        allow_missing = req.flag("allow_sending_without_reply")
        if reply is None and req.has("reply_to_message_id"):
            reply = {"message_id": req.integer("reply_to_message_id")}
        if reply is None:
            return None
        allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
        source_chat = chat
        if reply.get("chat_id") is not None:
            source_chat = self._resolve_chat(reply["chat_id"])
        message_id = int(reply.get("message_id", 0))
        stored = self._messages.get(int(source_chat["id"]), {}).get(message_id)
        if stored is None or (int(source_chat["id"]), message_id) in self._deleted:
            if allow_missing:
                return None
            raise BotApiError(400, "Bad Request: message to be replied not found")
        return self._wire(stored, nested=False)

    def _check_limits(self, chat_id: int) -> None:
        """Refuse a send over Telegram's limits with 429 (only with ``enforce_limits``)."""
        if not self.enforce_limits:
            return
        now = time.monotonic()
        while self._recent_sends and now - self._recent_sends[0] >= 1.0:
            self._recent_sends.popleft()
        gap = 3.0 if chat_id < 0 else 1.0
        last = self._chat_last_send.get(chat_id)
        if len(self._recent_sends) >= 30 or (last is not None and now - last < gap * 0.95):
            self.limit_violations += 1
            raise BotApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        self._recent_sends.append(now)
        self._chat_last_send[chat_id] = now

    def _send(self, req: _Req, content: JSONDict) -> JSONDict:
        chat = self._target_chat(req)
        self._check_limits(int(chat["id"]))
        reply_to = self._reply_target(req, chat)
        markup = self._reply_markup(req)
        fields = dict(content)
        if reply_to is not None:
            fields["reply_to_message"] = reply_to
        if markup is not None:
            fields["reply_markup"] = markup
        if req.flag("protect_content"):
            fields["has_protected_content"] = True
        if req.has("message_thread_id") and chat["type"] == "supergroup":
            fields["message_thread_id"] = req.integer("message_thread_id")
        message = self._new_message(chat, self.bot_user, fields)
        self._outbox.setdefault(int(chat["id"]), []).append(message)
        self._state_changed.notify()
        return self._wire(message)

    def _store_file(self, stored: _StoredFile) -> None:
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored

    def _new_file(
        self,
        kind: str,
        content: bytes | None,
        folder: str,
        ext: str,
        *,
        filename: str | None = None,
        mime_type: str | None = None,
    ) -> _StoredFile:
        number = next(self._file_counter)
        stored = _StoredFile(
            file_id=f"fake-{kind}-{number:06d}",
            file_unique_id=f"uniq{number:06d}",
            file_path=f"{folder}/file_{number}.{ext}",
            content=content,
            filename=filename,
            mime_type=mime_type,
        )
        self._store_file(stored)
        return stored

    def _input_file(
        self, req: _Req, field_name: str, value: Any, kind: str, folder: str, ext: str
    ) -> _StoredFile:
        upload: UploadedFile | None = None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = req.files.get(value[len("attach://") :])
            if upload is None:
                raise BotApiError(400, f"Bad Request: file {value} not found in the request")
        elif field_name in req.files and (value is None or str(value).startswith("<upload ")):
            upload = req.files[field_name]
        if upload is not None:
            name = upload.filename or ""
            suffix = name.rpartition(".")[2] if "." in name else ext
            return self._new_file(
                kind,
                upload.content,
                folder,
                suffix,
                filename=upload.filename,
                mime_type=upload.content_type,
            )
        if not isinstance(value, str) or not value:
            raise BotApiError(400, f"Bad Request: there is no {field_name} in the request")
        if re.match(r"https?://", value):
            stored = self._new_file(kind, None, folder, ext)
            stored.filename = value.rsplit("/", 1)[-1] or None
            return stored
        stored = self._files.get(value)
        if stored is None:
            raise BotApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return stored

    def _media_object(self, req: _Req, kind: str, stored: _StoredFile, spec: JSONDict) -> Any:
        size = len(stored.content) if stored.content is not None else None
        base: JSONDict = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if size is not None:
            base["file_size"] = size
        if kind == "photo":
            return [{**base, "width": 1280, "height": 960}]
        if kind == "document":
            if stored.filename:
                base["file_name"] = stored.filename
            base["mime_type"] = stored.mime_type or "application/octet-stream"
            return base
        if kind == "voice":
            return {**base, "duration": int(spec.get("duration") or 0), "mime_type": "audio/ogg"}
        if kind == "audio":
            audio = {**base, "duration": int(spec.get("duration") or 0)}
            for key in ("performer", "title"):
                if spec.get(key):
                    audio[key] = spec[key]
            if stored.filename:
                audio["file_name"] = stored.filename
            audio["mime_type"] = stored.mime_type or "audio/mpeg"
            return audio
        if kind in {"video", "animation"}:
            video = {
                **base,
                "width": int(spec.get("width") or 640),
                "height": int(spec.get("height") or 480),
                "duration": int(spec.get("duration") or 0),
                "mime_type": stored.mime_type or "video/mp4",
            }
            if stored.filename:
                video["file_name"] = stored.filename
            return video
        if kind == "video_note":
            return {
                **base,
                "length": int(spec.get("length") or 240),
                "duration": int(spec.get("duration") or 0),
            }
        if kind == "sticker":
            return {
                **base,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        raise BotApiError(400, f"Bad Request: unsupported media type {kind}")

    def _send_media(self, req: _Req, kind: str, folder: str, ext: str) -> JSONDict:
        self._target_chat(req)  # fail fast on blocked/unknown chats, before storing the file
        stored = self._input_file(req, kind, req.params.get(kind), kind, folder, ext)
        content: JSONDict = {kind: self._media_object(req, kind, stored, req.params)}
        if kind != "sticker" and kind != "video_note":
            content.update(self._caption_fields(req))
        if kind == "sticker" and req.string("emoji"):
            content["sticker"]["emoji"] = req.string("emoji")
        if req.flag("has_spoiler"):
            content["has_media_spoiler"] = True
        return self._send(req, content)

    def _edit_target(self, req: _Req) -> JSONDict | None:
        if req.has("inline_message_id"):
            return None
        chat = self._resolve_chat(req.get("chat_id"))
        message_id = req.integer("message_id", required=True)
        assert message_id is not None
        stored = self._messages.get(int(chat["id"]), {}).get(message_id)
        if stored is None or self.is_deleted(int(chat["id"]), message_id):
            raise BotApiError(400, "Bad Request: message to edit not found")
        if stored.get("from", {}).get("id") != self.bot_id:
            raise BotApiError(400, "Bad Request: message can't be edited")
        return stored

    def _finish_edit(
        self, message: JSONDict, changes: JSONDict, markup: JSONDict | None
    ) -> JSONDict:
        inline = markup if markup is not None and "inline_keyboard" in markup else None
        old_markup = message.get("reply_markup")
        old_inline = old_markup if old_markup and "inline_keyboard" in old_markup else None
        unchanged = all(message.get(key) == value for key, value in changes.items())
        if unchanged and inline == old_inline:
            raise BotApiError(400, _MESSAGE_NOT_MODIFIED)
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        if inline is None:
            if old_inline is not None:
                message.pop("reply_markup", None)
        else:
            message["reply_markup"] = inline
        message["edit_date"] = self._now()
        self._state_changed.notify()
        return self._wire(message)

    # ================================================================ Bot API methods

    @_api("getMe")
    def _get_me(self, req: _Req) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @_api("logOut")
    def _log_out(self, req: _Req) -> bool:
        return True

    @_api("close")
    def _close(self, req: _Req) -> bool:
        return True

    @_api("getUpdates")
    async def _get_updates(self, req: _Req) -> list[JSONDict]:
        if self.webhook_url:
            raise BotApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = req.integer("offset")
        limit = min(max(req.integer("limit") or 100, 1), 100)
        timeout = max(req.number("timeout") or 0.0, 0.0)
        if req.has("allowed_updates"):
            allowed = req.decoded("allowed_updates", list)
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES
        if offset is not None and offset > 0:
            self._updates = [u for u in self._updates if int(u["update_id"]) >= offset]
        elif offset is not None and offset < 0:
            self._updates = self._updates[offset:]
        # a newer getUpdates terminates an older, still waiting one (as on Telegram)
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_changed.notify()

        def ready() -> bool:
            return (
                bool(self._deliverable())
                or self._stopping.is_set()
                or self._poll_generation != generation
            )

        if timeout > 0 and not ready():
            with contextlib.suppress(TimeoutError):
                await self._updates_changed.wait_for(ready, timeout)
        if self._poll_generation != generation:
            raise BotApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot "
                "instance is running",
            )
        return copy.deepcopy(self._deliverable()[:limit])

    def _deliverable(self) -> list[JSONDict]:
        def kind(update: JSONDict) -> str:
            return next((key for key in update if key != "update_id"), "")

        self._updates = [u for u in self._updates if kind(u) in self._allowed_updates]
        return self._updates

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Return the queued updates not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    @_api("setWebhook")
    def _set_webhook(self, req: _Req) -> bool:
        url = req.string("url") or ""
        secret = req.string("secret_token")
        if url:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme != "https" or not parts.hostname:
                raise BotApiError(
                    400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
                )
            if (parts.port or 443) not in {80, 88, 443, 8443}:
                raise BotApiError(
                    400,
                    "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 "
                    "or 8443",
                )
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise BotApiError(400, "Bad Request: secret token contains unallowed characters")
        if req.flag("drop_pending_updates"):
            self._updates.clear()
        if req.has("allowed_updates"):
            allowed = req.decoded("allowed_updates", list)
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES
        self.webhook_url = url or None
        self.webhook_secret = secret if url else None
        self.webhook = {k: v for k, v in req.params.items() if k != "certificate"} if url else {}
        if "certificate" in req.files:
            self.webhook["has_custom_certificate"] = True
        self.webhook_history.append(dict(self.webhook))
        return True

    @_api("deleteWebhook")
    def _delete_webhook(self, req: _Req) -> bool:
        if req.flag("drop_pending_updates"):
            self._updates.clear()
        if self.webhook_url is not None:
            self.webhook_history.append({})
        self.webhook_url = None
        self.webhook_secret = None
        self.webhook = {}
        return True

    @_api("getWebhookInfo")
    def _get_webhook_info(self, req: _Req) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url or "",
            "has_custom_certificate": bool(self.webhook.get("has_custom_certificate")),
            "pending_update_count": len(self._deliverable()),
        }
        if self.webhook_url:
            info["max_connections"] = int(self.webhook.get("max_connections") or 40)
            if self.webhook.get("ip_address"):
                info["ip_address"] = self.webhook["ip_address"]
            if self._allowed_updates != DEFAULT_ALLOWED_UPDATES:
                info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    @_api("sendMessage")
    def _send_message(self, req: _Req) -> JSONDict:
        return self._send(req, self._text_fields(req))

    @_api("sendPhoto")
    def _send_photo(self, req: _Req) -> JSONDict:
        return self._send_media(req, "photo", "photos", "jpg")

    @_api("sendDocument")
    def _send_document(self, req: _Req) -> JSONDict:
        return self._send_media(req, "document", "documents", "bin")

    @_api("sendVoice")
    def _send_voice(self, req: _Req) -> JSONDict:
        return self._send_media(req, "voice", "voice", "oga")

    @_api("sendAudio")
    def _send_audio(self, req: _Req) -> JSONDict:
        return self._send_media(req, "audio", "music", "mp3")

    @_api("sendVideo")
    def _send_video(self, req: _Req) -> JSONDict:
        return self._send_media(req, "video", "videos", "mp4")

    @_api("sendAnimation")
    def _send_animation(self, req: _Req) -> JSONDict:
        return self._send_media(req, "animation", "animations", "mp4")

    @_api("sendVideoNote")
    def _send_video_note(self, req: _Req) -> JSONDict:
        return self._send_media(req, "video_note", "video_notes", "mp4")

    @_api("sendSticker")
    def _send_sticker(self, req: _Req) -> JSONDict:
        return self._send_media(req, "sticker", "stickers", "webp")

    @_api("sendLocation")
    def _send_location(self, req: _Req) -> JSONDict:
        latitude, longitude = req.number("latitude"), req.number("longitude")
        if latitude is None or longitude is None:
            raise BotApiError(400, "Bad Request: latitude and longitude are required")
        return self._send(req, {"location": {"latitude": latitude, "longitude": longitude}})

    @_api("sendContact")
    def _send_contact(self, req: _Req) -> JSONDict:
        contact: JSONDict = {
            "phone_number": req.string("phone_number", required=True),
            "first_name": req.string("first_name", required=True),
        }
        for key in ("last_name", "vcard"):
            if req.has(key):
                contact[key] = req.string(key)
        return self._send(req, {"contact": contact})

    @_api("sendMediaGroup")
    def _send_media_group(self, req: _Req) -> list[JSONDict]:
        self._target_chat(req)
        items = req.decoded("media", list)
        if not items or not 2 <= len(items) <= 10:
            raise BotApiError(400, "Bad Request: wrong number of media in the album (2-10)")
        group_id = f"{self.bot_id}{next(self._media_group_counter):06d}"
        folders = {
            "photo": ("photos", "jpg"),
            "document": ("documents", "bin"),
            "audio": ("music", "mp3"),
            "video": ("videos", "mp4"),
        }
        prepared: list[JSONDict] = []
        for item in items:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind not in folders:
                raise BotApiError(400, "Bad Request: unsupported media type in the album")
            folder, ext = folders[kind]
            stored = self._input_file(req, kind, item.get("media"), kind, folder, ext)
            content: JSONDict = {"media_group_id": group_id}
            content[kind] = self._media_object(req, kind, stored, item)
            caption_req = _Req(
                {
                    "caption": item.get("caption"),
                    "parse_mode": item.get("parse_mode"),
                    "caption_entities": item.get("caption_entities"),
                },
                {},
            )
            content.update(self._caption_fields(caption_req))
            prepared.append(content)
        return [self._send(req, content) for content in prepared]

    @_api("copyMessage")
    def _copy_message(self, req: _Req) -> JSONDict:
        source = self._source_message(req)
        content = {
            k: copy.deepcopy(v)
            for k, v in source.items()
            if k
            not in {
                "message_id",
                "from",
                "chat",
                "date",
                "edit_date",
                "reply_markup",
                "reply_to_message",
                "forward_origin",
            }
        }
        if req.has("caption") or req.has("caption_entities"):
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self._caption_fields(req))
        message = self._send(req, content)
        return {"message_id": message["message_id"]}

    @_api("forwardMessage")
    def _forward_message(self, req: _Req) -> JSONDict:
        source = self._source_message(req)
        content = {
            k: copy.deepcopy(v)
            for k, v in source.items()
            if k
            not in {
                "message_id",
                "from",
                "chat",
                "date",
                "edit_date",
                "reply_markup",
                "reply_to_message",
            }
        }
        origin_user = source.get("from") or self.bot_user
        content["forward_origin"] = {
            "type": "user",
            "date": source["date"],
            "sender_user": origin_user,
        }
        return self._send(req, content)

    def _source_message(self, req: _Req) -> JSONDict:
        chat = self._resolve_chat(req.get("from_chat_id"))
        message_id = req.integer("message_id", required=True)
        assert message_id is not None
        stored = self._messages.get(int(chat["id"]), {}).get(message_id)
        if stored is None or self.is_deleted(int(chat["id"]), message_id):
            raise BotApiError(400, "Bad Request: message to copy not found")
        return stored

    @_api("sendChatAction")
    def _send_chat_action(self, req: _Req) -> bool:
        self._target_chat(req)
        action = req.string("action", required=True)
        valid = {
            "typing",
            "upload_photo",
            "record_video",
            "upload_video",
            "record_voice",
            "upload_voice",
            "upload_document",
            "choose_sticker",
            "find_location",
            "record_video_note",
            "upload_video_note",
        }
        if action not in valid:
            raise BotApiError(400, "Bad Request: wrong parameter action in request")
        return True

    @_api("editMessageText")
    def _edit_message_text(self, req: _Req) -> JSONDict | bool:
        markup = self._reply_markup(req)
        fields = self._text_fields(req)
        message = self._edit_target(req)
        if message is None:
            return True
        if "text" not in message:
            raise BotApiError(400, "Bad Request: there is no text in the message to edit")
        changes = {"text": fields["text"], "entities": fields.get("entities")}
        return self._finish_edit(message, changes, markup)

    @_api("editMessageCaption")
    def _edit_message_caption(self, req: _Req) -> JSONDict | bool:
        markup = self._reply_markup(req)
        fields = self._caption_fields(req)
        message = self._edit_target(req)
        if message is None:
            return True
        if "text" in message:
            raise BotApiError(400, "Bad Request: there is no caption in the message to edit")
        changes = {
            "caption": fields.get("caption"),
            "caption_entities": fields.get("caption_entities"),
        }
        return self._finish_edit(message, changes, markup)

    @_api("editMessageReplyMarkup")
    def _edit_message_reply_markup(self, req: _Req) -> JSONDict | bool:
        markup = self._reply_markup(req)
        message = self._edit_target(req)
        if message is None:
            return True
        return self._finish_edit(message, {}, markup)

    @_api("deleteMessage")
    def _delete_message(self, req: _Req) -> bool:
        chat = self._resolve_chat(req.get("chat_id"))
        message_id = req.integer("message_id", required=True)
        assert message_id is not None
        key = (int(chat["id"]), message_id)
        if message_id not in self._messages.get(key[0], {}) or key in self._deleted:
            raise BotApiError(400, "Bad Request: message to delete not found")
        self._deleted.add(key)
        self._state_changed.notify()
        return True

    @_api("deleteMessages")
    def _delete_messages(self, req: _Req) -> bool:
        chat = self._resolve_chat(req.get("chat_id"))
        for message_id in req.decoded("message_ids", list) or []:
            if int(message_id) in self._messages.get(int(chat["id"]), {}):
                self._deleted.add((int(chat["id"]), int(message_id)))
        self._state_changed.notify()
        return True

    @_api("answerCallbackQuery")
    def _answer_callback_query(self, req: _Req) -> bool:
        query_id = req.string("callback_query_id", required=True)
        assert query_id is not None
        if query_id in self._answered_callbacks:
            raise BotApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        text = req.string("text")
        if text is not None and len(text) > 200:
            raise BotApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._answered_callbacks.add(query_id)
        answer: JSONDict = {"callback_query_id": query_id}
        for key in ("text", "show_alert", "url", "cache_time"):
            if req.has(key):
                answer[key] = req.params[key]
        query = self._open_callbacks.get(query_id)
        if query is not None:
            answer["data"] = query.get("data")
            answer["user_id"] = query["from"]["id"]
        self.callback_answers.append(answer)
        self._state_changed.notify()
        return True

    @_api("setMyCommands")
    def _set_my_commands(self, req: _Req) -> bool:
        commands = req.decoded("commands", list)
        if commands is None:
            raise BotApiError(400, "Bad Request: commands is empty")
        if len(commands) > 100:
            raise BotApiError(400, "Bad Request: too many commands")
        cleaned: list[JSONDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise BotApiError(400, "Bad Request: can't parse BotCommand")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise BotApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise BotApiError(400, "Bad Request: command description is empty")
            cleaned.append({"command": name, "description": description})
        key = (self._scope_key(req.decoded("scope", dict)), req.string("language_code") or "")
        if cleaned:
            self.commands[key] = cleaned
        else:
            self.commands.pop(key, None)
        return True

    @_api("getMyCommands")
    def _get_my_commands(self, req: _Req) -> list[JSONDict]:
        key = (self._scope_key(req.decoded("scope", dict)), req.string("language_code") or "")
        return copy.deepcopy(self.commands.get(key, []))

    @_api("deleteMyCommands")
    def _delete_my_commands(self, req: _Req) -> bool:
        key = (self._scope_key(req.decoded("scope", dict)), req.string("language_code") or "")
        self.commands.pop(key, None)
        return True

    @_api("setMyDescription")
    def _set_my_description(self, req: _Req) -> bool:
        text = req.string("description") or ""
        if len(text) > 512:
            raise BotApiError(400, "Bad Request: description is too long")
        self._set_localised(self.descriptions, req, text)
        return True

    @_api("getMyDescription")
    def _get_my_description(self, req: _Req) -> JSONDict:
        return {"description": self._get_localised(self.descriptions, req)}

    @_api("setMyShortDescription")
    def _set_my_short_description(self, req: _Req) -> bool:
        text = req.string("short_description") or ""
        if len(text) > 120:
            raise BotApiError(400, "Bad Request: short description is too long")
        self._set_localised(self.short_descriptions, req, text)
        return True

    @_api("getMyShortDescription")
    def _get_my_short_description(self, req: _Req) -> JSONDict:
        return {"short_description": self._get_localised(self.short_descriptions, req)}

    @_api("setMyName")
    def _set_my_name(self, req: _Req) -> bool:
        self._set_localised(self.names, req, req.string("name") or "")
        return True

    @_api("getMyName")
    def _get_my_name(self, req: _Req) -> JSONDict:
        name = self._get_localised(self.names, req)
        return {"name": name or self.bot_first_name}

    @staticmethod
    def _set_localised(store: dict[str, str], req: _Req, text: str) -> None:
        language = req.string("language_code") or ""
        if text:
            store[language] = text
        else:
            store.pop(language, None)

    @staticmethod
    def _get_localised(store: dict[str, str], req: _Req) -> str:
        language = req.string("language_code") or ""
        return store.get(language, store.get("", ""))

    @_api("getChat")
    def _get_chat(self, req: _Req) -> JSONDict:
        chat = self._resolve_chat(req.get("chat_id"))
        info: JSONDict = {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        return info

    @_api("getChatMember")
    def _get_chat_member(self, req: _Req) -> JSONDict:
        chat = self._resolve_chat(req.get("chat_id"))
        user_id = req.integer("user_id", required=True)
        if user_id == self.bot_id:
            return {"user": self.bot_user, "status": "member"}
        known = self._chats.get(user_id or 0)
        if known is None or known["type"] != "private":
            raise BotApiError(400, "Bad Request: user not found")
        user = {"id": user_id, "is_bot": False, "first_name": known.get("first_name", "")}
        if chat["type"] == "private" and chat["id"] != user_id:
            raise BotApiError(400, "Bad Request: user not found")
        return {"user": user, "status": "member"}

    @_api("getFile")
    def _get_file(self, req: _Req) -> JSONDict:
        file_id = req.string("file_id", required=True)
        assert file_id is not None
        stored = self._files.get(file_id)
        if stored is None:
            raise BotApiError(400, "Bad Request: invalid file_id")
        if stored.content is not None and len(stored.content) > 20 * 1024 * 1024:
            raise BotApiError(400, "Bad Request: file is too big")
        return stored.as_file()

    @_api("pinChatMessage")
    def _pin_chat_message(self, req: _Req) -> bool:
        self._target_chat(req)
        return True

    @_api("unpinChatMessage")
    def _unpin_chat_message(self, req: _Req) -> bool:
        self._target_chat(req)
        return True

    @_api("leaveChat")
    def _leave_chat(self, req: _Req) -> bool:
        self._resolve_chat(req.get("chat_id"))
        return True

    @_api("setChatMenuButton")
    def _set_chat_menu_button(self, req: _Req) -> bool:
        return True

    @_api("getChatMenuButton")
    def _get_chat_menu_button(self, req: _Req) -> JSONDict:
        return {"type": "commands"}

    @_api("setMessageReaction")
    def _set_message_reaction(self, req: _Req) -> bool:
        self._target_chat(req)
        return True
