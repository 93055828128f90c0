"""/institutions — 机构登记 (附件1 fields), scoped reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from libs.auth.deps import require_roles
from libs.kit.idempotency import IdempotencyDep
from libs.kit.pagination import PageDep
from services.registry.api.deps import READERS, REGISTRARS, CtxDep
from services.registry.api.models.institutions import InstitutionIn, InstitutionOut, InstitutionPage
from services.registry.application import institutions

router = APIRouter(prefix="/institutions", tags=["institutions 机构"])


@router.post("", status_code=201, response_model=InstitutionOut, dependencies=[require_roles(*REGISTRARS)],
             summary="登记机构 register an institution")
async def register(body: InstitutionIn, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    row = await institutions.register(ctx, body.model_dump())
    return await idem.respond(201, InstitutionOut.from_row(row), {"Location": f"/institutions/{row['id']}"})


@router.get("", dependencies=[require_roles(*READERS)], summary="机构列表 institutions in scope")
async def listing(ctx: CtxDep, page: PageDep,
                  region_code: Annotated[str | None, Query(max_length=6, pattern=r"^\d{6}$")] = None,
                  uscc: Annotated[str | None, Query(max_length=18)] = None,
                  name: Annotated[str | None, Query(max_length=100)] = None) -> InstitutionPage:
    found = await institutions.listing(ctx, page, region_code=region_code, uscc=uscc, name=name)
    return InstitutionPage(items=[InstitutionOut.from_row(r) for r in found.items], limit=found.limit,
                           next_cursor=found.next_cursor)


@router.get("/{institution_id}", dependencies=[require_roles(*READERS)], summary="机构详情")
async def detail(institution_id: str, ctx: CtxDep) -> InstitutionOut:
    return InstitutionOut.from_row(await institutions.get(ctx, institution_id))


@router.put("/{institution_id}", dependencies=[require_roles(*REGISTRARS)], summary="更正机构信息 correct")
async def correct(institution_id: str, body: InstitutionIn, ctx: CtxDep) -> InstitutionOut:
    return InstitutionOut.from_row(await institutions.correct(ctx, institution_id, body.model_dump()))
