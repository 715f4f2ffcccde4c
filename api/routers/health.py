"""Liveness and readiness probes."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from api.deps import EngineDep
from api.problems import problem
from circles.db import ping

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The service's state."""

    status: str


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up (does not touch the database)."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    responses={503: {"description": "The database cannot be reached"}},
)
async def readyz(engine: EngineDep) -> Health | JSONResponse:
    """The process can serve requests: the database answers."""
    try:
        await ping(engine)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("readiness check failed: %s", type(exc).__name__)
        return problem(503, "The database cannot be reached.")
    return Health(status="ready")
