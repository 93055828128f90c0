"""批量导入 机构 / 医师 from CSV or XLSX, all-or-nothing per file.

The file is parsed and validated first (``imports.parse``); rows are then checked against what is stored
(USCC already registered, unit unknown or out of the caller's scope, certificate already registered). Any
problem → 422 listing every bad row, and nothing is stored: the whole file is one transaction.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from services.registry.application import doctors, institutions, scope
from services.registry.application.context import Ctx
from services.registry.domain.doctor import Doctor
from services.registry.imports.parse import ImportOutcome, RowError, parse_doctors, parse_institutions
from services.registry.persistence import doctors as doctors_repo
from services.registry.persistence import institutions as institutions_repo

USCC = "统一社会信用代码"
UNIT_USCC = "执业机构统一社会信用代码"
CERT = "医师执业证书编码"
RESIDENT_ID = "身份证号码"


def _refuse(errors: list[RowError]) -> None:
    if errors:
        ImportOutcome((), tuple(errors)).raise_for_errors()


async def import_institutions(ctx: Ctx, data: bytes, *, filename: str) -> list[dict[str, Any]]:
    outcome = parse_institutions(data, filename=filename)
    outcome.raise_for_errors()
    existing = await institutions_repo.by_usccs(ctx.session, [r.value.uscc for r in outcome.rows])
    _refuse([RowError(r.row, USCC, f"已登记为「{existing[r.value.uscc]['name']}」")
             for r in outcome.rows if r.value.uscc in existing])
    rows = await institutions.register_many(ctx, [r.value for r in outcome.rows])
    return [{"row": item.row, "id": row["id"], "name": row["name"], "uscc": row["uscc"]}
            for item, row in zip(outcome.rows, rows, strict=True)]


async def import_doctors(ctx: Ctx, data: bytes, *, filename: str, starts_on: date | None) -> list[dict[str, Any]]:
    outcome = parse_doctors(data, filename=filename)
    outcome.raise_for_errors()
    records = [r.value for r in outcome.rows]
    units = await institutions_repo.by_usccs(ctx.session, [r.unit_uscc for r in records])
    key = ctx.settings.resident_id_key
    certs, hmacs = await doctors_repo.taken(
        ctx.session, certs=[r.practice_cert_no for r in records],
        hmacs=[doctors.resident_id_hmac(key, r.resident_id) for r in records if r.resident_id])
    errors: list[RowError] = []
    items: list[doctors.NewDoctor] = []
    for imported in outcome.rows:
        rec = imported.value
        unit = units.get(rec.unit_uscc)
        if unit is None:
            errors.append(RowError(imported.row, UNIT_USCC, "该机构尚未登记，请先导入机构"))
        elif not await scope.manages_unit(ctx.session, ctx.principal, unit["id"], ctx.today):
            errors.append(RowError(imported.row, UNIT_USCC, "无权在该单位登记医师"))
        if rec.practice_cert_no in certs:
            errors.append(RowError(imported.row, CERT, "该医师执业证书编码已登记"))
        if rec.resident_id and doctors.resident_id_hmac(key, rec.resident_id) in hmacs:
            errors.append(RowError(imported.row, RESIDENT_ID, "该居民身份证号码已登记"))
        if unit is not None:
            doctor = Doctor(str(uuid.uuid4()), rec.name, rec.practice_cert_no, rec.resident_id)
            items.append(doctors.NewDoctor(doctor, unit["id"], starts_on or ctx.today, rec.department, rec.phone))
    _refuse(errors)
    await doctors.register_many(ctx, items)
    return [{"row": imported.row, "id": item.doctor.doctor_id, "name": item.doctor.name,
             "institution_id": item.institution_id} for imported, item in zip(outcome.rows, items, strict=True)]
