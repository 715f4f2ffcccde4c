"""A fake WhatsApp Cloud API (Graph API) on loopback, and the webhook calls WhatsApp makes.

The server runs a Starlette app with ``uvicorn`` in the test's event loop, on a free port
of 127.0.0.1, so the door's real httpx client talks HTTP to it::

    async with FakeCloud() as cloud:
        settings = Settings(whatsapp_api_url=cloud.api_url, whatsapp_token=cloud.token, ...)

It takes ``POST /<version>/<phone number id>/messages`` and ``.../media`` with the bearer
token (another token: 401, Graph code 190) and enforces the limits WhatsApp enforces,
answering a Graph-style 400 (code 131009 or 100) when a message breaks one: at most three
reply buttons with titles of at most 20 characters (unique) and ids of at most 256; a
list of at most ten rows with titles of at most 24, descriptions of at most 72 and ids of
at most 200; a body of at most 1024 characters in an interactive message and 4096 in a
text; documents of the types WhatsApp accepts; media ids it knows; a template that the
repository's catalog holds in that language (else 132001), with as many body parameters
as it has placeholders and a quick-reply payload per button (else 132000). Every accepted
message is kept (``sent``) with its ``wamid``. ``fail_next(code, status)`` scripts an error.
``wait_for(predicate)`` waits, without polling, until the messages a process on loopback
sent make ``predicate`` true.

Files people send (``receive_media``) are found as WhatsApp finds them: ``GET
/<version>/<media id>`` with the token answers a download URL, the type and the size;
the URL answers the bytes with the same token. ``expire(media_id)`` forgets a media id
(WhatsApp keeps them for a limited time: 404, Graph code 100), ``expire_urls()`` makes
the download URLs given so far stale (404), and ``fail_next_download(status)`` scripts
a failure of the next media lookup (a 5xx, say).

:func:`webhook` builds the body of a webhook call (messages of one or more people,
statuses, failed ones with their error), and :func:`sign` its ``X-Hub-Signature-256``;
:func:`quick_reply` is a tap on a template's quick reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.handlers.whatsapp.templates import catalog

VERSION = "v23.0"
ACCEPTED_DOCUMENTS = {
    "text/plain",
    "application/pdf",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class _Invalid(Exception):
    def __init__(self, message: str, code: int = 131009) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Upload:
    """A file uploaded to ``/media``."""

    filename: str
    mime_type: str
    content: bytes


@dataclass
class Received:
    """A file someone sent, as WhatsApp holds it."""

    content: bytes
    mime_type: str


@dataclass
class FakeCloud:
    """The fake Graph API; see the module's docstring."""

    token: str = "fake-whatsapp-token"
    phone_number_id: str = "100200300"
    #: Every accepted message body, in order, with the ``wamid`` it got as ``"_id"``.
    sent: list[dict[str, Any]] = field(default_factory=list)
    #: Every refused message body with the error, in order.
    refused: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    uploads: dict[str, Upload] = field(default_factory=dict)
    #: Media ids WhatsApp holds besides the uploads (what people sent).
    known_media: set[str] = field(default_factory=set)
    #: Files people sent, by media id (see :meth:`receive_media`).
    received: dict[str, Received] = field(default_factory=dict)
    #: Media lookups and downloads asked for, in order: ("info" | "download", media id).
    fetched: list[tuple[str, str]] = field(default_factory=list)
    _urls: dict[str, str] = field(default_factory=dict)
    _download_errors: list[int] = field(default_factory=list)
    _errors: list[tuple[int, int]] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task | None = None
    _socket: socket.socket | None = None
    base_url: str = ""

    @property
    def api_url(self) -> str:
        """What ``CIRCLES_WHATSAPP_API_URL`` is set to."""
        return f"{self.base_url}/{VERSION}"

    def fail_next(self, code: int, status: int = 400) -> None:
        """The next message request is refused with Graph error ``code``."""
        self._errors.append((code, status))

    def receive_media(self, media_id: str, content: bytes, mime_type: str) -> None:
        """WhatsApp holds a file someone sent (they then send a message naming it)."""
        self.received[media_id] = Received(content, mime_type)
        self.known_media.add(media_id)

    def expire(self, media_id: str) -> None:
        """WhatsApp no longer holds ``media_id``."""
        self.received.pop(media_id, None)
        self.known_media.discard(media_id)

    def expire_urls(self) -> None:
        """Every download URL given so far stops working (they last minutes)."""
        self._urls.clear()

    def fail_next_download(self, status: int = 500) -> None:
        """The next media lookup answers ``status``."""
        self._download_errors.append(status)

    def sent_to(self, wa_id: str) -> list[dict[str, Any]]:
        """The messages accepted for ``wa_id``, in order."""
        return [m for m in self.sent if m.get("to") == wa_id]

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 30,  # noqa: ASYNC109
        what: str = "condition",
    ) -> None:
        """Wait until ``predicate()`` holds, looking again after every message request (a
        process on loopback sends them, not this test)."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    changed = self._changed
                    await changed.wait()
        except TimeoutError:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    # --- the server -----------------------------------------------------------------

    async def start(self) -> None:
        app = Starlette(
            routes=[
                Route(f"/{VERSION}/{{phone}}/messages", self._messages, methods=["POST"]),
                Route(f"/{VERSION}/{{phone}}/media", self._media, methods=["POST"]),
                Route(f"/{VERSION}/{{media_id}}", self._media_info, methods=["GET"]),
                Route("/download/{token}", self._download, methods=["GET"]),
            ]
        )
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto is TCP; without it every answer waits ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            app, lifespan="off", access_log=False, log_config=None, log_level=None
        )
        config.configure_logging = lambda: None  # type: ignore[method-assign]
        config.load()
        self._server = uvicorn.Server(config)
        self._server.lifespan = config.lifespan_class(config)
        try:
            await self._server.startup(sockets=[sock])
        except BaseException:
            sock.close()
            raise
        self._socket = sock
        self._task = asyncio.create_task(self._server.main_loop())
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            await self._server.shutdown(sockets=[self._socket])
        if self._socket is not None:
            self._socket.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- endpoints ------------------------------------------------------------------

    def _refusal(self, status: int, code: int, message: str) -> JSONResponse:
        error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "F"}
        return JSONResponse({"error": error}, status_code=status)

    def _authorized(self, request: Request) -> bool:
        return (
            request.headers.get("authorization") == f"Bearer {self.token}"
            and request.path_params["phone"] == self.phone_number_id
        )

    async def _media_info(self, request: Request) -> JSONResponse:
        media_id = request.path_params["media_id"]
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self._refusal(401, 190, "Invalid OAuth access token.")
        self.fetched.append(("info", media_id))
        if self._download_errors:
            status = self._download_errors.pop(0)
            return self._refusal(status, 1 if status >= 500 else 100, f"scripted {status}")
        found = self.received.get(media_id)
        if found is None:
            return self._refusal(404, 100, f"Unsupported get request. Object {media_id}")
        token = f"t{next(self._ids)}"
        self._urls[token] = media_id
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "url": f"{self.base_url}/download/{token}",
                "mime_type": found.mime_type,
                "sha256": hashlib.sha256(found.content).hexdigest(),
                "file_size": len(found.content),
                "id": media_id,
            }
        )

    async def _download(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Response(status_code=401)
        media_id = self._urls.get(request.path_params["token"])
        found = self.received.get(media_id or "")
        if media_id is None or found is None:
            return Response(status_code=404)
        self.fetched.append(("download", media_id))
        return Response(found.content, media_type=found.mime_type)

    async def _messages(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return self._refusal(401, 190, "Invalid OAuth access token.")
        try:
            return self._answer(await request.json())
        finally:
            self._notify()

    def _answer(self, body: dict[str, Any]) -> JSONResponse:
        if self._errors:
            code, status = self._errors.pop(0)
            self.refused.append((body, f"scripted {code}"))
            return self._refusal(status, code, f"scripted error {code}")
        try:
            _check_message(body, set(self.uploads) | self.known_media)
        except _Invalid as invalid:
            self.refused.append((body, str(invalid)))
            return self._refusal(400, invalid.code, f"(#{invalid.code}) {invalid}")
        wamid = f"wamid.out{next(self._ids)}"
        self.sent.append(body | {"_id": wamid})
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": wamid}],
            }
        )

    async def _media(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return self._refusal(401, 190, "Invalid OAuth access token.")
        async with request.form() as form:
            upload = form.get("file")
            mime_type = str(form.get("type") or "")
            if (
                form.get("messaging_product") != "whatsapp"
                or upload is None
                or isinstance(upload, str)
            ):
                return self._refusal(400, 100, "messaging_product and file are required")
            if mime_type not in ACCEPTED_DOCUMENTS | {"image/jpeg", "image/png"}:
                return self._refusal(400, 131053, f"unsupported media type {mime_type}")
            media_id = f"media{next(self._ids)}"
            self.uploads[media_id] = Upload(upload.filename or "", mime_type, await upload.read())
        return JSONResponse({"id": media_id})


def _text(value: Any, limit: int, what: str, minimum: int = 1) -> None:
    if not isinstance(value, str) or not minimum <= len(value) <= limit:
        raise _Invalid(f"{what} must be {minimum} to {limit} characters")


def _check_message(body: dict[str, Any], media: set[str]) -> None:
    """Raise :class:`_Invalid` where WhatsApp would refuse ``body``."""
    if body.get("messaging_product") != "whatsapp" or not body.get("to"):
        raise _Invalid("messaging_product and to are required", 100)
    kind = body.get("type")
    content = body.get(kind) if isinstance(kind, str) else None
    if not isinstance(content, dict):
        raise _Invalid(f"no {kind} object", 100)
    if kind == "text":
        _text(content.get("body"), 4096, "text.body")
    elif kind == "interactive":
        _text(content.get("body", {}).get("text"), 1024, "interactive body")
        action = content.get("action", {})
        if content.get("type") == "button":
            buttons = action.get("buttons", [])
            if not 1 <= len(buttons) <= 3:
                raise _Invalid("buttons must have 1 to 3 items")
            titles = [b["reply"]["title"] for b in buttons]
            for button in buttons:
                _text(button["reply"]["title"], 20, "button title")
                _text(button["reply"]["id"], 256, "button id")
            if len(set(titles)) != len(titles):
                raise _Invalid("button titles must be unique")
        elif content.get("type") == "list":
            _text(action.get("button"), 20, "list button")
            rows = [row for section in action.get("sections", []) for row in section["rows"]]
            if not 1 <= len(rows) <= 10:
                raise _Invalid("a list must have 1 to 10 rows")
            for row in rows:
                _text(row.get("title"), 24, "row title")
                _text(row.get("id"), 200, "row id")
                if "description" in row:
                    _text(row["description"], 72, "row description")
        else:
            raise _Invalid("unknown interactive type", 100)
    elif kind in ("image", "document"):
        if content.get("id") not in media:
            raise _Invalid("unknown media id", 131053)
        if "caption" in content:
            _text(content["caption"], 1024, "caption")
    elif kind == "template":
        _check_template(content)
    else:
        raise _Invalid(f"unsupported type {kind}", 100)


def _check_template(content: dict[str, Any]) -> None:
    """Refuse a template Meta does not hold, or one sent with the wrong parameters."""
    _text(content.get("name"), 512, "template name")
    language = content.get("language", {}).get("code")
    if not language:
        raise _Invalid("template language is required", 100)
    template = catalog().get(content["name"], language)
    if template is None:
        raise _Invalid(f"template {content['name']} does not exist in {language}", 132001)
    components = content.get("components", [])
    params = [p for c in components if c.get("type") == "body" for p in c.get("parameters", [])]
    if len(params) != len(template.placeholders()):
        raise _Invalid("number of parameters does not match the expected number", 132000)
    for param in params:
        value = param.get("text")
        if not isinstance(value, str) or not value or "\n" in value or "\t" in value:
            raise _Invalid("a parameter is empty or has a line break or tab", 132000)
    payloads = [c for c in components if c.get("sub_type") == "quick_reply"]
    if len(payloads) != len(template.buttons):
        raise _Invalid("a quick-reply payload is needed per button", 132000)


# --- webhook calls ----------------------------------------------------------------------

_wamids = itertools.count(1)


def message(wa_id: str, kind: str, content: dict[str, Any], *, message_id: str = "") -> dict:
    """One incoming message of ``kind`` (``text``, ``interactive``, ``image``, …)."""
    return {
        "from": wa_id,
        "id": message_id or f"wamid.in{next(_wamids)}",
        "timestamp": "1788800000",
        "type": kind,
        kind: content,
    }


def text(wa_id: str, body: str, **kw: Any) -> dict:
    return message(wa_id, "text", {"body": body}, **kw)


def button_reply(wa_id: str, data: str, title: str, **kw: Any) -> dict:
    reply = {"type": "button_reply", "button_reply": {"id": data, "title": title}}
    return message(wa_id, "interactive", reply, **kw)


def list_reply(wa_id: str, data: str, title: str, **kw: Any) -> dict:
    reply = {"type": "list_reply", "list_reply": {"id": data, "title": title}}
    return message(wa_id, "interactive", reply, **kw)


def image(wa_id: str, media_id: str, caption: str | None = None, **kw: Any) -> dict:
    content = {"id": media_id, "mime_type": "image/jpeg"} | (
        {"caption": caption} if caption else {}
    )
    return message(wa_id, "image", content, **kw)


def quick_reply(wa_id: str, payload: str, text: str, **kw: Any) -> dict:
    """A tap on a template's quick-reply button (it carries the payload the bot gave it)."""
    return message(wa_id, "button", {"payload": payload, "text": text}, **kw)


