"""``/v1/partnerships/stats``: how many partnerships between teachers of different circles
there are, for coordinators and admins (never who, never their messages)."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import ScopeDep
from api.deps import SessionDep
from api.params import problems
from api.schemas import PartnershipStatsOut
from circles.services import partnerships

router = APIRouter(prefix="/v1/partnerships", tags=["partnerships"])


@router.get("/stats", response_model=PartnershipStatsOut, responses=problems(401, 403))
async def partnership_stats(scope: ScopeDep, session: SessionDep) -> PartnershipStatsOut:
    """Partnerships active and ended, in total and per country (``/partner`` in the bot).

    A partnership counts when either teacher's circle is in the token's scope, and in the
    line of each of its two countries that the scope reaches. Coordinator and admin tokens
    only (403 for facilitators and union representatives); demo circles are left out.
    """
    found = await partnerships.stats(session, scope=scope)
    return PartnershipStatsOut.of(found)
