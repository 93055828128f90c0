"""医师登记 and 调动: one member unit at a time, history kept.

The 居民身份证号码 is optional; when given it is validated, then only its keyed HMAC (to refuse a second
registration of the same person) and a masked form are stored. It is never published nor returned in full.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import RowMapping

from libs.auth.principal import Role
from libs.events.schemas.registry import DoctorMoved, DoctorRegistered
from libs.kit.errors import Conflict, InvalidInput, NotFound
from libs.kit.pagination import Page, PageParams, keyset, page_of
from services.registry.application import scope
from services.registry.application.context import Ctx
from services.registry.application.events import doctor_subject
from services.registry.domain import doctor as domain
from services.registry.domain.contact import parse_phone
from services.registry.domain.doctor import Doctor, UnitHistory
from services.registry.domain.validation import ErrorCollector
from services.registry.domain.values import parse_text
from services.registry.persistence import doctors as repo
from services.registry.persistence import institutions as institutions_repo
from services.registry.persistence.guard import unique_or_conflict
from services.registry.persistence.tables import doctors

# Roles that may see the masked resident ID; a commission or an auditor reads the directory without it.
SEES_MASKED_ID = frozenset({Role.DOCTOR, Role.UNIT_ADMIN, Role.ALLIANCE_OFFICE, Role.PLATFORM_ADMIN})


@dataclass(frozen=True, slots=True)
class NewDoctor:
    doctor: Doctor
    institution_id: str
    starts_on: date
    department: str | None = None
    phone: str | None = None


def resident_id_hmac(key: str, resident_id: str) -> str:
    return hmac.new(key.encode(), resident_id.encode(), hashlib.sha256).hexdigest()


def parse_new(body: Mapping[Any, Any], *, today: date) -> NewDoctor:
    errors = ErrorCollector()
    doctor = errors.check(Doctor.create, doctor_id=str(uuid.uuid4()), name=body.get("name"),
                          practice_cert_no=body.get("practice_cert_no"), resident_id=body.get("resident_id"))
    department = errors.check(parse_text, body.get("department"), field="department", label="科室", max_len=50,
                              required=False)
    phone = errors.check(parse_phone, body.get("phone"), field="phone", required=False)
    errors.raise_if_any()
    return NewDoctor(doctor, str(body.get("institution_id") or ""), body.get("starts_on") or today,  # type: ignore[arg-type]
                     department, phone)


async def register(ctx: Ctx, body: Mapping[Any, Any]) -> RowMapping:
    item = parse_new(body, today=ctx.today)
    await scope.ensure_manages_unit(ctx.session, ctx.principal, item.institution_id, ctx.today)
    if not await institutions_repo.by_ids(ctx.session, [item.institution_id]):
        raise InvalidInput("机构不存在", field="institution_id")
    certs, hmacs = await repo.taken(ctx.session, certs=[item.doctor.practice_cert_no],
                                    hmacs=[_hmac(ctx, item.doctor)])
    if certs:
        raise Conflict("该医师执业证书编码已登记", field="practice_cert_no")
    if hmacs:
        raise Conflict("该居民身份证号码已登记", field="resident_id")
    await register_many(ctx, [item])
    row = await repo.get(ctx.session, item.doctor.doctor_id)
    assert row is not None
    return row


def _hmac(ctx: Ctx, doctor: Doctor) -> str:
    return resident_id_hmac(ctx.settings.resident_id_key, doctor.resident_id) if doctor.resident_id else ""


async def register_many(ctx: Ctx, items: Sequence[NewDoctor]) -> None:
    """Insert doctors with their first unit period and publish ``doctor.registered`` for each."""
    doctor_rows, unit_rows = [], []
    for item in items:
        d = item.doctor
        domain.register(UnitHistory(d.doctor_id), institution_id=item.institution_id, on=item.starts_on)
        doctor_rows.append({"id": d.doctor_id, "name": d.name, "practice_cert_no": d.practice_cert_no,
                            "resident_id_hmac": _hmac(ctx, d) or None, "resident_id_masked": d.masked_resident_id,
                            "phone": item.phone, "registered_by": ctx.actor, "created_at": ctx.now,
                            "updated_at": ctx.now})
        unit_rows.append({"doctor_id": d.doctor_id, "institution_id": item.institution_id,
                          "department": item.department, "starts_on": item.starts_on, "recorded_at": ctx.now})
    await unique_or_conflict(ctx.session, lambda: repo.insert(ctx.session, doctor_rows, unit_rows),
                             Conflict("医师执业证书编码或身份证号码已被同时登记，请重试", field="practice_cert_no"))
    for item in items:
        await ctx.publish(DoctorRegistered(doctor_id=item.doctor.doctor_id, institution_id=item.institution_id,
                                           display_name=item.doctor.name, effective_date=item.starts_on),
                          subject=doctor_subject(item.doctor.doctor_id))


async def get(ctx: Ctx, doctor_id: str, *, for_update: bool = False) -> RowMapping:
    row = await repo.get(ctx.session, doctor_id, where=scope.doctor_scope(ctx.principal, ctx.today, doctors.c.id),
                         for_update=for_update)
    if row is None:
        raise NotFound("医师不存在", field="doctor_id")
    return row


async def move(ctx: Ctx, doctor_id: str, *, to_institution_id: str, on: date,
               department: str | None = None) -> RowMapping:
    """调动: the releasing unit (or an office covering it) records the move; history keeps the old period."""
    doctor = await get(ctx, doctor_id, for_update=True)
    history = repo.history_of(doctor_id, await repo.periods(ctx.session, doctor_id))
    if history.current is not None:
        await scope.ensure_manages_unit(ctx.session, ctx.principal, history.current.institution_id, ctx.today,
                                        field="doctor_id")
    if not await institutions_repo.by_ids(ctx.session, [to_institution_id]):
        raise InvalidInput("调入机构不存在", field="to_institution_id")
    moved = domain.move(history, to_institution_id=to_institution_id, on=on)
    previous = moved.periods[-2].institution_id
    await repo.close_period(ctx.session, doctor_id, ends_on=on)
    await repo.open_period(ctx.session, doctor_id, to_institution_id, starts_on=on, department=department,
                           at=ctx.now)
    await ctx.publish(DoctorMoved(doctor_id=doctor_id, from_institution_id=previous,
                                  to_institution_id=to_institution_id, effective_date=on),
                      subject=doctor_subject(doctor_id))
    return doctor


async def listing(ctx: Ctx, page: PageParams, **filters: Any) -> Page[RowMapping]:
    stmt = repo.listing(scope.doctor_scope(ctx.principal, ctx.today, doctors.c.id), **filters)
    rows = (await ctx.session.execute(keyset(stmt, page, doctors.c.name, doctors.c.id))).mappings().all()
    return page_of(rows, page, lambda r: {"name": r["name"], "id": r["id"]})


def view(ctx: Ctx, row: Mapping[Any, Any], periods: Sequence[Mapping[Any, Any]] = ()) -> dict[str, Any]:
    current = next((p for p in periods if p["ends_on"] is None), None)
    return {"id": row["id"], "name": row["name"], "practice_cert_no": row["practice_cert_no"],
            "resident_id_masked": row["resident_id_masked"] if ctx.principal.role in SEES_MASKED_ID else None,
            "phone": row["phone"] if ctx.principal.role in SEES_MASKED_ID else None,
            "institution_id": current["institution_id"] if current else None,
            "units": [{"institution_id": p["institution_id"], "institution_name": p["institution_name"],
                       "department": p["department"], "starts_on": p["starts_on"], "ends_on": p["ends_on"]}
                      for p in periods]}
