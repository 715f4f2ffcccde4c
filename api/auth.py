"""Bearer-token authentication: every ``/v1`` request acts within the scope of its token.

``Authorization: Bearer lc_…`` is hashed and looked up (:func:`circles.services.tokens.
authenticate` compares in constant time); unknown, revoked and expired tokens all get
the same 401 problem, so the answer does not tell which. What the token may see and do
is a :class:`circles.services.access.Scope`: routes pass it to services, which turn
"not yours" into the same 404 as "does not exist".

Authenticating only reads: when the token's ``last_used_at`` is more than a minute old,
it is written after the response, in a short transaction of its own, so a GET never
holds the database's write lock (SQLite) or the token's row lock (PostgreSQL).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError

from api.deps import ClockDep, SessionDep
from circles.db import SessionMaker, transaction
from circles.errors import Unauthorized
from circles.i18n import N_
from circles.models import ApiToken
from circles.services.access import Scope, scope_of_token
from circles.services.tokens import authenticate, record_use, use_is_stale

log = logging.getLogger(__name__)

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="An API token from `circles token create` or `POST /v1/tokens`.",
)


async def _record_use(sessions: SessionMaker, token_id: int, now: datetime) -> None:
    try:
        async with transaction(sessions) as session:
            await record_use(session, token_id=token_id, now=now)
    except SQLAlchemyError:
        # Only a timestamp is lost; the next request after a minute tries again.
        log.warning("could not record the use of API token %s", token_id, exc_info=True)


def record_use_later(
    request: Request, background: BackgroundTasks, token: ApiToken, now: datetime
) -> None:
    """Write the token's ``last_used_at`` after the response, if it is stale."""
    if token.id is not None and use_is_stale(token, now):
        background.add_task(_record_use, request.app.state.sessions, token.id, now)


async def get_scope(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    clock: ClockDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Scope:
    """The scope of the request's bearer token; a 401 problem without a live one."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized(N_("Send an API token in the header Authorization: Bearer <token>."))
    now = clock.now()
    token = await authenticate(session, secret=credentials.credentials[:200], now=now)
    if token is None:
        raise Unauthorized(N_("This API token is unknown, revoked or expired."))
    record_use_later(request, background, token, now)
    return scope_of_token(token)


ScopeDep = Annotated[Scope, Depends(get_scope)]
