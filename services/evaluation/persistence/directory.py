"""The directory replica (机构、联盟、成员单位、医师) kept from registry events, and its reads.

Writes are order-tolerant: an alliance row keeps the state of the *latest* event by event time, a membership or
a doctor's unit the one with the latest effective date, so a late redelivery never rolls a newer fact back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.errors import Conflict, NotFound
from services.evaluation.persistence.tables import alliances, doctors, institutions, memberships

LEAD = "lead"
# The registry's 备案 statuses, for the message only (the decision is its ``operating`` flag).
_STATUS_LABELS = {"draft": "草稿", "submitted": "已提交备案", "returned": "已退回", "approved": "已备案",
                  "preparing": "筹建中", "operating": "已挂牌运行", "merged": "已合并", "dissolved": "已撤销"}


@dataclass(frozen=True)
class AllianceRow:
    alliance_id: str
    name: str
    region_code: str
    level: str
    specialty_code: str
    status: str
    operating: bool


# ---- writes (consumers) ----------------------------------------------------------------------------------
async def put_institution(session: AsyncSession, *, institution_id: str, name: str, region_code: str,
                          at: datetime) -> None:
    values = {"institution_id": institution_id, "name": name, "region_code": region_code, "updated_at": at}
    stmt = pg_insert(institutions).values(**values)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[institutions.c.institution_id], set_=values,
        where=institutions.c.updated_at <= stmt.excluded.updated_at))


async def put_alliance(session: AsyncSession, row: AllianceRow, *, at: datetime) -> None:
    values = {**row.__dict__, "updated_at": at}
    stmt = pg_insert(alliances).values(**values)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[alliances.c.alliance_id], set_=values,
        where=alliances.c.updated_at <= stmt.excluded.updated_at))


async def stop_alliance(session: AsyncSession, alliance_id: str, *, status: str, at: datetime) -> None:
    """解散 / 合并: no activity may be attributed to it any more (a known alliance only)."""
    await session.execute(update(alliances).where(alliances.c.alliance_id == alliance_id,
                                                  alliances.c.updated_at <= at)
                          .values(operating=False, status=status, updated_at=at))


async def rename_alliance(session: AsyncSession, alliance_id: str, name: str, *, at: datetime) -> None:
    await session.execute(update(alliances).where(alliances.c.alliance_id == alliance_id,
                                                  alliances.c.updated_at <= at).values(name=name))


async def put_membership(session: AsyncSession, *, alliance_id: str, institution_id: str, role: str | None,
                         active: bool, effective: date) -> None:
    values: dict[str, object] = {"alliance_id": alliance_id, "institution_id": institution_id, "active": active,
                                 "effective_date": effective, "role": role or "member"}
    stmt = pg_insert(memberships).values(**values)
    changes = {k: v for k, v in values.items() if k != "role" or role is not None}
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[memberships.c.alliance_id, memberships.c.institution_id], set_=changes,
        where=memberships.c.effective_date <= stmt.excluded.effective_date))


async def put_doctor(session: AsyncSession, *, doctor_id: str, institution_id: str, effective: date) -> None:
    values = {"doctor_id": doctor_id, "institution_id": institution_id, "effective_date": effective}
    stmt = pg_insert(doctors).values(**values)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[doctors.c.doctor_id], set_=values,
        where=doctors.c.effective_date <= stmt.excluded.effective_date))


# ---- reads -----------------------------------------------------------------------------------------------
async def find_alliance(session: AsyncSession, alliance_id: str) -> AllianceRow | None:
    row = (await session.execute(select(alliances).where(alliances.c.alliance_id == alliance_id))).mappings().first()
    if row is None:
        return None
    return AllianceRow(**{k: row[k] for k in AllianceRow.__dataclass_fields__})


async def get_alliance(session: AsyncSession, alliance_id: str) -> AllianceRow:
    found = await find_alliance(session, alliance_id)
    if found is None:
        raise NotFound("联盟不存在或尚未备案", field="alliance_id")
    return found


def ensure_operating(alliance: AllianceRow) -> None:
    """未备案或已解散的联盟不得开展活动 (registry's operating flag)."""
    if not alliance.operating:
        status = _STATUS_LABELS.get(alliance.status, alliance.status)
        raise Conflict(f"联盟「{alliance.name}」当前状态为「{status}」，不能开展此项活动", field="alliance_id",
                       code="alliance_not_operating", status_code=alliance.status)


async def members(session: AsyncSession, alliance_id: str) -> dict[str, str]:
    """Active member units → role (lead / vice_chair / member)."""
    rows = await session.execute(select(memberships.c.institution_id, memberships.c.role).where(
        memberships.c.alliance_id == alliance_id, memberships.c.active.is_(True)))
    return {r.institution_id: r.role for r in rows}


async def lead_unit(session: AsyncSession, alliance_id: str) -> str | None:
    return next((unit for unit, role in sorted((await members(session, alliance_id)).items()) if role == LEAD),
                None)


async def alliances_of(session: AsyncSession, institution_id: str) -> list[str]:
    rows = await session.scalars(select(memberships.c.alliance_id).where(
        memberships.c.institution_id == institution_id, memberships.c.active.is_(True)))
    return sorted(rows)


async def all_alliances(session: AsyncSession) -> list[AllianceRow]:
    rows = (await session.execute(select(alliances).order_by(alliances.c.alliance_id))).mappings().all()
    return [AllianceRow(**{k: r[k] for k in AllianceRow.__dataclass_fields__}) for r in rows]


async def doctor_unit(session: AsyncSession, doctor_id: str) -> str | None:
    return await session.scalar(select(doctors.c.institution_id).where(doctors.c.doctor_id == doctor_id))


async def institution_names(session: AsyncSession, ids: list[str]) -> dict[str, str]:
    rows = await session.execute(select(institutions.c.institution_id, institutions.c.name)
                                 .where(institutions.c.institution_id.in_(ids)))
    return {r.institution_id: r.name for r in rows}
