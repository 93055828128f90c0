"""第七条 naming rule: 专科联盟名称 = 行政区划 + 专科名称 + 专科联盟 (湖南省儿科专科联盟, 海口市神经外科专科联盟)."""

from __future__ import annotations

from libs.kit.errors import InvalidInput
from services.registry.domain.codes.regions import Level, Region, region
from services.registry.domain.codes.specialties import Specialty, specialty

SUFFIX = "专科联盟"


def expected_name(region_code: str, specialty_code: str) -> str:
    """The canonical name for an alliance of this region and specialty."""
    return _home(region_code).name + specialty(specialty_code).label + SUFFIX


def check_name(name: str, *, region_code: str, specialty_code: str) -> str:
    """Return the trimmed name if it follows the rule for this region and specialty, else refuse (422).

    The region may be written short (长沙市) or in full (湖南省长沙市); the specialty by its label (神经外科),
    its list name (神经外科专业) or a registered alias (心血管 for 心血管内科专业).
    """
    text = "".join(str(name or "").split())
    home, subject = _home(region_code), specialty(specialty_code)
    if text not in _accepted(home, subject):
        expected = home.name + subject.label + SUFFIX
        raise InvalidInput(
            f"专科联盟名称应由“行政区划+专科名称+专科联盟”组成，应为「{expected}」，而不是「{text[:40]}」",
            field="name", expected=expected,
        )
    return text


def _home(region_code: str) -> Region:
    home = region(region_code, field="region_code", current_only=True)
    if home.is_placeholder:
        raise InvalidInput(f"{home.full_name}不是行政区划名称，请选择具体的省、市或县（区）", field="region_code")
    return home


def _accepted(home: Region, subject: Specialty) -> set[str]:
    regions = {home.name, home.full_name}
    if home.level is not Level.PROVINCE:
        regions.add(home.full_name.removeprefix(region(home.province_code).name))  # 长沙市望城区
    return {r + s + SUFFIX for r in regions if r for s in subject.names}
