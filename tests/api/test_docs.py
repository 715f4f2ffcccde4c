"""``/docs`` and ``/redoc`` work without the internet: every file they load is the server's."""

from __future__ import annotations

import re

import pytest

#: Every URL a page names: in attributes, and Swagger UI's ``url:`` of the schema.
_URLS = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)|url:\s*'([^']+)'""")


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_the_docs_name_only_the_servers_own_urls(path: str, api) -> None:
    client = api()
    page = await client.get(path)
    assert page.status_code == 200
    assert "http:" not in page.text and "https:" not in page.text
    assert not re.search(r"""["'(]//""", page.text)  # no protocol-relative URL either
    urls = [one or two for one, two in _URLS.findall(page.text)]
    assert urls, "the page loads nothing?"
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        loaded = await client.get(url)
        assert loaded.status_code == 200, url
        assert len(loaded.content) > 0, url


async def test_the_assets_and_the_favicon_are_served(api) -> None:
    client = api()
    script = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert (await client.get("/docs/assets/redoc.standalone.js")).status_code == 200
    assert (
        (await client.get("/docs/assets/swagger-ui.css"))
        .headers["content-type"]
        .startswith("text/css")
    )
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    sign_in = await client.get("/dashboard/sign-in")
    assert '<link rel="icon" href="/web-static/favicon.svg"' in sign_in.text
    assert (await client.get("/openapi.json")).status_code == 200
