"""A round-robin reverse proxy on loopback: the load balancer in front of replicas.

Each request goes to the next upstream in turn, whatever it is and whoever sent it, as a
load balancer without sticky sessions does. An upstream that cannot be reached (a killed
replica) gets the request answered 502 — the caller (the fake Telegram) delivers it
again, and the next upstream in turn takes it — as nginx answers a POST it may not retry.
"""

from __future__ import annotations

import itertools
import socket
from types import TracebackType
from typing import Self

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

#: Headers that belong to one hop and are not passed on.
HOP = {"host", "connection", "content-length", "transfer-encoding", "keep-alive"}


class RoundRobinProxy:
    """Serves on 127.0.0.1 (``url``) and forwards every request to ``upstreams`` in turn."""

    def __init__(self, upstreams: list[str]) -> None:
        self.upstreams = upstreams
        self._turn = itertools.cycle(range(len(upstreams)))
        #: Which upstream each forwarded request went to, and its status (502: unreachable).
        self.forwarded: list[tuple[int, int]] = []
        self._app = Starlette(
            routes=[Route("/{path:path}", self._forward, methods=["GET", "POST"])]
        )
        self._server: uvicorn.Server | None = None
        self._socket: socket.socket | None = None
        self._client = httpx.AsyncClient(timeout=30)
        self.url = ""

    def _choose(self, request: Request) -> int:
        """Which upstream takes ``request``: the next in turn."""
        return next(self._turn)

    async def _forward(self, request: Request) -> Response:
        index = self._choose(request)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        try:
            answer = await self._client.request(
                request.method,
                self.upstreams[index] + request.url.path,
                content=await request.body(),
                headers=headers,
            )
        except httpx.TransportError:
            self.forwarded.append((index, 502))
            return Response(status_code=502)
        self.forwarded.append((index, answer.status_code))
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP}
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    async def __aenter__(self) -> Self:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            self._app, lifespan="off", access_log=False, log_config=None, log_level=None
        )
        config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        await server.startup(sockets=[sock])
        self._server, self._socket = server, sock
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            await self._server.shutdown(sockets=[self._socket] if self._socket else None)
        if self._socket is not None:
            self._socket.close()
        await self._client.aclose()


class BotApiByToken(RoundRobinProxy):
    """One Bot API address for several bots: a request for ``/bot<token>/…`` (or
    ``/file/bot<token>/…``) goes to the fake Bot API of that token, as Telegram's one
    address serves every bot. ``fakes`` are ``(token, base address)`` pairs."""

    def __init__(self, fakes: list[tuple[str, str]]) -> None:
        super().__init__([address for _token, address in fakes])
        self._tokens = [token for token, _address in fakes]

    def _choose(self, request: Request) -> int:
        path = request.url.path.removeprefix("/file")
        token = path.removeprefix("/bot").split("/", 1)[0]
        return self._tokens.index(token) if token in self._tokens else 0


class GraphApiByNumber(RoundRobinProxy):
    """One Graph API address for several WhatsApp numbers: ``/<version>/<phone number
    id>/…`` goes to the fake Cloud API of that number (anything else to the first), as
    Meta's one address serves every number. ``fakes`` are ``(phone number id, base
    address)`` pairs."""

    def __init__(self, fakes: list[tuple[str, str]]) -> None:
        super().__init__([address for _number, address in fakes])
        self._numbers = [number for number, _address in fakes]

    def _choose(self, request: Request) -> int:
        parts = request.url.path.split("/")
        number = parts[2] if len(parts) > 3 else ""
        return self._numbers.index(number) if number in self._numbers else 0