def voice(wa_id: str, media_id: str, **kw: Any) -> dict:
    content = {"id": media_id, "mime_type": "audio/ogg; codecs=opus", "voice": True}
    return message(wa_id, "audio", content, **kw)


def document(wa_id: str, media_id: str, mime_type: str = "application/pdf", **kw: Any) -> dict:
    content = {"id": media_id, "mime_type": mime_type, "filename": "plan.pdf"}
    return message(wa_id, "document", content, **kw)


def webhook(
    *messages: dict, names: dict[str, str] | None = None, statuses: list[dict] = ()
) -> dict[str, Any]:
    """The body of one webhook call carrying ``messages`` (of any senders) and ``statuses``."""
    senders = list(dict.fromkeys(m["from"] for m in messages))
    names = names or {}
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000000", "phone_number_id": "100200300"},
    }
    if messages:
        value["contacts"] = [
            {"profile": {"name": names.get(s, "Someone")}, "wa_id": s} for s in senders
        ]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": value}]}],
    }


def status(
    wamid: str, wa_id: str, state: str = "delivered", *, error: int | None = None
) -> dict[str, Any]:
    """A status of a message we sent (``failed`` ones with their Graph ``error`` code)."""
    found = {"id": wamid, "status": state, "timestamp": "1788800001", "recipient_id": wa_id}
    if error is not None:
        found["errors"] = [{"code": error, "title": f"error {error}"}]
    return found


def sign(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` WhatsApp sends with ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def encoded(payload: dict[str, Any]) -> bytes:
    """A webhook body as WhatsApp sends it."""
    return json.dumps(payload).encode()
