"""Liveness and readiness probes."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from api.deps import EngineDep
from api.problems import problem
from circles import metrics
from circles.db import ping
from circles.models import Outbox, OutboxState

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The service's state."""

    status: str


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up (does not touch the database)."""
    return Health(status="ok")


@router.get("/metrics", include_in_schema=False)
async def prometheus(engine: EngineDep) -> Response:
    """Counters and gauges in Prometheus's text format (updates, sends, 429s, queue, lag)."""
    try:
        async with engine.connect() as connection:
            pending = await connection.scalar(
                select(func.count()).select_from(Outbox).where(Outbox.state == OutboxState.pending)
            )
        metrics.OUTBOX_PENDING.set(pending or 0)
    except (SQLAlchemyError, OSError):
        log.warning("could not count the outbox for /metrics")
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)


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
