"""兑换 (redemption): hold the points and take one unit of stock in ONE transaction, then confirm (points
spent, 予以抵扣) or void (points and stock returned).

Locks are always taken in the same order — the catalog item row, then (inside ``append_entries``) the ledger
head — so concurrent redemptions queue instead of deadlocking. The balance check happens under the head
lock on the committed balance: of many concurrent requests exactly ⌊balance / price⌋ succeed, the others get
409 "积分余额不足" and take no stock (their transaction rolls back whole).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.auth.principal import Principal, Role
from libs.events.envelope import new_envelope
from libs.events.schemas import points as ev
from libs.kit.amounts import format_points, from_tenths, to_tenths
from libs.kit.clock import business_date
from libs.kit.errors import Conflict, NotFound
from services.points.domain.ledger import (
    redemption_confirm_entry,
    redemption_hold_entry,
    redemption_void_entry,
)
from services.points.ledger.append import append_entries
from services.points.ledger.config import SOURCE
from services.points.ledger.model import NewEntry, StoredEntry, new_entry_id
from services.points.persistence import directory
from services.points.persistence.tables import catalog_items, redemptions
from services.points.runtime import PointsRuntime


def _hidden_item() -> NotFound:
    return NotFound("奖品不存在或不在您的联盟目录中", field="item_id")


async def redeem(session: AsyncSession, runtime: PointsRuntime, *, doctor_id: str, item_id: str,
                 actor: str) -> dict[str, Any]:
    c = catalog_items.c
    item = (await session.execute(select(catalog_items).where(c.item_id == item_id).with_for_update())
            ).mappings().first()
    now = runtime.clock.now()
    if item is None or not await _doctor_in_alliance(session, doctor_id, item["alliance_id"], business_date(now)):
        raise _hidden_item()
    if not item["active"]:
        raise Conflict("该奖品已停用，不能兑换", field="item_id", code="item_inactive")
    if not item["valid_from"] <= business_date(now) <= item["valid_to"]:
        raise Conflict("该奖品不在兑换有效期内", field="item_id")
    if item["stock"] < 1:
        raise Conflict("该奖品库存不足", field="item_id")
    await session.execute(update(catalog_items).where(c.item_id == item_id).values(stock=c.stock - 1))
    redemption_id = f"rd_{uuid.uuid4().hex[:24]}"
    hold = redemption_hold_entry(entry_id=new_entry_id(), redemption_id=redemption_id, doctor_id=doctor_id,
                                 amount=Decimal(item["tier"]).quantize(Decimal("0.1")), at=now, actor=actor)
    [stored] = await append_entries(session, [NewEntry(hold, item["alliance_id"])], config=runtime.ledger)
    row = {"redemption_id": redemption_id, "alliance_id": item["alliance_id"], "doctor_id": doctor_id,
           "item_id": item_id, "points_tenths": to_tenths(hold.amount), "state": "held", "created_at": now,
           "updated_at": now, "hold_entry_id": hold.entry_id, "final_entry_id": None, "actor": actor}
    await session.execute(insert(redemptions).values(**row))
    await _publish(session, runtime, ev.RedemptionRequested, row, item["name"], stored)
    return row | {"item_name": item["name"], "balance_after": stored.balance_after}


async def _doctor_in_alliance(session: AsyncSession, doctor_id: str, alliance_id: str, on: date) -> bool:
    """Only doctors of the alliance's member units see (and redeem from) its catalog."""
    known = await directory.doctor(session, doctor_id)
    return known is not None and await directory.is_member(session, alliance_id, known[1], on)


async def load_for_update(session: AsyncSession, redemption_id: str) -> dict[str, Any] | None:
    r = redemptions.c
    row = (await session.execute(select(redemptions).where(r.redemption_id == redemption_id).with_for_update())
           ).mappings().first()
    return dict(row) if row else None


async def load(session: AsyncSession, redemption_id: str) -> dict[str, Any] | None:
    row = (await session.execute(select(redemptions).where(redemptions.c.redemption_id == redemption_id))
           ).mappings().first()
    return dict(row) if row else None


def may_see(principal: Principal, row: dict[str, Any]) -> bool:
    if principal.role is Role.DOCTOR:
        return principal.doctor_id == row["doctor_id"]
    if principal.role is Role.ALLIANCE_OFFICE:
        return principal.alliance_id == row["alliance_id"]
    return principal.role in (Role.AUDITOR, Role.PLATFORM_ADMIN)


async def confirm(session: AsyncSession, runtime: PointsRuntime, row: dict[str, Any], actor: str) -> dict[str, Any]:
    _ensure_held(row)
    now = runtime.clock.now()
    entry = redemption_confirm_entry(entry_id=new_entry_id(), redemption_id=row["redemption_id"],
                                     doctor_id=row["doctor_id"], alliance_id=row["alliance_id"],
                                     amount=from_tenths(row["points_tenths"]), at=now, actor=actor)
    [stored] = await append_entries(session, [NewEntry(entry, row["alliance_id"])], config=runtime.ledger)
    return await _finish(session, runtime, row, "confirmed", stored, ev.RedemptionConfirmed)


async def void(session: AsyncSession, runtime: PointsRuntime, row: dict[str, Any], actor: str,
               reason: str | None) -> dict[str, Any]:
    _ensure_held(row)
    now = runtime.clock.now()
    entry = redemption_void_entry(entry_id=new_entry_id(), redemption_id=row["redemption_id"],
                                  doctor_id=row["doctor_id"], amount=from_tenths(row["points_tenths"]), at=now,
                                  actor=actor, memo=reason)
    [stored] = await append_entries(session, [NewEntry(entry, row["alliance_id"])], config=runtime.ledger)
    c = catalog_items.c
    await session.execute(update(catalog_items).where(c.item_id == row["item_id"]).values(stock=c.stock + 1))
    return await _finish(session, runtime, row, "voided", stored, ev.RedemptionVoided, reason=reason)


def _ensure_held(row: dict[str, Any]) -> None:
    if row["state"] != "held":
        raise Conflict(f"兑换单已处理（{row['state']}），不能重复操作", field="redemption_id")


async def _finish(session: AsyncSession, runtime: PointsRuntime, row: dict[str, Any], state: str,
                  stored: StoredEntry, event: type[ev._Redemption], **extra: Any) -> dict[str, Any]:
    now = runtime.clock.now()
    r = redemptions.c
    await session.execute(update(redemptions).where(r.redemption_id == row["redemption_id"])
                          .values(state=state, updated_at=now, final_entry_id=stored.entry_id))
    name = await session.scalar(select(catalog_items.c.name).where(catalog_items.c.item_id == row["item_id"]))
    updated = row | {"state": state, "updated_at": now, "final_entry_id": stored.entry_id}
    await _publish(session, runtime, event, updated, name or "", stored, **extra)
    return updated | {"item_name": name, "balance_after": stored.balance_after}


async def _publish(session: AsyncSession, runtime: PointsRuntime, event: type[ev._Redemption], row: dict[str, Any],
                   item_name: str, stored: StoredEntry, **extra: Any) -> None:
    data = event(redemption_id=row["redemption_id"], alliance_id=row["alliance_id"], doctor_id=row["doctor_id"],
                 item_id=row["item_id"], item_name=item_name, points=format_points(from_tenths(row["points_tenths"])),
                 entry_id=stored.entry_id, occurred_at=stored.entry.occurred_at, **extra)
    await runtime.outbox.add(session, new_envelope(data, source=SOURCE, subject=row["redemption_id"]))
