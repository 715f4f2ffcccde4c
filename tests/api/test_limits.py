"""Request bodies are bounded while they stream: a huge body costs the server nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import starlette.formparsers
from support.world import World

from api.app import create_app

MB = 1024 * 1024


class Chunks:
    """A request body sent in 64 KiB chunks without Content-Length; counts what was read."""

    def __init__(self, total: int, head: bytes = b"") -> None:
        self.total, self.sent, self.head = total, 0, head

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.head
        while self.sent < self.total:
            self.sent += 64 * 1024
            yield b"x" * (64 * 1024)


async def test_a_stranger_posting_2_mb_of_json_is_refused_before_the_token_is_checked(
    world: World, api
) -> None:
    response = await api().post(
        "/v1/circles",
        content=b"[" + b"1," * MB + b"1]",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The request is too large: send at most 1,048,576 bytes."


async def test_a_streamed_body_without_length_is_cut_off_at_the_limit(world: World, api) -> None:
    body = Chunks(20 * MB)
    response = await api().post(
        "/v1/circles", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["status"] == 413
    assert body.sent <= MB + 64 * 1024  # the server stopped reading at the limit


async def test_a_streamed_body_with_a_token_is_cut_off_too(world: World, as_role) -> None:
    body = Chunks(2 * MB)
    response = await as_role("admin").post(
        "/v1/tokens", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_an_ordinary_body_still_gets_through(world: World, as_role) -> None:
    response = await as_role("admin").post("/v1/tokens", json={"name": "x" * 1000, "role": "admin"})
    assert response.status_code == 422  # read and validated: the name is too long


@pytest.fixture
def spooled(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every temporary file the form parser opens (uploads over 1 MB go to disk)."""
    opened: list[object] = []
    real = starlette.formparsers.SpooledTemporaryFile

    def spy(*args, **kwargs):
        opened.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(starlette.formparsers, "SpooledTemporaryFile", spy)
    return opened


async def test_an_11_mb_photo_is_refused_and_never_written_to_disk(
    world: World, api, spooled: list[object]
) -> None:
    photo = b"\xff\xd8\xff" + b"\0" * (11 * MB)
    response = await api().post(
        "/simulator/photo",
        data={"csrf": "whatever", "caption": "big"},
        files={"file": ("big.jpg", photo, "image/jpeg")},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "10,485,760 bytes" in response.json()["detail"]
    assert spooled == []


async def test_a_streamed_11_mb_upload_is_cut_off_too(world: World, api) -> None:
    head = (
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n"
    )
    body = Chunks(11 * MB, head)
    response = await api().post(
        "/simulator/photo",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert response.status_code == 413
    assert body.sent <= 10 * MB + 64 * 1024


async def test_json_cannot_borrow_the_upload_limit_by_claiming_to_be_multipart(
    world: World, api
) -> None:
    response = await api().post(
        "/v1/circles",
        content=b"x" * (2 * MB),
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert response.status_code == 413


async def test_the_limit_speaks_the_callers_language(world: World, api) -> None:
    response = await api(**{"Accept-Language": "de"}).post("/v1/circles", content=b"x" * (2 * MB))
    assert response.status_code == 413
    assert response.headers["content-language"] == "de"


async def test_an_operator_can_set_a_lower_limit(settings, engine, clock) -> None:
    app = create_app(settings.model_copy(update={"max_body_bytes": 2048}), engine, clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api"
    ) as client:
        response = await client.post("/v1/circles", content=b"x" * 4096)
    assert response.status_code == 413
    assert "2,048 bytes" in response.json()["detail"]
