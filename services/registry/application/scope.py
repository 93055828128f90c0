"""Who may see and change what (every object, every time — not only at the gateway).

Reads are scoped as SQL conditions, so a list and a fetch by id apply the same rule and an object out of scope
is simply not found (404, no existence leak):

- platform_admin, auditor: everything (auditor read-only);
- health_commission: its region (GB/T 2260 prefix) — alliances only once submitted (drafts stay with the lead unit);
- alliance_office: its alliance (or the drafts it created), and the institutions and doctors of its members;
- unit_admin: its institution, the alliances it belongs to (drafts only as lead), the doctors registered there;
- doctor: itself, its unit and the alliances its unit belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from libs.auth.principal import Principal, Role
from libs.kit.errors import Forbidden
from services.registry.persistence.tables import alliance_members, alliances, doctor_units, institutions

R = Role
Row = Mapping[Any, Any]


def actor_key(p: Principal) -> str:
    """How a principal is recorded as creator / actor: role and subject (a subject is unique within a role)."""
    return f"{p.role.value}:{p.sub}"


def region_prefix(region_code: str) -> str:
    """430000 → "43", 430100 → "4301", 430104 → "430104" (same reading as ``libs.auth.region_covers``)."""
    trimmed = region_code.rstrip("0")
    return trimmed + "0" if len(trimmed) % 2 else trimmed


def _covers(column: Any, p: Principal) -> ColumnElement[bool]:
    if not p.region_code:
        return false()
    return column.startswith(region_prefix(p.region_code), autoescape=True)


def active_on(day: date) -> ColumnElement[bool]:
    m = alliance_members.c
    return and_(m.joined_on <= day, or_(m.left_on.is_(None), m.left_on > day))


def _member_of(alliance_id: str | None, day: date) -> ColumnElement[bool]:
    """institutions.id is an active member of ``alliance_id``."""
    if not alliance_id:
        return false()
    m = alliance_members.c
    return exists(select(m.id).where(m.alliance_id == alliance_id, m.institution_id == institutions.c.id,
                                     active_on(day)))


def institution_scope(p: Principal, today: date) -> ColumnElement[bool]:
    i = institutions.c
    if p.role in (R.PLATFORM_ADMIN, R.AUDITOR):
        return true()
    if p.role is R.HEALTH_COMMISSION:
        return _covers(i.region_code, p)
    if p.role is R.ALLIANCE_OFFICE:
        own = i.registered_by_alliance_id == p.alliance_id if p.alliance_id else false()
        return or_(i.registered_by == actor_key(p), own, _member_of(p.alliance_id, today))
    if p.role is R.UNIT_ADMIN:
        return or_(i.id == p.institution_id, i.registered_by == actor_key(p))
    if p.role is R.DOCTOR:
        return i.id == p.institution_id if p.institution_id else false()
    return false()


def alliance_scope(p: Principal) -> ColumnElement[bool]:
    a = alliances.c
    filed = a.status != "draft"
    if p.role in (R.PLATFORM_ADMIN, R.AUDITOR):
        return true()
    if p.role is R.HEALTH_COMMISSION:
        return and_(filed, or_(_covers(a.region_code, p), _covers(a.authority_region_code, p)))
    if p.role is R.ALLIANCE_OFFICE:
        return or_(a.id == p.alliance_id, a.created_by == actor_key(p))
    if p.role in (R.UNIT_ADMIN, R.DOCTOR):
        if not p.institution_id:
            return a.created_by == actor_key(p) if p.role is R.UNIT_ADMIN else false()
        m = alliance_members.c
        member = exists(select(m.id).where(m.alliance_id == a.id, m.institution_id == p.institution_id))
        return or_(a.lead_institution_id == p.institution_id, a.created_by == actor_key(p), and_(filed, member))
    return false()


def doctor_scope(p: Principal, today: date, doctor_id_column: Any) -> ColumnElement[bool]:
    """Doctors whose current unit the principal covers (a doctor sees itself)."""
    if p.role in (R.PLATFORM_ADMIN, R.AUDITOR):
        return true()
    if p.role is R.DOCTOR:
        return doctor_id_column == p.doctor_id if p.doctor_id else false()
    u = doctor_units.c
    current = select(u.id).where(u.doctor_id == doctor_id_column, u.ends_on.is_(None))
    if p.role is R.UNIT_ADMIN:
        return exists(current.where(u.institution_id == p.institution_id)) if p.institution_id else false()
    unit = select(institutions.c.id).where(institutions.c.id == u.institution_id)
    if p.role is R.ALLIANCE_OFFICE:
        return exists(current.where(exists(unit.where(_member_of(p.alliance_id, today)))))
    if p.role is R.HEALTH_COMMISSION:
        return exists(current.where(exists(unit.where(_covers(institutions.c.region_code, p)))))
    return false()


# ---- changes ---------------------------------------------------------------------------------------------------
async def is_active_member(session: AsyncSession, alliance_id: str | None, institution_id: str, day: date) -> bool:
    if not alliance_id:
        return False
    m = alliance_members.c
    found = await session.scalar(select(m.id).where(m.alliance_id == alliance_id, m.institution_id == institution_id,
                                                    active_on(day)).limit(1))
    return found is not None


async def can_write_institution(session: AsyncSession, p: Principal, inst: Row, today: date) -> bool:
    if p.role is R.PLATFORM_ADMIN:
        return True
    if p.role is R.UNIT_ADMIN:
        return inst["id"] == p.institution_id or inst["registered_by"] == actor_key(p)
    if p.role is R.ALLIANCE_OFFICE:
        own_alliance = p.alliance_id is not None and inst["registered_by_alliance_id"] == p.alliance_id
        if inst["registered_by"] == actor_key(p) or own_alliance:
            return True
        return await is_active_member(session, p.alliance_id, inst["id"], today)
    return False


async def manages_unit(session: AsyncSession, p: Principal, institution_id: str, today: date) -> bool:
    """Doctors of a unit are managed by its unit_admin or by the office of an alliance it actively belongs to."""
    if p.role is R.PLATFORM_ADMIN:
        return True
    if p.role is R.UNIT_ADMIN:
        return institution_id == p.institution_id
    if p.role is R.ALLIANCE_OFFICE:
        return await is_active_member(session, p.alliance_id, institution_id, today)
    return False


async def ensure_manages_unit(session: AsyncSession, p: Principal, institution_id: str, today: date, *,
                              field: str = "institution_id") -> None:
    if not await manages_unit(session, p, institution_id, today):
        raise Forbidden("无权管理该单位的医师", field=field)


def manages_alliance(p: Principal, alliance: Row) -> bool:
    """The lead unit's side (牵头单位 / 联盟管理办公室): drafts, submits, opens, renews, manages members."""
    if p.role is R.ALLIANCE_OFFICE:
        return alliance["id"] == p.alliance_id or alliance["created_by"] == actor_key(p)
    if p.role is R.UNIT_ADMIN:
        return alliance["lead_institution_id"] == p.institution_id or alliance["created_by"] == actor_key(p)
    return False


def ensure_manages_alliance(p: Principal, alliance: Row) -> None:
    if not manages_alliance(p, alliance):
        raise Forbidden("只有牵头单位或联盟管理办公室可以办理此事项", field="role")
