"""理事会 terms of an alliance, and terms expiring soon (提前提醒换届)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from libs.auth.deps import require_roles
from services.registry.api.deps import READERS, CtxDep
from services.registry.api.models.alliance_views import ExpiringTermOut, TermOut
from services.registry.application import alliances, council

router = APIRouter(tags=["council 理事会"])


@router.get("/alliances/{alliance_id}/council-terms", dependencies=[require_roles(*READERS)],
            summary="历届理事会 council terms")
async def terms(alliance_id: str, ctx: CtxDep) -> list[TermOut]:
    await alliances.get(ctx, alliance_id)
    return [TermOut.from_row(r) for r in await council.terms(ctx, alliance_id)]


@router.get("/council-terms/expiring", dependencies=[require_roles(*READERS)],
            summary="即将届满（或已逾期未换届）的理事会 terms ending within the horizon")
async def expiring(ctx: CtxDep, horizon_days: Annotated[int | None, Query(
        ge=0, le=council.MAX_HORIZON_DAYS, description="提前天数（默认90）")] = None) -> list[ExpiringTermOut]:
    horizon = ctx.settings.expiring_horizon_days if horizon_days is None else horizon_days
    return [ExpiringTermOut(alliance_id=row["alliance_id"], alliance_name=row["alliance_name"],
                            term_number=due.term.number, starts_on=due.term.starts_on, ends_on=due.term.ends_on,
                            days_left=due.days_left, overdue=due.overdue)
            for due, row in await council.expiring(ctx, horizon)]
