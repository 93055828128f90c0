"""Who may see or do what, on every object (deny by default).

- doctor: own balance, statement and redemptions; its alliance's catalog and leaderboards;
- unit_admin: doctors currently registered at its own institution; its alliance's leaderboards;
- alliance_office: its own alliance — awards, reversals, adjustments, catalog, confirmations, year close —
  and the doctors of its member units;
- health_commission: leaderboards and snapshots of alliances its region covers;
- auditor (read-only) and platform_admin: read everything; the audit endpoints are the auditor's.
An object outside the caller's scope answers 404 (no existence leak); a role that may never call a function
gets 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from libs.auth.principal import Principal, Role, region_covers
from libs.kit.errors import Forbidden, NotFound
from services.points.persistence import directory
from services.points.runtime import PointsRuntime

READ_ALL = (Role.AUDITOR, Role.PLATFORM_ADMIN)


def get_points(request: Request) -> PointsRuntime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, PointsRuntime)
    return runtime


PointsDep = Annotated[PointsRuntime, Depends(get_points)]


def actor(principal: Principal) -> str:
    return f"{principal.role.value}:{principal.sub}"[:200]


def office_alliance(principal: Principal) -> str:
    """The alliance of an 联盟管理办公室 caller (403 for any other role)."""
    principal.require(Role.ALLIANCE_OFFICE)
    if not principal.alliance_id:
        raise Forbidden("您的身份未关联联盟", field="alliance_id")
    return principal.alliance_id


def own_doctor(principal: Principal) -> str:
    principal.require(Role.DOCTOR)
    if not principal.doctor_id:
        raise Forbidden("您的身份未关联医师", field="doctor_id")
    return principal.doctor_id


def _hidden_alliance() -> NotFound:
    return NotFound("联盟不存在或不在您的管辖范围内", field="alliance_id")


async def readable_alliance(session: AsyncSession, principal: Principal, alliance_id: str) -> None:
    if principal.role in READ_ALL:
        return
    if principal.role is Role.ALLIANCE_OFFICE:
        if principal.alliance_id != alliance_id:
            raise _hidden_alliance()
        return
    if principal.role is Role.HEALTH_COMMISSION:
        alliance = await directory.find_alliance(session, alliance_id)
        if alliance is None or not region_covers(principal.region_code, alliance.region_code):
            raise _hidden_alliance()
        return
    if principal.role in (Role.DOCTOR, Role.UNIT_ADMIN):
        if principal.alliance_id == alliance_id:
            return
        if principal.institution_id and principal.institution_id in await directory.member_units(session,
                                                                                                  alliance_id):
            return
        raise _hidden_alliance()
    raise Forbidden(f"角色 {principal.role.value} 无权查看积分数据", field="role")


async def readable_member(session: AsyncSession, principal: Principal, doctor_id: str) -> None:
    """A doctor's balance and statement: the doctor, their unit's admin, their alliance's office, auditors."""
    hidden = NotFound("医师不存在或不在您的管辖范围内", field="doctor_id")
    if principal.role in READ_ALL:
        return
    if principal.role is Role.DOCTOR:
        if principal.doctor_id != doctor_id:
            raise hidden
        return
    if principal.role is Role.UNIT_ADMIN:
        known = await directory.doctor(session, doctor_id)
        if known is None or not principal.institution_id or known[1] != principal.institution_id:
            raise hidden
        return
    if principal.role is Role.ALLIANCE_OFFICE:
        units = await directory.member_units(session, principal.alliance_id or "")
        if not await directory.doctor_in_units(session, doctor_id, units):
            raise hidden
        return
    raise Forbidden(f"角色 {principal.role.value} 无权查看个人积分", field="role")


def require_auditor(principal: Principal) -> None:
    principal.require(Role.AUDITOR)
