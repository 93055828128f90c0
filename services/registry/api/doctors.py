"""/doctors — 医师登记, 调动 (history kept) and 职务 (副主委 / 常委 / 委员, for points rule R03b)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from libs.auth.deps import require_roles
from libs.kit.idempotency import IdempotencyDep
from libs.kit.pagination import PageDep
from services.registry.api.deps import LEAD_SIDE, READERS, REGISTRARS, CtxDep
from services.registry.api.models.doctors import (
    DoctorIn,
    DoctorOut,
    DoctorPage,
    EndPositionIn,
    MoveIn,
    PositionIn,
    PositionOut,
)
from services.registry.application import doctors, positions
from services.registry.application.context import Ctx
from services.registry.persistence import doctors as doctors_repo

router = APIRouter(prefix="/doctors", tags=["doctors 医师"])


async def _view(ctx: Ctx, doctor_id: str) -> DoctorOut:
    row = await doctors.get(ctx, doctor_id)
    return DoctorOut(**doctors.view(ctx, row, await doctors_repo.periods(ctx.session, doctor_id)))


@router.post("", status_code=201, response_model=DoctorOut, dependencies=[require_roles(*REGISTRARS)],
             summary="登记医师 register a doctor at a member unit")
async def register(body: DoctorIn, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    row = await doctors.register(ctx, body.model_dump())
    return await idem.respond(201, await _view(ctx, row["id"]), {"Location": f"/doctors/{row['id']}"})


@router.get("", dependencies=[require_roles(*READERS)], summary="医师列表 doctors in scope")
async def listing(ctx: CtxDep, page: PageDep,
                  institution_id: Annotated[str | None, Query(max_length=64, description="当前注册单位")] = None,
                  practice_cert_no: Annotated[str | None, Query(max_length=15)] = None) -> DoctorPage:
    found = await doctors.listing(ctx, page, institution_id=institution_id, practice_cert_no=practice_cert_no)
    periods = await doctors_repo.periods_of(ctx.session, [r["id"] for r in found.items])
    return DoctorPage(items=[DoctorOut(**doctors.view(ctx, r, periods[r["id"]])) for r in found.items],
                      limit=found.limit, next_cursor=found.next_cursor)


@router.get("/{doctor_id}", dependencies=[require_roles(*READERS)], summary="医师详情（含调动历史）")
async def detail(doctor_id: str, ctx: CtxDep) -> DoctorOut:
    return await _view(ctx, doctor_id)


@router.post("/{doctor_id}/moves", response_model=DoctorOut, dependencies=[require_roles(*REGISTRARS)],
             summary="调动 move to another unit")
async def move(doctor_id: str, body: MoveIn, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    row = await doctors.move(ctx, doctor_id, to_institution_id=body.to_institution_id, on=body.on,
                             department=body.department)
    # Not re-read through the scope: the releasing unit no longer covers the doctor, yet it may see what it did.
    periods = await doctors_repo.periods(ctx.session, doctor_id)
    return await idem.respond(200, DoctorOut(**doctors.view(ctx, row, periods)))


@router.get("/{doctor_id}/positions", dependencies=[require_roles(*READERS)], summary="职务")
async def position_list(doctor_id: str, ctx: CtxDep) -> list[PositionOut]:
    return [PositionOut.from_row(r) for r in await positions.of_doctor(ctx, doctor_id)]


@router.post("/{doctor_id}/positions", status_code=201, response_model=PositionOut,
             dependencies=[require_roles(*LEAD_SIDE)], summary="登记职务 assign a position (副主委/常委/委员)")
async def assign(doctor_id: str, body: PositionIn, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    row = await positions.assign(ctx, doctor_id, body.model_dump())
    return await idem.respond(201, PositionOut.from_row(row))


@router.post("/{doctor_id}/positions/{position_id}/end", response_model=PositionOut,
             dependencies=[require_roles(*LEAD_SIDE)], summary="任职结束 end a position")
async def end(doctor_id: str, position_id: str, body: EndPositionIn, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    row = await positions.end(ctx, doctor_id, position_id, ends_on=body.ends_on)
    return await idem.respond(200, PositionOut.from_row(row))
