"""``/docs`` and ``/redoc`` served whole by this server: no CDN, so they work offline.

Swagger UI and ReDoc come from the files the ``fastapi-offline`` package ships (its
``static`` folder: ``swagger-ui-bundle.js``, ``swagger-ui.css``, ``redoc.standalone.js``),
mounted at :data:`ASSETS_URL`; the pages are FastAPI's own, pointed at those files, with
Swagger UI's online validator turned off and ReDoc without Google Fonts. Each page carries
its own Content-Security-Policy (:func:`policy`): scripts from this origin and the page's
one inline script by its hash, requests to this origin only.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs/assets"
FAVICON = Path(__file__).parent / "web" / "static" / "favicon.svg"
FAVICON_URL = "/web-static/favicon.svg"


def policy(html: str) -> str:
    """The Content-Security-Policy of a docs page: its own origin and inline scripts only.

    Styles may be inline: Swagger UI and ReDoc set them from their scripts. ReDoc runs its
    search in a worker made from a ``blob:`` URL.
    """
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    ]
    return "; ".join(
        [
            "default-src 'self'",
            " ".join(["script-src 'self'", *hashes]),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


def _with_policy(response: HTMLResponse) -> HTMLResponse:
    response.headers["content-security-policy"] = policy(bytes(response.body).decode())
    return response


def install(app: FastAPI) -> None:
    """Serve ``/docs``, ``/redoc``, their assets and ``/favicon.ico`` (the app has no docs
    routes of its own: create it with ``docs_url=None, redoc_url=None``)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    redirect_url = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return _with_policy(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} · Swagger UI",
                swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=FAVICON_URL,
                oauth2_redirect_url=redirect_url,
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @app.get(redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return _with_policy(get_swagger_ui_oauth2_redirect_html())

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _with_policy(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} · ReDoc",
                redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=FAVICON_URL,
                with_google_fonts=False,
            )
        )

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(FAVICON, media_type="image/svg+xml")
