"""A thin async client of the WhatsApp Cloud API (Graph API), on httpx.

Messages go to ``POST <api url>/<phone number id>/messages``, uploads to
``POST <api url>/<phone number id>/media``, with the bearer token; a file someone sent
is found by ``GET <api url>/<media id>`` (its short-lived URL, type and size) and
downloaded from that URL with the same token. The token and the
text of messages are never logged. Every error the Graph API answers is a
:class:`GraphError` with its HTTP status and Graph error code (``131047``: outside the
24-hour window; ``131026``: the number cannot receive; ``130429``: throttled; ``190``:
the token), so the sender decides per code (:mod:`.codes`).

With ``limits`` (a :class:`circles.pacing.Pacer`, as ``circles run`` gives it), every
message waits for its slot: the number's throughput overall, about one message per 6 s to
one person, and bulk (inside :func:`bulk`, the outbox's bulk rows) at 80 % of the rate,
so the replies of the inbox worker, which shares the client, always find room.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpx

from circles.pacing import Pacer

#: What a media id looks like (it becomes part of a URL path).
_MEDIA_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
#: Seconds a request may take (an upload included).
TIMEOUT = 30.0
#: WhatsApp's advice: about one message per 6 seconds to one person (a short burst of
#: replies aside); Meta's default throughput of a number is 80 messages a second.
PERSON_GAP = 6.0
RATE = 80.0

_BULK: ContextVar[bool] = ContextVar("whatsapp_bulk", default=False)


@contextmanager
def bulk() -> Iterator[None]:
    """Messages sent inside keep to the bulk share of the rate (the outbox's bulk rows)."""
    token = _BULK.set(True)
    try:
        yield
    finally:
        _BULK.reset(token)


def pacer(per_second: float = RATE, gap: float = PERSON_GAP, **clock: Any) -> Pacer:
    """The pacing of one WhatsApp number, ``gap`` seconds apart to one person
    (``now``/``sleep`` may be injected)."""
    return Pacer(per_second=per_second, bulk_share=0.8, gap=gap, **clock)


class GraphError(Exception):
    """The Graph API refused a request, or could not be reached (``status`` 0)."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message

    @property
    def retryable(self) -> bool:
        """Whether trying again later may succeed (5xx, unreachable, throttled)."""
        return self.status == 0 or self.status >= 500 or self.status == 429


@dataclass(frozen=True)
class MediaInfo:
    """Where a file someone sent can be downloaded, for a few minutes, and what it is."""

    url: str
    mime_type: str
    size: int | None


class WhatsAppClient:
    """Sends messages and uploads media for one WhatsApp Business phone number."""

    def __init__(
        self,
        *,
        api_url: str,
        phone_number_id: str,
        token: str,
        http: httpx.AsyncClient | None,
        limits: Pacer | None = None,
    ) -> None:
        self._api = api_url.rstrip("/")
        self._base = f"{self._api}/{phone_number_id}"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._http = http or httpx.AsyncClient(timeout=TIMEOUT)
        self._own = http is None
        #: The number's pacing (None: unpaced, for tests that do not look at it).
        self.limits = limits

    async def aclose(self) -> None:
        """Close the connections (when the client made them)."""
        if self._own:
            await self._http.aclose()

    # --- messages -----------------------------------------------------------------

    async def send_text(self, to: str, text: str) -> str:
        """A text message; returns its ``wamid``."""
        return await self._message(to, "text", {"body": text, "preview_url": False})

    async def send_buttons(self, to: str, body: str, buttons: list[tuple[str, str]]) -> str:
        """An interactive message with up to three reply buttons: (id, title) each."""
        interactive = {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": key, "title": title}}
                    for key, title in buttons
                ]
            },
        }
        return await self._message(to, "interactive", interactive)

    async def send_list(
        self,
        to: str,
        body: str,
        button: str,
        rows: list[tuple[str, str, str | None]],
    ) -> str:
        """An interactive list: the ``button`` that opens it, rows of (id, title, description)."""
        interactive = {
            "type": "list",
            "body": {"text": body},
            "action": {
                "button": button,
                "sections": [
                    {
                        "rows": [
                            {"id": key, "title": title}
                            | ({"description": description} if description else {})
                            for key, title, description in rows
                        ]
                    }
                ],
            },
        }
        return await self._message(to, "interactive", interactive)

    async def send_image(self, to: str, media_id: str, caption: str | None = None) -> str:
        """A photo WhatsApp holds (by media id)."""
        return await self._message(to, "image", _media(media_id, caption))

    async def send_document(
        self, to: str, media_id: str, caption: str | None = None, filename: str | None = None
    ) -> str:
        """A document WhatsApp holds (by media id)."""
        document = _media(media_id, caption) | ({"filename": filename} if filename else {})
        return await self._message(to, "document", document)

    async def send_template(
        self,
        to: str,
        name: str,
        language: str,
        parameters: Sequence[str] = (),
        payloads: Sequence[str] = (),
    ) -> str:
        """An approved template: its body ``parameters`` and its quick-reply ``payloads``."""
        components: list[dict[str, Any]] = []
        if parameters:
            components.append(
                {"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}
            )
        for index, payload in enumerate(payloads):
            components.append(
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": str(index),
                    "parameters": [{"type": "payload", "payload": payload}],
                }
            )
        template = {"name": name, "language": {"code": language}, "components": components}
        return await self._message(to, "template", template)

    # --- media ----------------------------------------------------------------------

    async def upload(self, content: bytes, *, filename: str, mime_type: str) -> str:
        """Upload a file; returns the media id to send it by."""
        data = await self._post(
            "/media",
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (filename, content, mime_type)},
        )
        media_id = data.get("id")
        if not isinstance(media_id, str):
            raise GraphError(200, None, "the upload answer has no media id")
        return media_id

    async def media_info(self, media_id: str) -> MediaInfo:
        """Where to download a file someone sent (by its media id), its type and size."""
        if not _MEDIA_ID.fullmatch(media_id):
            raise GraphError(400, None, "not a media id")
        data = await self._call("GET", f"{self._api}/{media_id}")
        url, mime_type, size = data.get("url"), data.get("mime_type"), data.get("file_size")
        if not isinstance(url, str) or not isinstance(mime_type, str):
            raise GraphError(200, None, "the media answer has no url or type")
        return MediaInfo(url, mime_type, int(size) if isinstance(size, int | str) else None)

    async def download(self, url: str, *, limit: int) -> bytes:
        """A file from the URL :meth:`media_info` gave; refused (413) past ``limit`` bytes."""
        try:
            async with self._http.stream("GET", url, headers=self._headers) as response:
                if response.status_code >= 400:
                    raise GraphError(response.status_code, None, response.reason_phrase)
                content = bytearray()
                async for piece in response.aiter_bytes():
                    content += piece
                    if len(content) > limit:
                        raise GraphError(413, None, "the file is larger than allowed")
                return bytes(content)
        except httpx.HTTPError as exc:
            raise GraphError(0, None, type(exc).__name__) from exc

    # --- the wire -------------------------------------------------------------------

    async def _message(self, to: str, kind: str, content: dict[str, Any]) -> str:
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": kind,
            kind: content,
        }
        if self.limits is not None:
            await self.limits.pause(self.limits.reserve(to, bulk=_BULK.get()))
        data = await self._post("/messages", json=body)
        try:
            return str(data["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise GraphError(200, None, "the answer has no message id") from None

    async def _post(self, path: str, **request: Any) -> dict[str, Any]:
        return await self._call("POST", self._base + path, **request)

    async def _call(self, method: str, url: str, **request: Any) -> dict[str, Any]:
        try:
            response = await self._http.request(method, url, headers=self._headers, **request)
        except httpx.HTTPError as exc:
            raise GraphError(0, None, type(exc).__name__) from exc
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code >= 400 or not isinstance(data, dict):
            error = data.get("error", {}) if isinstance(data, dict) else {}
            code = error.get("code") if isinstance(error, dict) else None
            message = error.get("message", "") if isinstance(error, dict) else ""
            raise GraphError(
                response.status_code,
                code if isinstance(code, int) else None,
                str(message)[:200] or response.reason_phrase,
            )
        return data


def _media(media_id: str, caption: str | None) -> dict[str, Any]:
    return {"id": media_id} | ({"caption": caption} if caption else {})
