"""Security headers on every response: the web pages' Content-Security-Policy and the rest.

Every response says ``nosniff``, may not be framed and sends no referrer. HTML pages of
``/dashboard`` and ``/simulator`` (and their error pages) get :data:`api.web.pages.
CONTENT_SECURITY_POLICY`: only this origin's scripts, styles and forms. JSON and other
responses get ``default-src 'none'``. The interactive API docs (``/docs``, ``/redoc``) set
their own policy (:func:`api.docs.policy`: this origin only, their inline script by its
hash); their assets under ``/docs/assets`` get only ``frame-ancestors``.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.web.pages import CONTENT_SECURITY_POLICY

DOCS_PREFIXES = ("/docs", "/redoc")
ALWAYS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def policy_for(path: str, content_type: str) -> str:
    """The Content-Security-Policy of a response to ``path`` with ``content_type``."""
    if path.startswith(DOCS_PREFIXES):
        return "frame-ancestors 'none'"
    if content_type.startswith("text/html"):
        return CONTENT_SECURITY_POLICY
    return "default-src 'none'; frame-ancestors 'none'"


class SecurityHeaders:
    """Add the security headers to every HTTP response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    headers.setdefault(name, value)
                policy = policy_for(path, headers.get("content-type", ""))
                headers.setdefault("content-security-policy", policy)
            await send(message)

        await self.app(scope, receive, with_headers)
