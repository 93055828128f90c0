"""第七条 filing level (分级备案): which health commission (卫生健康委) files and manages an alliance.

- a name containing the province (含“湖南省”) or members spanning cities (跨市州) → the province commission;
- members spanning counties (跨县域) → the city (州市) commission;
- otherwise the commission of the alliance's own region (本级).
Municipalities (北京、天津…) have no separate city tier: their districts report to the municipality.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from libs.kit.errors import InvalidInput
from services.registry.domain.codes.regions import Level, Region, region


@dataclass(frozen=True, slots=True)
class FilingAuthority:
    """The 备案 authority: region code, its level and why it was chosen."""

    region_code: str
    level: Level
    name: str
    basis: str


def filing_authority(*, name: str, region_code: str, member_region_codes: Iterable[str]) -> FilingAuthority:
    """Derive the authority from the alliance name, its region and the regions of all member units."""
    home = region(region_code, field="region_code", current_only=True)
    members = [region(code, field="members") for code in member_region_codes]
    everyone = [home, *members]
    if len({r.province_code for r in everyone}) > 1:
        raise InvalidInput("成员单位跨省（自治区、直辖市），不属于省级及以下分级备案范围", field="members")
    province = region(home.province_code)
    if home.level is Level.PROVINCE or province.name in (name or ""):
        return _authority(province, f"名称含“{province.name}”，报省级卫生健康行政部门备案")
    cities = {_city_code(r) for r in everyone}
    if len(cities) > 1:
        return _authority(province, "成员单位跨市州，报省级卫生健康行政部门备案")
    city = region(cities.pop())
    if _spans_counties(members, home):
        return _authority(city, "成员单位跨县域，由州市卫生健康行政部门备案")
    if home.level is Level.CITY:
        return _authority(city, "市级专科联盟，由本级卫生健康行政部门备案")
    return _authority(home, "县级专科联盟，由本级卫生健康行政部门备案")


def _city_code(found: Region) -> str:
    """The 市/州 tier above a region; the province itself for municipalities and 省直辖县."""
    if found.level is Level.PROVINCE:
        return found.code
    code = found.code if found.level is Level.CITY else found.prefecture_code
    if code is None or region(code).is_placeholder:
        return found.province_code
    return code


def _spans_counties(members: list[Region], home: Region) -> bool:
    """A member at city level (registered to the city as a whole) also spans counties."""
    return any(m.level is not Level.COUNTY or m.code != home.code for m in members)


def _authority(found: Region, basis: str) -> FilingAuthority:
    return FilingAuthority(found.code, found.level, f"{commission_area(found)}卫生健康委员会", basis)


def commission_area(found: Region) -> str:
    """How a commission is named: 湖南省 / 长沙市 / 长沙市望城区 / 天津市蓟州区."""
    if found.level is not Level.COUNTY:
        return found.name
    above = region(found.prefecture_code) if found.prefecture_code else None
    if above is None or above.is_placeholder:
        return found.full_name
    return above.name + found.name
