"""Who acts, for which institution, and what they may see (authorization on every object).

- doctor: acts for the unit the DIRECTORY says they work at (a token naming another unit is refused);
- unit_admin (联络员 / 科主任): acts for the unit in their token;
- alliance_office: reads its own alliance (statistics, no patient identities);
- health_commission: reads alliances of its region (no identities); auditor: reads all (no identities).
Objects outside a caller's scope answer 404 (no existence leak); a role calling a function it must not, 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession

from libs.auth.principal import Principal, Role, region_covers
from libs.kit.errors import Forbidden
from services.referral.domain.alliance import Actor
from services.referral.persistence import directory

CLINICAL = (Role.DOCTOR, Role.UNIT_ADMIN)
OVERSIGHT = (Role.ALLIANCE_OFFICE, Role.HEALTH_COMMISSION, Role.AUDITOR)


class View(Enum):
    FULL = "full"  # one of the two institutions: patient identity included
    PSEUDONYMOUS = "pseudonymous"  # oversight: patient_ref only


@dataclass(frozen=True)
class Caller:
    principal: Principal
    actor: Actor | None  # set for doctors and unit admins

    @property
    def institution_id(self) -> str | None:
        return self.actor.institution_id if self.actor else None

    @property
    def doctor_id(self) -> str | None:
        return self.principal.doctor_id if self.principal.role is Role.DOCTOR else None


async def caller(session: AsyncSession, principal: Principal) -> Caller:
    if principal.role in CLINICAL:
        return Caller(principal, await actor_of(session, principal))
    return Caller(principal, None)


async def actor_of(session: AsyncSession, principal: Principal) -> Actor:
    """The acting user and unit; doctors must be registered (备案) at a unit in the directory."""
    if principal.role is Role.DOCTOR:
        if not principal.doctor_id:
            raise Forbidden("医生身份缺少 doctor_id", field="principal.doctor_id")
        unit = (await directory.doctor_institutions(session, [principal.doctor_id])).get(principal.doctor_id)
        if unit is None:
            raise Forbidden("该医生未在联盟目录中登记执业单位", field="principal.doctor_id")
        if principal.institution_id and principal.institution_id != unit:
            raise Forbidden("登录身份中的执业单位与目录不一致", field="principal.institution_id")
        return Actor(principal.doctor_id, unit)
    if principal.role is Role.UNIT_ADMIN and principal.institution_id:
        return Actor(principal.sub, principal.institution_id)
    raise Forbidden(f"角色 {principal.role.value} 无权执行此操作", field="role")


async def oversight_covers(session: AsyncSession, principal: Principal, alliance_id: str | None) -> bool:
    """Office of that alliance, commission of its region, or an auditor."""
    if alliance_id is None:
        return principal.role is Role.AUDITOR
    if principal.role is Role.ALLIANCE_OFFICE:
        return principal.alliance_id == alliance_id
    if principal.role is Role.HEALTH_COMMISSION:
        return region_covers(principal.region_code, await directory.alliance_region(session, alliance_id))
    return principal.role is Role.AUDITOR


def require(principal: Principal, *roles: Role) -> None:
    principal.require(*roles)


def region_prefix(region_code: str | None) -> str | None:
    """The code prefix a commission covers (430000 → "43", 430100 → "4301"), as ``region_covers`` reads it."""
    if not region_code:
        return None
    trimmed = region_code.rstrip("0")
    return trimmed + "0" if len(trimmed) % 2 else trimmed
