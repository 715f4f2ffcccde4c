"""What every web page shares: the signed session cookie, CSRF, templates, language, errors.

The session is one cookie, signed with :mod:`itsdangerous` (``CIRCLES_WEB_SECRET``, else
a random key per process), ``HttpOnly`` and ``SameSite=Lax``. It holds a CSRF value,
the key of the dashboard's server-side session (never the token; see
:mod:`circles.services.websessions`) and the simulator's synthetic chat id. Every POST
form carries the CSRF value, compared in constant time. Every page is sent with
:data:`CONTENT_SECURITY_POLICY` (by :mod:`api.headers`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_percent
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.deps import negotiate_language
from circles.errors import DomainError
from circles.i18n import (
    N_,
    SUPPORTED_LANGUAGES,
    _,
    current_language,
    format_datetime,
    format_number,
    language_name,
    ngettext,
    use_language,
)
from circles.services import media
from circles.services.websessions import SESSION_LENGTH
from circles.settings import Settings

log = logging.getLogger(__name__)

COOKIE = "lc_web"
#: The cookie lasts as long as a dashboard session (a working day).
SESSION_SECONDS = int(SESSION_LENGTH.total_seconds())
WEB_PREFIXES = ("/simulator", "/dashboard", "/practices")
NO_SUCH_PAGE = N_("There is no such page.")

TEMPLATES = Path(__file__).parent / "templates"


def _inline_script_hashes() -> list[str]:
    """CSP hashes of the templates' inline scripts, so they run and no injected one does."""
    hashes = set()
    for template in sorted(TEMPLATES.glob("*.html")):
        for script in re.findall(r"<script>(.*?)</script>", template.read_text(), re.DOTALL):
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            hashes.add(f"'sha256-{digest}'")
    return sorted(hashes)


#: The pages load scripts, styles and images from this origin only (photos the simulator
#: shows are ``data:`` URLs), post forms to it only, and may not be framed.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        " ".join(["script-src 'self'", *_inline_script_hashes()]),
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def teacher_photo(circle_id: int, person_id: int | None, file_id: str | None) -> str | None:
    """Where a page shows a teacher's photo kept in the media store (served by
    ``api.web.teachers.photo``, which checks the viewer); None for a photo the store does
    not hold (Telegram's are named, never fetched)."""
    if person_id is None or file_id is None or not media.is_stored(file_id):
        return None
    if not media.content_type_of(file_id).startswith("image/"):
        return None
    name = file_id.removeprefix(media.PREFIX)
    return f"/dashboard/circles/{circle_id}/teachers/{person_id}/photos/{name}"


def percent(value: float | None) -> str:
    """A fraction as a percentage in the reader's language; a dash when there is none."""
    return "–" if value is None else format_percent(value, locale=current_language())


_templates = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.globals.update(
    _=lambda message: _(message),
    ngettext=lambda singular, plural, n: ngettext(singular, plural, n),
    format_number=lambda value: format_number(value),
    format_datetime=lambda when, zone: format_datetime(when, zone),
    format_date=lambda day: format_date(day, "medium", locale=current_language()),
    percent=percent,
    language_name=language_name,
    languages=SUPPORTED_LANGUAGES,
    teacher_photo=teacher_photo,
    country_name=lambda code: country_name(code),
)


class WebError(Exception):
    """A page that cannot be shown: an HTML error page with ``status`` and a message id."""

    def __init__(self, status: int, message: str, **params: object) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.params = params


class SignInRequired(Exception):
    """The dashboard needs a signed-in token: send the browser to the sign-in form."""


class WebSession:
    """The decoded session cookie; changes are written back by :func:`page`/:func:`redirect`."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.changed = False
        if not isinstance(data.get("csrf"), str):
            self.data["csrf"] = secrets.token_urlsafe(24)
            self.changed = True

    @property
    def csrf(self) -> str:
        """The value every POST form must send back."""
        return str(self.data["csrf"])

    def get(self, key: str) -> Any:
        """A stored value, or None."""
        return self.data.get(key)

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` (None removes the key)."""
        if value is None:
            self.data.pop(key, None)
        else:
            self.data[key] = value
        self.changed = True

    def check_csrf(self, sent: str | None) -> None:
        """Refuse a POST whose CSRF value is missing or wrong."""
        if not sent or not hmac.compare_digest(sent.encode(), self.csrf.encode()):
            raise WebError(403, N_("This form has expired. Please reload the page and try again."))


