"""The request body limit, enforced while the body streams, before any route sees it.

A pure ASGI middleware, so it runs before authentication, CSRF checks and parsing: a
``Content-Length`` over the limit is refused at once without reading a byte, and a body
without one (chunked) is counted as it arrives and refused as soon as it passes the
limit. Either way the answer is a 413 problem document (also on the web pages: the
middleware knows no session to render an HTML page with), so a huge body costs the
server at most the limit in memory and never reaches the disk.

Multipart forms of the web pages (the simulator's photo) may be larger than JSON
(``CIRCLES_MAX_UPLOAD_BYTES``); everything else, ``/v1`` and the Telegram and WhatsApp
webhooks included, gets ``CIRCLES_MAX_BODY_BYTES``.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import negotiate_language
from api.problems import problem
from circles.i18n import N_, format_number, translate

#: Paths whose multipart forms get the upload limit.
UPLOAD_PREFIXES = ("/simulator", "/dashboard")
TOO_LARGE = N_("The request is too large: send at most {limit} bytes.")


class BodyTooLarge(Exception):
    """Raised into the app when a streamed body passes the limit."""


class BodyLimit:
    """Refuse request bodies over ``body_bytes`` (``upload_bytes`` for web multipart forms)."""

    def __init__(
        self, app: ASGIApp, *, body_bytes: int, upload_bytes: int, default_language: str
    ) -> None:
        self.app = app
        self.body_bytes = body_bytes
        self.upload_bytes = upload_bytes
        self.default_language = default_language

    def limit_for(self, scope: Scope, headers: Headers) -> int:
        """The limit for this request: uploads only for the web pages' multipart forms."""
        multipart = headers.get("content-type", "").lower().startswith("multipart/form-data")
        if multipart and str(scope.get("path", "")).startswith(UPLOAD_PREFIXES):
            return self.upload_bytes
        return self.body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.limit_for(scope, headers)
        declared = headers.get("content-length")
        if declared is not None:
            if not (declared.isascii() and declared.isdigit()):
                await problem(400)(scope, receive, send)
                return
            if int(declared) > limit:
                await self._refuse(scope, receive, send, headers, limit)
                return

        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded:
                # The app answers its failure to read the body (FastAPI makes it a 400);
                # the 413 below goes out instead.
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refuse(scope, receive, send, headers, limit)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, headers: Headers, limit: int
    ) -> None:
        language = negotiate_language(headers.get("accept-language"), self.default_language)
        detail = translate(TOO_LARGE, language, limit=format_number(limit, language))
        response = problem(413, detail)
        response.headers["content-language"] = language.replace("_", "-")
        response.headers["connection"] = "close"
        await response(scope, receive, send)
