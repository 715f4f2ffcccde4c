"""A fake Graph API for WhatsApp message templates, on loopback, for tests.

It serves ``GET`` and ``POST <base>/<account id>/message_templates`` as Meta does, page
by page (``paging.next``), checks the bearer token (a wrong one is error 190) and the
shape of a template to create (name, language, UTILITY, a body whose parameters each have
a sample, quick replies), and refuses one that exists. Tests seed what Meta already holds
with :meth:`FakeGraphTemplates.add` and script Meta's review with ``verdicts``
(name → status and reason given at creation).

It runs in a thread of its own with its own event loop, so that a test can drive the
``circles`` command line (which runs ``asyncio.run``) against it as well as async code::

    with FakeGraphTemplates() as graph:
        graph.add("broadcast", "en", status="APPROVED")
        ... CIRCLES_WHATSAPP_API_URL=graph.base_url ...
        assert graph.created == [...]
"""

from __future__ import annotations

import asyncio
import itertools
import re
import socket
import threading
from dataclasses import dataclass, field
from typing import Any, Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_NAME = re.compile(r"[a-z0-9_]{1,512}")
_PARAM = re.compile(r"\{\{(\d+)\}\}")


@dataclass
class Verdict:
    """What Meta's review says of a template created in the fake."""

    status: str = "PENDING"
    reason: str = "NONE"


@dataclass
class FakeGraphTemplates:
    """Meta's template endpoints for one WhatsApp Business Account."""

    token: str = "test-whatsapp-token"
    account_id: str = "102030405060"
    page_size: int = 25
    #: What Meta holds: dicts as the Graph API returns them.
    templates: list[dict[str, Any]] = field(default_factory=list)
    #: Every template created through the fake (the POST bodies), in order.
    created: list[dict[str, Any]] = field(default_factory=list)
    #: Every request: (method, path).
    requests: list[tuple[str, str]] = field(default_factory=list)
    #: Review outcome per template name (default: pending).
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    base_url: str = ""

    def __post_init__(self) -> None:
        self._ids = itertools.count(9000)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._app = Starlette(
            routes=[
                Route(
                    "/{account}/message_templates",
                    self._templates,
                    methods=["GET", "POST"],
                )
            ]
        )

    def add(
        self,
        name: str,
        language: str,
        *,
        status: str = "APPROVED",
        reason: str = "NONE",
        body: str = "",
    ) -> None:
        """A template Meta already holds."""
        self.templates.append(
            {
                "id": str(next(self._ids)),
                "name": name,
                "language": language,
                "status": status,
                "category": "UTILITY",
                "rejected_reason": reason,
                "components": [{"type": "BODY", "text": body}],
            }
        )

    # --- HTTP -------------------------------------------------------------------------

    async def _templates(self, request: Request) -> JSONResponse:
        self.requests.append((request.method, request.url.path))
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if request.path_params["account"] != self.account_id:
            return _error(400, 100, "Unsupported get request. Object does not exist")
        if request.method == "GET":
            return self._page(request)
        return self._create(await request.json())

    def _page(self, request: Request) -> JSONResponse:
        after = int(request.query_params.get("after", "0"))
        limit = min(int(request.query_params.get("limit", self.page_size)), self.page_size)
        data = self.templates[after : after + limit]
        page: dict[str, Any] = {"data": data}
        if after + limit < len(self.templates):
            page["paging"] = {
                "cursors": {"after": str(after + limit)},
                "next": f"{self.base_url}/{self.account_id}/message_templates"
                f"?fields=name,language,status&limit={limit}&after={after + limit}",
            }
        return JSONResponse(page)

    def _create(self, body: dict[str, Any]) -> JSONResponse:
        name, language = body.get("name", ""), body.get("language", "")
        problem = _invalid(body)
        if problem:
            return _error(400, 100, problem)
        if any(t["name"] == name and t["language"] == language for t in self.templates):
            return _error(400, 100, f"Content in this language already exists: {name}")
        verdict = self.verdicts.get(name, Verdict())
        self.created.append(body)
        item = {
            "id": str(next(self._ids)),
            "name": name,
            "language": language,
            "status": verdict.status,
            "category": "UTILITY",
            "rejected_reason": verdict.reason,
            "components": body["components"],
        }
        self.templates.append(item)
        return JSONResponse(
            {"id": item["id"], "status": verdict.status, "category": "UTILITY"}
            | ({"rejected_reason": verdict.reason} if verdict.status == "REJECTED" else {})
        )

    # --- running ----------------------------------------------------------------------

    def start(self) -> None:
        """Serve on 127.0.0.1, a free port, in a thread (sets ``base_url``)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            self._app, lifespan="off", access_log=False, log_config=None, log_level=None
        )
        config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        ready = threading.Event()
        self._server = server
        self._thread = threading.Thread(target=self._serve, args=(server, sock, ready))
        self._thread.start()
        if not ready.wait(timeout=10):
            raise RuntimeError("the fake Graph API did not start")
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    @staticmethod
    def _serve(server: uvicorn.Server, sock: socket.socket, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(server.startup(sockets=[sock]))
            ready.set()
            loop.run_until_complete(server.main_loop())
            loop.run_until_complete(server.shutdown(sockets=[sock]))
        finally:
            loop.close()
            sock.close()

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": "OAuthException", "code": code}},
        status_code=status,
    )


def _invalid(body: dict[str, Any]) -> str | None:
    """Why Meta would refuse to create ``body``, or None."""
    if not _NAME.fullmatch(str(body.get("name", ""))):
        return "Invalid parameter: name"
    if body.get("category") != "UTILITY":
        return "Invalid parameter: category"
    components = body.get("components") or []
    bodies = [c for c in components if c.get("type") == "BODY"]
    if len(bodies) != 1 or not bodies[0].get("text"):
        return "Invalid parameter: a template needs one BODY"
    params = _PARAM.findall(bodies[0]["text"])
    samples = (bodies[0].get("example") or {}).get("body_text") or [[]]
    if params and len(samples[0]) != len(params):
        return "Invalid parameter: each body parameter needs a sample"
    for component in components:
        if component.get("type") == "BUTTONS":
            buttons = component.get("buttons") or []
            if any(b.get("type") != "QUICK_REPLY" or len(b.get("text", "")) > 25 for b in buttons):
                return "Invalid parameter: buttons"
    return None
