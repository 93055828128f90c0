"""兑换奖品目录 (catalog) per alliance: items at the scheme's tiers (100/300/500/1000 分), stock, validity."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.errors import InvalidInput
from services.points.persistence.tables import catalog_items
from services.points.runtime import PointsRuntime

from .awards import scheme_at


@dataclass(frozen=True, slots=True)
class NewItem:
    alliance_id: str
    name: str
    description: str
    tier: int
    stock: int
    valid_from: date
    valid_to: date
    actor: str


async def add_item(session: AsyncSession, runtime: PointsRuntime, item: NewItem) -> dict[str, object]:
    tiers = scheme_at(runtime, runtime.clock.now()).redemption_tiers
    if item.tier not in tiers:
        raise InvalidInput(f"奖品档位必须是 {'/'.join(str(t) for t in tiers)} 分之一", field="tier")
    if item.valid_to < item.valid_from:
        raise InvalidInput("有效期结束日期不能早于开始日期", field="valid_to")
    row = {"item_id": f"item_{uuid.uuid4().hex[:20]}", "alliance_id": item.alliance_id, "name": item.name,
           "description": item.description, "tier": item.tier, "stock": item.stock, "valid_from": item.valid_from,
           "valid_to": item.valid_to, "created_at": runtime.clock.now(), "created_by": item.actor}
    await session.execute(insert(catalog_items).values(**row))
    return row


async def list_items(session: AsyncSession, alliance_id: str) -> list[dict[str, object]]:
    c = catalog_items.c
    rows = await session.execute(select(catalog_items).where(c.alliance_id == alliance_id)
                                 .order_by(c.tier, c.created_at, c.item_id))
    return [dict(r) for r in rows.mappings()]
