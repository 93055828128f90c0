"""/imports — 机构 / 医师 lists from CSV or XLSX (multipart), all-or-nothing; 422 lists every bad row."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from starlette.responses import Response

from libs.auth.deps import require_roles
from libs.auth.principal import Role
from libs.kit.errors import InvalidInput
from libs.kit.idempotency import IdempotencyDep
from services.registry.api.deps import REGISTRARS, CtxDep
from services.registry.api.models.common import Imported, ImportResult
from services.registry.api.multipart import multipart_body, read_upload
from services.registry.application import imports
from services.registry.imports.readers import MAX_BYTES

router = APIRouter(prefix="/imports", tags=["imports 批量导入"])
FILE_NOTE = "file: CSV（UTF-8 或 GB18030）或 XLSX，前10行内为中文表头；任何一行有误则整份文件不导入"
STARTS_ON = {"type": "string", "format": "date", "description": "执业起始日期（默认今天）"}


def _date(raw: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput("执业起始日期格式应为YYYY-MM-DD", field="starts_on") from exc


def _result(items: list[dict]) -> ImportResult:  # type: ignore[type-arg]
    return ImportResult(imported=len(items), items=[Imported(row=i["row"], id=i["id"], name=i["name"]) for i in items])


@router.post("/institutions", status_code=201, response_model=ImportResult,
             dependencies=[require_roles(Role.PLATFORM_ADMIN, Role.ALLIANCE_OFFICE)],
             openapi_extra=multipart_body({}), description=FILE_NOTE,
             summary="导入机构 import institutions (all-or-nothing)")
async def import_institutions(request: Request, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    form = await read_upload(request, max_bytes=MAX_BYTES)
    items = await imports.import_institutions(ctx, form.data, filename=form.filename)
    return await idem.respond(201, _result(items))


@router.post("/doctors", status_code=201, response_model=ImportResult, dependencies=[require_roles(*REGISTRARS)],
             openapi_extra=multipart_body({"starts_on": STARTS_ON}), description=FILE_NOTE,
             summary="导入医师 import doctors (all-or-nothing)")
async def import_doctors(request: Request, ctx: CtxDep, idem: IdempotencyDep) -> Response:
    form = await read_upload(request, max_bytes=MAX_BYTES, fields=("starts_on",))
    items = await imports.import_doctors(ctx, form.data, filename=form.filename,
                                         starts_on=_date(form.fields["starts_on"]))
    return await idem.respond(201, _result(items))
