"""专科联盟基本情况 as filed: name, region, specialty, 服务区域, 理事会主席, 秘书, 联盟单位 — and the derived
备案 authority.
"""

from __future__ import annotations

from dataclasses import dataclass

from libs.kit.errors import InvalidInput
from services.registry.domain.alliance.authority import FilingAuthority, filing_authority
from services.registry.domain.alliance.naming import check_name
from services.registry.domain.alliance.roster import Roster
from services.registry.domain.codes.regions import Level
from services.registry.domain.codes.specialties import specialty
from services.registry.domain.contact import Contact


@dataclass(frozen=True, slots=True)
class ServiceArea:
    """服务区域: 全省, or 其他 with a description."""

    whole_province: bool
    description: str | None = None

    @property
    def label(self) -> str:
        return "全省" if self.whole_province else f"其他：{self.description or ''}"


@dataclass(frozen=True, slots=True)
class Alliance:
    alliance_id: str
    name: str
    region_code: str
    specialty_code: str
    service_area: ServiceArea
    chair: Contact
    secretary: Contact
    roster: Roster
    authority: FilingAuthority

    @classmethod
    def create(cls, *, alliance_id: str, name: str, region_code: str, specialty_code: str,
               service_area: ServiceArea, chair: Contact, secretary: Contact, roster: Roster) -> Alliance:
        """Apply the naming rule, derive the 备案 authority from the members, check the service area."""
        code = specialty(specialty_code).code
        clean = check_name(name, region_code=region_code, specialty_code=code)
        authority = filing_authority(name=clean, region_code=region_code,
                                     member_region_codes=[e.region_code for e in roster.entries])
        if service_area.whole_province and authority.level is not Level.PROVINCE:
            raise InvalidInput("服务区域为“全省”的专科联盟须报省级卫生健康行政部门备案", field="service_area")
        if not service_area.whole_province and not (service_area.description or "").strip():
            raise InvalidInput("服务区域选择“其他”时须填写具体区域", field="service_area")
        return cls(alliance_id, clean, region_code, code, service_area, chair, secretary, roster, authority)
