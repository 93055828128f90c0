"""Catalog (兑换目录: office create / update / deactivate / delete-if-never-redeemed) and redemptions (兑换):
hold → confirm | void."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from libs.auth.deps import PrincipalDep
from libs.auth.principal import Role
from libs.kit.amounts import format_points, from_tenths
from libs.kit.deps import SessionDep
from libs.kit.errors import InvalidInput, NotFound
from libs.kit.idempotency import IdempotencyDep
from services.points.application import catalog, redemptions

from .access import PointsDep, actor, office_alliance, own_doctor, readable_alliance
from .models import CatalogItemIn, CatalogItemOut, CatalogItemPatch, RedemptionIn, RedemptionOut, VoidIn

router = APIRouter(tags=["redemptions"])
RedemptionId = Path(min_length=1, max_length=64, description="兑换单号")
ItemId = Path(min_length=1, max_length=64, description="奖品编号")
CATALOG_EDITORS = (Role.ALLIANCE_OFFICE, Role.AUDITOR, Role.PLATFORM_ADMIN)


@router.post("/catalog", status_code=201, response_model=CatalogItemOut, summary="新增兑换奖品 (office)")
async def add_catalog_item(body: CatalogItemIn, session: SessionDep, runtime: PointsDep, principal: PrincipalDep,
                           idem: IdempotencyDep) -> Response:
    alliance_id = office_alliance(principal)
    row = await catalog.add_item(session, runtime, catalog.NewItem(
        alliance_id=alliance_id, name=body.name, description=body.description, tier=body.tier, stock=body.stock,
        valid_from=body.valid_from, valid_to=body.valid_to, actor=actor(principal)))
    return await idem.respond(201, CatalogItemOut.model_validate(row))


@router.get("/catalog", response_model=list[CatalogItemOut],
            summary="兑换目录 of an alliance (members see active items; the office and auditors also deactivated ones)")
async def list_catalog(session: SessionDep, principal: PrincipalDep,
                       alliance_id: str = Query(min_length=1, max_length=128)) -> list[CatalogItemOut]:
    await readable_alliance(session, principal, alliance_id)
    rows = await catalog.list_items(session, alliance_id, include_inactive=principal.role in CATALOG_EDITORS)
    return [CatalogItemOut.model_validate(row) for row in rows]


@router.patch("/catalog/{item_id}", response_model=CatalogItemOut,
              summary="修改兑换奖品 (office): stock, validity, active, name, description — never the tier")
async def update_catalog_item(body: CatalogItemPatch, session: SessionDep, runtime: PointsDep,
                              principal: PrincipalDep, item_id: str = ItemId) -> CatalogItemOut:
    alliance_id = office_alliance(principal)
    changes = body.model_dump(exclude_unset=True)
    nulls = [name for name, value in changes.items() if value is None]
    if nulls:
        raise InvalidInput("字段不能为空值（null）", field=nulls[0])
    row = await catalog.update_item(session, runtime, alliance_id=alliance_id, item_id=item_id, changes=changes,
                                    actor=actor(principal))
    return CatalogItemOut.model_validate(row)


@router.post("/catalog/{item_id}/deactivate", response_model=CatalogItemOut,
             summary="停用兑换奖品 (office): no longer shown to members nor redeemable")
async def deactivate_catalog_item(session: SessionDep, runtime: PointsDep, principal: PrincipalDep,
                                  idem: IdempotencyDep, item_id: str = ItemId) -> Response:
    alliance_id = office_alliance(principal)
    row = await catalog.deactivate_item(session, runtime, alliance_id=alliance_id, item_id=item_id,
                                        actor=actor(principal))
    return await idem.respond(200, CatalogItemOut.model_validate(row))


@router.delete("/catalog/{item_id}", status_code=204, response_class=Response,
               summary="删除兑换奖品 (office): only one never redeemed; otherwise 409 — deactivate it")
async def delete_catalog_item(session: SessionDep, principal: PrincipalDep, item_id: str = ItemId) -> Response:
    alliance_id = office_alliance(principal)
    await catalog.delete_item(session, alliance_id=alliance_id, item_id=item_id)
    return Response(status_code=204)


@router.post("/redemptions", status_code=201, response_model=RedemptionOut,
             summary="兑换 (doctor, own account): hold the points and one unit of stock")
async def redeem(body: RedemptionIn, session: SessionDep, runtime: PointsDep, principal: PrincipalDep,
                 idem: IdempotencyDep) -> Response:
    doctor_id = own_doctor(principal)
    row = await redemptions.redeem(session, runtime, doctor_id=doctor_id, item_id=body.item_id,
                                   actor=actor(principal))
    return await idem.respond(201, _out(row))


@router.get("/redemptions/{redemption_id}", response_model=RedemptionOut, summary="兑换单")
async def get_redemption(session: SessionDep, principal: PrincipalDep,
                         redemption_id: str = RedemptionId) -> RedemptionOut:
    row = await redemptions.load(session, redemption_id)
    if row is None or not redemptions.may_see(principal, row):
        raise NotFound("兑换单不存在", field="redemption_id")
    return _out(row)


@router.post("/redemptions/{redemption_id}/confirm", response_model=RedemptionOut,
             summary="兑换确认 (office): the prize was handed over, the points are spent")
async def confirm(session: SessionDep, runtime: PointsDep, principal: PrincipalDep, idem: IdempotencyDep,
                  redemption_id: str = RedemptionId) -> Response:
    alliance_id = office_alliance(principal)
    row = await redemptions.load_for_update(session, redemption_id)
    if row is None or row["alliance_id"] != alliance_id:
        raise NotFound("兑换单不存在", field="redemption_id")
    return await idem.respond(200, _out(await redemptions.confirm(session, runtime, row, actor(principal))))


@router.post("/redemptions/{redemption_id}/void", response_model=RedemptionOut,
             summary="兑换取消 (office, or the doctor while held): points and stock returned")
async def void(session: SessionDep, runtime: PointsDep, principal: PrincipalDep, idem: IdempotencyDep,
               body: VoidIn | None = None, redemption_id: str = RedemptionId) -> Response:
    principal.require(Role.ALLIANCE_OFFICE, Role.DOCTOR)
    row = await redemptions.load_for_update(session, redemption_id)
    if row is None or not redemptions.may_see(principal, row):
        raise NotFound("兑换单不存在", field="redemption_id")
    reason = body.reason if body else None
    return await idem.respond(200, _out(await redemptions.void(session, runtime, row, actor(principal), reason)))


def _out(row: dict[str, Any]) -> RedemptionOut:
    after = row.get("balance_after")
    return RedemptionOut(
        redemption_id=row["redemption_id"], alliance_id=row["alliance_id"], doctor_id=row["doctor_id"],
        item_id=row["item_id"], item_name=row.get("item_name"), points=format_points(from_tenths(row["points_tenths"])),
        state=row["state"], hold_entry_id=row["hold_entry_id"], final_entry_id=row["final_entry_id"],
        balance_after=format_points(after) if after is not None else None, created_at=row["created_at"],
        updated_at=row["updated_at"])
