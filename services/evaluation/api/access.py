"""Who may see or do what, on every object (deny by default).

- alliance_office: its own alliance — runs evaluations, opens periods and calls, records judges' scores;
- health_commission: alliances whose region its region covers (``region_covers``) — reads and runs evaluations;
- unit_admin: its own institution's filings in the alliances it belongs to;
- doctor: case entries of calls that allow it, for its own institution;
- auditor, platform_admin: read everything, change nothing (platform_admin also uploads frameworks).
An object outside the caller's scope answers 404 (no existence leak); a role that may never call a function
gets 403.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.auth.principal import Principal, Role, region_covers
from libs.kit.errors import Forbidden, NotFound
from services.evaluation.persistence import directory
from services.evaluation.persistence.directory import AllianceRow

READ_ALL = (Role.AUDITOR, Role.PLATFORM_ADMIN)
RUNNERS = (Role.ALLIANCE_OFFICE, Role.HEALTH_COMMISSION)


def _hidden() -> NotFound:
    return NotFound("联盟不存在或不在您的管辖范围内", field="alliance_id")


def may_run(principal: Principal, alliance: AllianceRow) -> bool:
    """联盟办公室 of the alliance, or a 卫生健康委 whose region covers it."""
    if principal.role is Role.ALLIANCE_OFFICE:
        return principal.alliance_id == alliance.alliance_id
    if principal.role is Role.HEALTH_COMMISSION:
        return region_covers(principal.region_code, alliance.region_code)
    return False


async def may_read(session: AsyncSession, principal: Principal, alliance: AllianceRow) -> bool:
    if principal.role in READ_ALL or may_run(principal, alliance):
        return True
    if principal.role in (Role.UNIT_ADMIN, Role.DOCTOR) and principal.institution_id:
        return principal.institution_id in await directory.members(session, alliance.alliance_id)
    return False


async def readable(session: AsyncSession, principal: Principal, alliance_id: str) -> AllianceRow:
    alliance = await directory.find_alliance(session, alliance_id)
    if alliance is None or not await may_read(session, principal, alliance):
        raise _hidden()
    return alliance


async def runnable(session: AsyncSession, principal: Principal, alliance_id: str,
                   roles: tuple[Role, ...] = RUNNERS) -> AllianceRow:
    """The alliance, when ``principal`` has one of ``roles`` (else 403) and the alliance is in its scope (else 404)."""
    principal.require(*roles)
    alliance = await directory.find_alliance(session, alliance_id)
    if alliance is None or not may_run(principal, alliance):
        raise _hidden()
    return alliance


def own_institution(principal: Principal) -> str:
    if not principal.institution_id:
        raise Forbidden("您的身份未关联医疗机构", field="institution_id")
    return principal.institution_id


async def member_unit(session: AsyncSession, principal: Principal, alliance: AllianceRow) -> tuple[str, str]:
    """The caller's own institution and its role in the alliance; 404 when it is not a member."""
    unit = own_institution(principal)
    role = (await directory.members(session, alliance.alliance_id)).get(unit)
    if role is None:
        raise _hidden()
    return unit, role


def actor(principal: Principal) -> str:
    return f"{principal.role.value}:{principal.sub}"[:200]


async def commission_alliances(session: AsyncSession, principal: Principal) -> list[AllianceRow]:
    """The alliances a commission (or an all-reader) may compare."""
    every = await directory.all_alliances(session)
    if principal.role in READ_ALL:
        return every
    if principal.role is Role.HEALTH_COMMISSION:
        return [a for a in every if region_covers(principal.region_code, a.region_code)]
    if principal.role is Role.ALLIANCE_OFFICE:
        return [a for a in every if a.alliance_id == principal.alliance_id]
    raise Forbidden(f"角色 {principal.role.value} 无权查看联盟间对比", field="role")
