"""``/v1/tokens``: issue, list and revoke API tokens (admins only)."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import ScopeDep
from api.deps import ClockDep, SessionDep
from api.params import BODY, DEFAULT_PAGE, READ, WRITE, Cursor, Limit, TokenId
from api.schemas import Page, TokenCreate, TokenIssuedOut, TokenOut
from circles.models import TokenRole
from circles.services import tokens
from circles.services.access import Permission

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])


@router.post("", response_model=TokenIssuedOut, status_code=201, responses=BODY)
async def create_token(
    body: TokenCreate, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> TokenIssuedOut:
    """Issue a token; the secret is in this response only, never again."""
    issued = await tokens.issue_token(
        session,
        scope=scope,
        role=body.role,
        name=body.name,
        now=clock.now(),
        circle_id=body.circle_id,
        countries=body.countries,
        expires_at=body.expires_at,
    )
    return TokenIssuedOut(token=TokenOut.of(issued.token), secret=issued.secret)


@router.get("", response_model=Page[TokenOut], responses=READ)
async def list_tokens(
    scope: ScopeDep,
    session: SessionDep,
    clock: ClockDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
    role: TokenRole | None = None,
    active: bool | None = None,
) -> Page[TokenOut]:
    """Tokens by id, without secrets; ``active=true`` leaves out revoked and expired ones."""
    scope.require(Permission.admin)
    page = await tokens.list_tokens(
        session, cursor=cursor, limit=limit, role=role, active=active, now=clock.now()
    )
    return Page.of(page, TokenOut.of)


@router.post("/{token_id}/revoke", response_model=TokenOut, responses=WRITE)
async def revoke_token(
    token_id: TokenId, scope: ScopeDep, session: SessionDep, clock: ClockDep
) -> TokenOut:
    """Revoke a token at once; requests with it get 401 from now on."""
    scope.require(Permission.admin)
    token = await tokens.revoke_token(
        session, token_id=token_id, actor=scope.actor, now=clock.now()
    )
    return TokenOut.of(token)