def _serializer(request: Request) -> URLSafeTimedSerializer:
    state = request.app.state
    if getattr(state, "web_serializer", None) is None:
        settings: Settings = state.settings
        key = (
            settings.web_secret.get_secret_value()
            if settings.web_secret is not None
            else secrets.token_urlsafe(32)
        )
        state.web_serializer = URLSafeTimedSerializer(key, salt="learning-circles-web")
    return state.web_serializer


def web_session(request: Request) -> WebSession:
    """The request's session (a fresh one when the cookie is missing, forged or too old)."""
    raw = request.cookies.get(COOKIE)
    data: dict[str, Any] = {}
    if raw:
        try:
            loaded = _serializer(request).loads(raw, max_age=SESSION_SECONDS)
            data = loaded if isinstance(loaded, dict) else {}
        except BadSignature:
            data = {}
    return WebSession(data)


def _store(request: Request, response: Response, session: WebSession) -> Response:
    if session.changed:
        response.set_cookie(
            COOKIE,
            _serializer(request).dumps(session.data),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
    response.headers["Cache-Control"] = "no-store"
    return response


def language_of(request: Request, preferred: str | None = None) -> str:
    """The page language: the person's or token holder's, else ``Accept-Language``."""
    settings: Settings = request.app.state.settings
    if preferred in SUPPORTED_LANGUAGES:
        return preferred
    return negotiate_language(request.headers.get("accept-language"), settings.default_language)


def page(
    request: Request,
    session: WebSession,
    template: str,
    *,
    language: str,
    status: int = 200,
    **context: Any,
) -> Response:
    """Render ``template`` in ``language`` and keep the session."""
    with use_language(language):
        html = _templates.get_template(template).render(
            request=request, csrf=session.csrf, language=language, **context
        )
    return _store(request, HTMLResponse(html, status_code=status), session)


def public_page(
    request: Request, template: str, *, language: str, status: int = 200, **context: Any
) -> Response:
    """Render a page of the public repository: no session, no cookie, nothing of the visitor."""
    with use_language(language):
        html = _templates.get_template(template).render(
            request=request, csrf="", language=language, **context
        )
    response = HTMLResponse(html, status_code=status)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def country_name(code: str) -> str:
    """``GH`` in the reader's language."""
    return str(Locale.parse(current_language()).territories.get(code.upper(), code))


def redirect(request: Request, session: WebSession, url: str) -> Response:
    """See-other to ``url`` (after a POST), keeping the session."""
    return _store(request, RedirectResponse(url, status_code=303), session)


def _is_web(request: Request) -> bool:
    return request.url.path.startswith(WEB_PREFIXES)


def install_errors(app: FastAPI) -> None:
    """Show errors of web pages as HTML; everything else keeps the API's problem details."""
    api_handler = app.exception_handlers.get(DomainError)

    async def on_domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        if not _is_web(request) and api_handler is not None:
            result = api_handler(request, exc)
            return await result if isinstance(result, Awaitable) else result
        return _error_page(request, exc.status, exc.message, exc.params)

    async def on_web_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WebError)
        return _error_page(request, exc.status, exc.message, exc.params)

    api_validation = app.exception_handlers.get(RequestValidationError)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        in_path = any((error.get("loc") or ("",))[0] == "path" for error in exc.errors())
        if _is_web(request) and in_path:
            # /dashboard/circles/99999999999999999999: no such page, not a broken form.
            return _error_page(request, 404, NO_SUCH_PAGE, {})
        assert api_validation is not None
        result = api_validation(request, exc)
        return await result if isinstance(result, Awaitable) else result

    async def on_sign_in(request: Request, exc: Exception) -> Response:
        return RedirectResponse("/dashboard/sign-in", status_code=303)

    handlers: dict[type[Exception], Callable[[Request, Exception], Awaitable[Response]]] = {
        DomainError: on_domain_error,
        WebError: on_web_error,
        SignInRequired: on_sign_in,
        RequestValidationError: on_validation_error,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)


def _error_page(request: Request, status: int, message: str, params: dict[str, Any]) -> Response:
    language = getattr(request.state, "web_language", None) or language_of(request)
    with use_language(language):
        text = _(message).format(**params)
    return page(
        request,
        web_session(request),
        "error.html",
        language=language,
        status=status,
        status_code=status,
        message=text,
        # A link, not ``javascript:history.back()``: the CSP lets no inline script run.
        back=_back(request.url.path),
    )


def _back(path: str) -> str:
    """Where an error page's link leads: the part of the site the visitor was in."""
    for prefix in ("/simulator", "/practices"):
        if path.startswith(prefix):
            return prefix
    return "/dashboard"
