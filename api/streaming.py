"""Big files (the booklet, answer exports) sent as a stream, a few at a time per process.

The route checks the request (role, circle, weeks) in the request's transaction as usual;
:func:`stream_file` then commits that transaction before the first byte, and the file is
read in a read-only session of its own while it is sent. FastAPI would otherwise keep the
request's transaction open until the whole file is sent, for as long as the slowest
client reads: a second connection per stream, anything the request wrote still locked
(SQLite's write lock, PostgreSQL's row locks), and on SQLite a reader that keeps the WAL
from being checkpointed. So a stream takes one connection. At most
:data:`MAX_STREAMS` files are being made at once in one process: each holds a database
connection and a batch in memory, and all take turns in one render thread
(:mod:`circles.services.offload`), so more at once would only make each slower and could
take every connection of the pool (5 plus 10 overflow by default). The next one gets
503 with a problem document and ``Retry-After``; requests that are refused before (401,
403, 404, 422) never take a place.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.background import BackgroundTask

from api.deps import get_language
from api.problems import problem
from circles.i18n import N_, translate

log = logging.getLogger(__name__)

#: Files being made at once, per process.
MAX_STREAMS = 8
#: Seconds a refused client is asked to wait.
RETRY_AFTER = 10
BUSY = N_("The server is making too many exports at once; try again in a few seconds.")


class Places:
    """How many more files may be made at once (one event loop: no lock needed)."""

    def __init__(self, size: int) -> None:
        self.free = size

    def take(self) -> bool:
        if self.free <= 0:
            return False
        self.free -= 1
        return True

    def give_back(self) -> None:
        self.free += 1


def places(request: Request) -> Places:
    """The app's places for streams, made on first use."""
    state = request.app.state
    if getattr(state, "stream_places", None) is None:
        state.stream_places = Places(MAX_STREAMS)
    return state.stream_places


async def stream_file(
    request: Request,
    session: AsyncSession,
    pieces: Callable[[AsyncSession], AsyncIterator[bytes | str]],
    *,
    media_type: str,
    filename: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """``pieces(session)`` as an attachment, if a place is free; a 503 problem otherwise.

    ``session`` is the request's: what it holds is committed before the file is sent.
    """
    free = places(request)
    if not free.take():
        log.warning("refused a file: %d are being made", MAX_STREAMS)
        busy = problem(503, translate(BUSY, get_language(request)))
        busy.headers["retry-after"] = str(RETRY_AFTER)
        return busy
    await session.commit()
    sessions = request.app.state.sessions
    done = False

    def give_back() -> None:
        nonlocal done
        if not done:
            done = True
            free.give_back()

    async def body() -> AsyncIterator[bytes]:
        try:
            async with sessions() as reading:  # read only: closed without a commit
                async for piece in pieces(reading):
                    yield piece.encode() if isinstance(piece, str) else piece
        except Exception:
            log.exception("a file failed while it was sent: %s", filename)
            raise
        finally:
            give_back()

    return StreamingResponse(
        body(),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **(headers or {})},
        # Also when the client leaves before the end and the body is never finished.
        background=BackgroundTask(give_back),
    )
