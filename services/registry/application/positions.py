"""职务 (副主委 / 常委 / 委员) in societies set up by the lead unit, with dates — they feed points rule R03b.

Recorded by the alliance's office (or the lead unit); the holder must practise at an active member unit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import RowMapping

from libs.events.schemas.registry import PositionAssigned, PositionEnded
from libs.kit.errors import Conflict, NotFound
from services.registry.application import alliances, doctors, scope
from services.registry.application.context import Ctx
from services.registry.application.events import doctor_subject
from services.registry.domain import position as domain
from services.registry.domain.status import ENDED, FilingStatus
from services.registry.persistence import doctors as doctors_repo
from services.registry.persistence import positions as repo


async def assign(ctx: Ctx, doctor_id: str, body: Mapping[Any, Any]) -> RowMapping:
    alliance = await alliances.get(ctx, str(body.get("alliance_id") or ""), for_update=True)
    scope.ensure_manages_alliance(ctx.principal, alliance)
    if FilingStatus(alliance["status"]) in ENDED:
        raise Conflict(f"专科联盟已{FilingStatus(alliance['status']).label}，不能登记职务", field="alliance_id")
    await doctors.get(ctx, doctor_id, for_update=True)
    await _ensure_practises_in(ctx, doctor_id, alliance["id"])
    existing = [repo.position_from_row(r) for r in await repo.of_doctor(ctx.session, doctor_id)]
    position = domain.appoint(existing, doctor_id=doctor_id, society=body.get("society"), title=body.get("title"),
                              starts_on=body.get("starts_on"), ends_on=body.get("ends_on"))  # type: ignore[arg-type]
    row = await repo.insert(ctx.session, {
        "id": str(uuid.uuid4()), "doctor_id": doctor_id, "alliance_id": alliance["id"],
        "society": position.society, "title": position.title.value, "starts_on": position.starts_on,
        "ends_on": position.ends_on, "recorded_by": ctx.actor, "created_at": ctx.now, "updated_at": ctx.now})
    await ctx.publish(PositionAssigned(position_id=row["id"], doctor_id=doctor_id, alliance_id=alliance["id"],
                                       society=position.society, title=position.title.value,
                                       start_date=position.starts_on), subject=doctor_subject(doctor_id))
    if position.ends_on is not None:
        await _publish_end(ctx, row)
    return row


async def _ensure_practises_in(ctx: Ctx, doctor_id: str, alliance_id: str) -> None:
    history = doctors_repo.history_of(doctor_id, await doctors_repo.periods(ctx.session, doctor_id))
    unit = history.current.institution_id if history.current else None
    if unit is None or not await scope.is_active_member(ctx.session, alliance_id, unit, ctx.today):
        raise Conflict("该医师当前不在本联盟成员单位执业，不能登记联盟职务", field="doctor_id")


async def end(ctx: Ctx, doctor_id: str, position_id: str, *, ends_on: date) -> RowMapping:
    await doctors.get(ctx, doctor_id, for_update=True)
    rows = {r["id"]: r for r in await repo.of_doctor(ctx.session, doctor_id)}
    row = rows.get(position_id)
    if row is None:
        raise NotFound("职务不存在", field="position_id")
    alliance = await alliances.get(ctx, row["alliance_id"])
    scope.ensure_manages_alliance(ctx.principal, alliance)
    ended = domain.end_position(repo.position_from_row(row), ends_on=ends_on)
    updated = await repo.end(ctx.session, position_id, {"ends_on": ended.ends_on, "updated_at": ctx.now})
    await _publish_end(ctx, updated)
    return updated


async def _publish_end(ctx: Ctx, row: Mapping[Any, Any]) -> None:
    await ctx.publish(PositionEnded(position_id=row["id"], doctor_id=row["doctor_id"], end_date=row["ends_on"]),
                      subject=doctor_subject(row["doctor_id"]))


async def of_doctor(ctx: Ctx, doctor_id: str) -> list[RowMapping]:
    await doctors.get(ctx, doctor_id)
    return await repo.of_doctor(ctx.session, doctor_id)
