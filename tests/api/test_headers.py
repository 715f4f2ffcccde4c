"""Every answer carries security headers; the web pages run no script they did not ship."""

from __future__ import annotations

import base64
import hashlib
import re

from support.web import sign_in
from support.world import World


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


async def test_web_pages_may_not_be_framed_or_run_injected_scripts(world: World, api) -> None:
    client = api()
    await sign_in(client, world.secrets["facilitator_a"])
    for path in ("/dashboard/sign-in", "/simulator", f"/dashboard/circles/{world.b.circle}"):
        response = await client.get(path)
        assert response.headers["content-type"].startswith("text/html"), path
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        policy = _directives(response.headers["content-security-policy"])
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["default-src"] == ["'self'"]
        assert "'unsafe-inline'" not in policy["script-src"] + policy["style-src"]
        assert "javascript:" not in response.text


async def test_the_pages_own_inline_scripts_are_allowed_by_their_hash(world: World, api) -> None:
    client = api()
    form = await client.get("/simulator")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    await client.post(
        "/simulator/start", data={"csrf": csrf.group(1), "language": "en", "name": "Zoe"}
    )
    chat = await client.get("/simulator")
    scripts = re.findall(r"<script>(.*?)</script>", chat.text, re.DOTALL)
    assert scripts, "the chat page scrolls to its end with a small inline script"
    allowed = _directives(chat.headers["content-security-policy"])["script-src"]
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed


async def test_api_answers_are_not_sniffed_framed_or_rendered(world: World, api, as_role) -> None:
    for response in (await as_role("admin").get("/v1/circles"), await api().get("/v1/circles")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        policy = _directives(response.headers["content-security-policy"])
        assert policy["default-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]


async def test_the_api_docs_run_only_their_own_scripts_and_cannot_be_framed(
    world: World, api
) -> None:
    for path in ("/docs", "/redoc"):
        response = await api().get(path)
        assert response.status_code == 200
        assert response.headers["x-frame-options"] == "DENY"
        policy = _directives(response.headers["content-security-policy"])
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["default-src"] == ["'self'"] and policy["connect-src"] == ["'self'"]
        assert "'unsafe-inline'" not in policy["script-src"]
        inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
        for script in inline:
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in policy["script-src"], path
