"""/alliances/{id}/… 备案 lifecycle commands. Each answers the alliance after the step; each step is recorded
(GET …/transitions) and published as ``alliance.registry.alliance.status_changed``."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from libs.auth.deps import require_roles
from libs.auth.principal import Role
from libs.kit.idempotency import IdempotencyDep
from services.registry.api.alliances import full_view
from services.registry.api.deps import LEAD_SIDE, CtxDep
from services.registry.api.models.alliance_views import AllianceOut
from services.registry.api.models.alliances import DissolveIn, MergeIn, OpenIn, RenameIn, RenewIn, ReturnIn
from services.registry.application import ending, lifecycle

router = APIRouter(prefix="/alliances/{alliance_id}", tags=["filing 备案"])
LEAD = [require_roles(*LEAD_SIDE)]
COMMISSION = [require_roles(Role.HEALTH_COMMISSION)]


async def _answer(ctx: CtxDep, idem: IdempotencyDep, row) -> Response:  # type: ignore[no-untyped-def]
    return await idem.respond(200, await full_view(ctx, row))


@router.post("/submit", dependencies=LEAD, response_model=AllianceOut,
             summary="提交备案 submit (lead unit / office)")
async def submit(alliance_id: str, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    return await _answer(ctx, idem, await lifecycle.submit(ctx, alliance_id))


@router.post("/resubmit", dependencies=LEAD, response_model=AllianceOut,
             summary="退回后重新提交 resubmit")
async def resubmit(alliance_id: str, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    return await _answer(ctx, idem, await lifecycle.submit(ctx, alliance_id, again=True))


@router.post("/return", dependencies=COMMISSION, response_model=AllianceOut,
             summary="退回（写明理由）return with reasons")
async def return_(alliance_id: str, body: ReturnIn, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    return await _answer(ctx, idem, await lifecycle.return_for_revision(ctx, alliance_id, body.reasons))


@router.post("/approve", dependencies=COMMISSION, response_model=AllianceOut,
             summary="予以备案 approve (filing commission only)")
async def approve(alliance_id: str, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    return await _answer(ctx, idem, await lifecycle.approve(ctx, alliance_id))


@router.post("/start-preparing", dependencies=LEAD, response_model=AllianceOut,
             summary="开始筹建 start preparing")
async def start_preparing(alliance_id: str, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    return await _answer(ctx, idem, await lifecycle.start_preparing(ctx, alliance_id))


@router.post("/open", dependencies=LEAD, response_model=AllianceOut,
             summary="挂牌运行（章程、协议书、成员名单齐备；首届理事会）open")
async def open_(alliance_id: str, body: OpenIn, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    row = await lifecycle.open_alliance(ctx, alliance_id, founded_on=body.founded_on,
                                        council_body=body.council.model_dump())
    return await _answer(ctx, idem, row)


@router.post("/renewals", dependencies=LEAD, response_model=AllianceOut,
             summary="换届（新一届理事会）renew the council")
async def renew(alliance_id: str, body: RenewIn, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    row = await lifecycle.renew(ctx, alliance_id, starts_on=body.starts_on, council_body=body.council.model_dump())
    return await _answer(ctx, idem, row)


@router.post("/rename", dependencies=COMMISSION, response_model=AllianceOut,
             summary="更名 rename (filing commission)")
async def rename(alliance_id: str, body: RenameIn, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    row = await lifecycle.rename(ctx, alliance_id, new_name=body.new_name, specialty_code=body.specialty_code)
    return await _answer(ctx, idem, row)


@router.post("/merge", dependencies=COMMISSION, response_model=AllianceOut,
             summary="合并 merge into another alliance")
async def merge(alliance_id: str, body: MergeIn, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    row = await ending.merge(ctx, alliance_id, into_alliance_id=body.into_alliance_id, reason=body.reason)
    return await _answer(ctx, idem, row)


@router.post("/dissolve", dependencies=COMMISSION, response_model=AllianceOut,
             summary="撤销/解散 dissolve")
async def dissolve(alliance_id: str, body: DissolveIn, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    return await _answer(ctx, idem, await ending.dissolve(ctx, alliance_id, reason=body.reason))
