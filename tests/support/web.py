"""Helpers for tests of the web pages: CSRF values, buttons, signing in."""

from __future__ import annotations

import html
import re

import httpx

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_BUTTON = re.compile(
    r'name="bubble" value="(\d+)">\s*<input type="hidden" name="data" value="([^"]+)">\s*'
    r'<button type="submit" class="choice">([^<]+)<'
)


def csrf_of(page: str) -> str:
    """The CSRF value of the page's forms."""
    found = _CSRF.search(page)
    assert found, "the page has no form with a CSRF value"
    return found.group(1)


def buttons_of(page: str) -> list[tuple[int, str, str]]:
    """Every chat button on a simulator page: (bubble, callback data, label)."""
    return [(int(b), d, html.unescape(label).strip()) for b, d, label in _BUTTON.findall(page)]


async def sign_in(client: httpx.AsyncClient, token: str) -> httpx.Response:
    """Sign in to the dashboard with ``token`` through the form."""
    form = await client.get("/dashboard/sign-in")
    return await client.post(
        "/dashboard/sign-in", data={"csrf": csrf_of(form.text), "token": token}
    )
