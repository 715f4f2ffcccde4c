"""Bearer-token authentication: every ``/v1`` request acts within the scope of its token.

``Authorization: Bearer lc_…`` is hashed and looked up (:func:`circles.services.tokens.
authenticate` compares in constant time); unknown, revoked and expired tokens all get
the same 401 problem, so the answer does not tell which. What the token may see and do
is a :class:`circles.services.access.Scope`: routes pass it to services, which turn
"not yours" into the same 404 as "does not exist".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import ClockDep, SessionDep
from circles.errors import Unauthorized
from circles.i18n import N_
from circles.services.access import Scope, scope_of_token
from circles.services.tokens import authenticate

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="An API token from `circles token create` or `POST /v1/tokens`.",
)


async def get_scope(
    session: SessionDep,
    clock: ClockDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Scope:
    """The scope of the request's bearer token; a 401 problem without a live one."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized(N_("Send an API token in the header Authorization: Bearer <token>."))
    token = await authenticate(session, secret=credentials.credentials[:200], now=clock.now())
    if token is None:
        raise Unauthorized(N_("This API token is unknown, revoked or expired."))
    return scope_of_token(token)


ScopeDep = Annotated[Scope, Depends(get_scope)]
