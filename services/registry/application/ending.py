"""合并 and 撤销 (第七条, 第十九条): decided by the filing commission; afterwards the alliance no longer operates."""

from __future__ import annotations

from sqlalchemy import RowMapping

from libs.events.schemas.registry import AllianceDissolved, AllianceMerged
from libs.kit.errors import InvalidInput
from services.registry.application import lifecycle
from services.registry.application.context import Ctx
from services.registry.application.events import alliance_subject
from services.registry.domain import filing as f
from services.registry.domain.status import is_filed
from services.registry.persistence import alliances as repo
from services.registry.persistence.alliances import authority_of


async def merge(ctx: Ctx, alliance_id: str, *, into_alliance_id: str, reason: str) -> RowMapping:
    """合并 into another filed alliance (it must exist, be another one, and be filed)."""
    row, filing = await lifecycle.load(ctx, alliance_id, decision=True)
    target = await repo.get(ctx.session, into_alliance_id)
    if target is None or target["id"] == alliance_id or not is_filed(target["status"]):
        raise InvalidInput("合并目标须为另一个已备案的专科联盟", field="into_alliance_id")
    after = f.merge(filing, reviewer=lifecycle.reviewer(ctx), authority=authority_of(row), at=ctx.now,
                    into_alliance_id=into_alliance_id, reason=reason)
    updated = await lifecycle.apply(ctx, row, after, {"merged_into_id": into_alliance_id})
    await ctx.publish(AllianceMerged(alliance_id=alliance_id, into_alliance_id=into_alliance_id),
                      subject=alliance_subject(alliance_id))
    return updated


async def dissolve(ctx: Ctx, alliance_id: str, *, reason: str) -> RowMapping:
    """撤销 (e.g. after the evaluation flagged two poor years): the reason is recorded and published."""
    row, filing = await lifecycle.load(ctx, alliance_id, decision=True)
    after = f.dissolve(filing, reviewer=lifecycle.reviewer(ctx), authority=authority_of(row), at=ctx.now,
                       reason=reason)
    updated = await lifecycle.apply(ctx, row, after)
    await ctx.publish(AllianceDissolved(alliance_id=alliance_id, reason=after.history[-1].reason or reason),
                      subject=alliance_subject(alliance_id))
    return updated
