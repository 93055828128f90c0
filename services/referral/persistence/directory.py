"""The directory replica (机构、联盟、成员单位、医师), kept from registry events; lookups for the use cases.

Upserts are conditional on the effective date where the registry gives one, so a late, older event never
overwrites a newer fact (a doctor's move, a member leaving).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Boolean, String, and_, bindparam, cast, func, literal, null, select, union_all, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.domain.alliance import AllianceView
from services.referral.persistence.tables import dir_alliances, dir_doctors, dir_institutions, dir_memberships

LEAD = "lead"


# ---- lookups -----------------------------------------------------------------------------------------
async def alliance_view(session: AsyncSession, alliance_id: str) -> AllianceView | None:
    """The alliance with its active members; ``lead_institution_id`` is "" while no lead is known."""
    joined = dir_alliances.outerjoin(dir_memberships, and_(
        dir_memberships.c.alliance_id == dir_alliances.c.alliance_id, dir_memberships.c.active))
    rows = (await session.execute(
        select(dir_alliances.c.operating, dir_memberships.c.institution_id, dir_memberships.c.role)
        .select_from(joined).where(dir_alliances.c.alliance_id == alliance_id))).all()
    if not rows:
        return None
    lead = next((r.institution_id for r in rows if r.role == LEAD), "")
    members = frozenset(r.institution_id for r in rows if r.institution_id and r.role != LEAD)
    return AllianceView(alliance_id, lead, members, operating=bool(rows[0].operating))


async def doctor_institutions(session: AsyncSession, doctor_ids: Iterable[str]) -> dict[str, str]:
    ids = sorted({d for d in doctor_ids if d})
    if not ids:
        return {}
    rows = await session.execute(select(dir_doctors.c.doctor_id, dir_doctors.c.institution_id)
                                 .where(dir_doctors.c.doctor_id.in_(ids)))
    return {r.doctor_id: r.institution_id for r in rows}


@dataclass(frozen=True)
class Snapshot:
    """What one webhook needs to know of the directory, read in ONE round trip."""

    alliance: AllianceView | None
    institutions: frozenset[str]
    doctors: dict[str, str]  # doctor → current unit


def _snapshot_statement() -> Any:
    none_text, none_bool = cast(null(), String), cast(null(), Boolean)
    institutions = select(literal("institution").label("kind"), dir_institutions.c.institution_id.label("id"),
                          none_text.label("unit"), none_text.label("role"), none_bool.label("operating")
                          ).where(dir_institutions.c.institution_id.in_(bindparam("units", expanding=True)))
    doctors = select(literal("doctor"), dir_doctors.c.doctor_id, dir_doctors.c.institution_id, none_text,
                     none_bool).where(dir_doctors.c.doctor_id.in_(bindparam("doctors", expanding=True)))
    alliance = select(literal("alliance"), dir_alliances.c.alliance_id, dir_memberships.c.institution_id,
                      dir_memberships.c.role, dir_alliances.c.operating).select_from(
        dir_alliances.outerjoin(dir_memberships, and_(dir_memberships.c.alliance_id == dir_alliances.c.alliance_id,
                                                      dir_memberships.c.active))
    ).where(dir_alliances.c.alliance_id == bindparam("alliance_id"))
    return union_all(institutions, doctors, alliance)


_SNAPSHOT = _snapshot_statement()


async def snapshot(session: AsyncSession, *, alliance_id: str | None, institution_ids: Iterable[str],
                   doctor_ids: Iterable[str]) -> Snapshot:
    params = {"units": sorted({i for i in institution_ids if i}), "doctors": sorted({d for d in doctor_ids if d}),
              "alliance_id": alliance_id or ""}
    rows = (await session.execute(_SNAPSHOT, params)).all()
    alliance_rows = [r for r in rows if r.kind == "alliance"]
    view = None
    if alliance_rows and alliance_id:
        lead = next((r.unit for r in alliance_rows if r.role == LEAD), "")
        members = frozenset(r.unit for r in alliance_rows if r.unit and r.role != LEAD)
        view = AllianceView(alliance_id, lead, members, operating=bool(alliance_rows[0].operating))
    return Snapshot(view, frozenset(r.id for r in rows if r.kind == "institution"),
                    {r.id: r.unit for r in rows if r.kind == "doctor"})


async def alliance_region(session: AsyncSession, alliance_id: str) -> str | None:
    region: str | None = await session.scalar(select(dir_alliances.c.region_code)
                                              .where(dir_alliances.c.alliance_id == alliance_id))
    return region


def alliances_in_region(region_prefix: str):  # type: ignore[no-untyped-def]
    """A sub-select of the alliance ids whose region a commission at ``region_prefix`` covers."""
    return select(dir_alliances.c.alliance_id).where(dir_alliances.c.region_code.startswith(region_prefix))


# ---- replica upserts ---------------------------------------------------------------------------------
async def upsert_institution(session: AsyncSession, institution_id: str, name: str, region_code: str) -> None:
    stmt = insert(dir_institutions).values(institution_id=institution_id, name=name, region_code=region_code)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["institution_id"],
        set_={"name": stmt.excluded.name, "region_code": stmt.excluded.region_code, "updated_at": func.now()}))


async def upsert_alliance(session: AsyncSession, alliance_id: str, *, name: str, region_code: str, status: str,
                          operating: bool) -> None:
    stmt = insert(dir_alliances).values(alliance_id=alliance_id, name=name, region_code=region_code,
                                        status=status, operating=operating)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["alliance_id"],
        set_={"name": stmt.excluded.name, "region_code": stmt.excluded.region_code, "status": stmt.excluded.status,
              "operating": stmt.excluded.operating, "updated_at": func.now()}))


async def update_alliance(session: AsyncSession, alliance_id: str, **values: object) -> None:
    await session.execute(update(dir_alliances).where(dir_alliances.c.alliance_id == alliance_id)
                          .values(**values, updated_at=func.now()))


async def set_membership(session: AsyncSession, alliance_id: str, institution_id: str, *, role: str | None,
                         active: bool, effective_date: date) -> None:
    """Join (active) or leave (inactive); an event older than the stored one changes nothing."""
    stmt = insert(dir_memberships).values(alliance_id=alliance_id, institution_id=institution_id,
                                          role=role or "member", active=active, effective_date=effective_date)
    changes = {"active": stmt.excluded.active, "effective_date": stmt.excluded.effective_date, "updated_at": func.now()}
    if role is not None:
        changes["role"] = stmt.excluded.role
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["alliance_id", "institution_id"], set_=changes,
        where=dir_memberships.c.effective_date <= stmt.excluded.effective_date))


async def set_doctor(session: AsyncSession, doctor_id: str, *, institution_id: str, display_name: str | None,
                     effective_date: date) -> None:
    stmt = insert(dir_doctors).values(doctor_id=doctor_id, institution_id=institution_id,
                                      display_name=display_name or "", effective_date=effective_date)
    changes = {"institution_id": stmt.excluded.institution_id, "effective_date": stmt.excluded.effective_date,
               "updated_at": func.now()}
    if display_name is not None:
        changes["display_name"] = stmt.excluded.display_name
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["doctor_id"], set_=changes, where=dir_doctors.c.effective_date <= stmt.excluded.effective_date))
