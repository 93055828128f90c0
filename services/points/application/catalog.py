"""兑换奖品目录 (catalog) per alliance: items at the scheme's tiers (100/300/500/1000 分), stock, validity.

The office maintains its items: stock (the units still available), validity, wording and ``active``. The tier
(the price in points) never changes — a different price is a new item. An item that was ever redeemed cannot
be deleted (its redemptions refer to it): it is deactivated (停用) instead; members no longer see or redeem it.
Changes lock the item row first, like a redemption, so a stock edit and a redemption queue instead of racing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.errors import Conflict, InvalidInput, NotFound
from services.points.persistence.tables import catalog_items, redemptions
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
           "valid_to": item.valid_to, "created_at": runtime.clock.now(), "created_by": item.actor, "active": True,
           "updated_at": None, "updated_by": None}
    await session.execute(insert(catalog_items).values(**row))
    return row


async def list_items(session: AsyncSession, alliance_id: str, *, include_inactive: bool = True
                     ) -> list[dict[str, object]]:
    c = catalog_items.c
    stmt = select(catalog_items).where(c.alliance_id == alliance_id)
    if not include_inactive:
        stmt = stmt.where(c.active.is_(True))
    rows = await session.execute(stmt.order_by(c.tier, c.created_at, c.item_id))
    return [dict(r) for r in rows.mappings()]


def _hidden() -> NotFound:
    return NotFound("奖品不存在或不在您的联盟目录中", field="item_id")


async def _locked(session: AsyncSession, alliance_id: str, item_id: str) -> dict[str, Any]:
    c = catalog_items.c
    row = (await session.execute(select(catalog_items).where(c.item_id == item_id).with_for_update())
           ).mappings().first()
    if row is None or row["alliance_id"] != alliance_id:
        raise _hidden()
    return dict(row)


EDITABLE = ("name", "description", "stock", "valid_from", "valid_to", "active")


async def update_item(session: AsyncSession, runtime: PointsRuntime, *, alliance_id: str, item_id: str,
                      changes: dict[str, Any], actor: str) -> dict[str, Any]:
    """Set the given fields (absolute values: a retry changes nothing more)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"不可修改的字段：{'、'.join(sorted(unknown))}", field=sorted(unknown)[0])
    if not changes:
        raise InvalidInput("没有要修改的字段", field="body")
    row = await _locked(session, alliance_id, item_id)
    merged = row | changes
    if merged["valid_to"] < merged["valid_from"]:
        raise InvalidInput("有效期结束日期不能早于开始日期", field="valid_to")
    values = {**changes, "updated_at": runtime.clock.now(), "updated_by": actor}
    await session.execute(update(catalog_items).where(catalog_items.c.item_id == item_id).values(**values))
    return row | values


async def deactivate_item(session: AsyncSession, runtime: PointsRuntime, *, alliance_id: str, item_id: str,
                          actor: str) -> dict[str, Any]:
    """停用: no longer shown to members nor redeemable; held redemptions can still be confirmed or voided."""
    row = await _locked(session, alliance_id, item_id)
    if not row["active"]:
        return row
    values = {"active": False, "updated_at": runtime.clock.now(), "updated_by": actor}
    await session.execute(update(catalog_items).where(catalog_items.c.item_id == item_id).values(**values))
    return row | values


async def delete_item(session: AsyncSession, *, alliance_id: str, item_id: str) -> None:
    """Only an item nobody ever redeemed (e.g. created by mistake); otherwise 409: deactivate it."""
    await _locked(session, alliance_id, item_id)
    used = await session.scalar(select(redemptions.c.redemption_id).where(redemptions.c.item_id == item_id).limit(1))
    if used is not None:
        raise Conflict("该奖品已有兑换记录，不能删除；请改为停用", field="item_id", code="item_has_redemptions")
    await session.execute(delete(catalog_items).where(catalog_items.c.item_id == item_id))
