"""医疗机构: every field of the lead-unit part of 附件1《湖南省专科联盟建设备案表》.

机构性质, 机构等级, 行政级别, 编制床位数, 开放床位数, 全院职工数, 医护比, 医师数, 护士数, 药师数, 技师数,
国家/省级/市级临床重点专科 — plus the name, 统一社会信用代码 and 行政区划代码 that identify the unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TypeVar

from libs.kit.errors import InvalidInput
from services.registry.domain.codes.regions import region
from services.registry.domain.codes.specialties import parse_specialty_list
from services.registry.domain.identifiers import parse_uscc
from services.registry.domain.validation import ErrorCollector
from services.registry.domain.values import parse_count, parse_text

E = TypeVar("E", bound=StrEnum)
MAX_BEDS = 50_000  # the largest hospitals in China have ~10 000 beds; this only catches typing errors
MAX_STAFF = 100_000
STAFF_PARTS = {"doctors": "医师数", "nurses": "护士数", "pharmacists": "药师数", "technicians": "技师数"}


class Nature(StrEnum):
    """机构性质."""

    GOVERNMENT = "government"
    SOCIAL = "social"

    @property
    def label(self) -> str:
        return {"government": "政府办医疗机构", "social": "社会办医疗机构"}[self.value]


class Grade(StrEnum):
    """机构等级 (医院分级管理: 三级甲等 … 一级丙等; 未定等 / 未定级 where not yet assessed)."""

    THREE_A = "3A"
    THREE_B = "3B"
    THREE_C = "3C"
    THREE = "3"
    TWO_A = "2A"
    TWO_B = "2B"
    TWO_C = "2C"
    TWO = "2"
    ONE_A = "1A"
    ONE_B = "1B"
    ONE_C = "1C"
    ONE = "1"
    UNGRADED = "none"

    @property
    def label(self) -> str:
        if self is Grade.UNGRADED:
            return "未定级"
        level = "一二三"[int(self.value[0]) - 1] + "级"
        return level + ({"A": "甲等", "B": "乙等", "C": "丙等"}.get(self.value[1:], "（未定等）"))


class AdminRank(StrEnum):
    """行政级别 of a public hospital (机构规格), as the form asks for it."""

    VICE_MINISTERIAL = "vice_ministerial"
    BUREAU = "bureau"
    DEPUTY_BUREAU = "deputy_bureau"
    DIVISION = "division"
    DEPUTY_DIVISION = "deputy_division"
    SECTION = "section"
    DEPUTY_SECTION = "deputy_section"
    NONE = "none"

    @property
    def label(self) -> str:
        return _RANK_LABELS[self]


_RANK_LABELS = {
    AdminRank.VICE_MINISTERIAL: "副部级", AdminRank.BUREAU: "正厅级", AdminRank.DEPUTY_BUREAU: "副厅级",
    AdminRank.DIVISION: "正处级", AdminRank.DEPUTY_DIVISION: "副处级", AdminRank.SECTION: "正科级",
    AdminRank.DEPUTY_SECTION: "副科级", AdminRank.NONE: "无行政级别",
}


@dataclass(frozen=True, slots=True)
class KeySpecialties:
    """已拥有的临床重点专科, as 诊疗科目 codes, per level."""

    national: tuple[str, ...] = ()
    provincial: tuple[str, ...] = ()
    city: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Staff:
    """全院职工数 and its professional parts (医师/护士/药师/技师 are disjoint, so their sum ≤ total)."""

    total: int
    doctors: int
    nurses: int
    pharmacists: int
    technicians: int

    @property
    def doctor_nurse_ratio(self) -> Decimal | None:
        """医护比 as nurses per doctor (1 : x), two places; None when there is no doctor."""
        if self.doctors == 0:
            return None
        return (Decimal(self.nurses) / Decimal(self.doctors)).quantize(Decimal("0.01"), ROUND_HALF_UP)

    @property
    def doctor_nurse_ratio_text(self) -> str:
        ratio = self.doctor_nurse_ratio
        return "—" if ratio is None else f"1:{ratio}"


@dataclass(frozen=True, slots=True)
class Institution:
    """A medical institution as filed (主席单位 or any member unit)."""

    name: str
    uscc: str
    region_code: str
    nature: Nature
    grade: Grade
    admin_rank: AdminRank
    authorised_beds: int
    open_beds: int
    staff: Staff
    key_specialties: KeySpecialties

    @property
    def doctor_nurse_ratio(self) -> Decimal | None:
        return self.staff.doctor_nurse_ratio

    @property
    def open_beds_exceed_authorised(self) -> bool:
        """开放床位 above 编制床位 is common and allowed; callers may flag it."""
        return self.open_beds > self.authorised_beds

    @classmethod
    def create(cls, **raw: object) -> Institution:
        """Validate every field from form or import values; all problems are raised together (422)."""
        return _build(raw)


def _build(raw: Mapping[str, object]) -> Institution:
    errors = ErrorCollector()
    values = {
        "name": errors.check(parse_text, raw.get("name"), field="name", label="机构名称", max_len=100),
        "uscc": errors.check(parse_uscc, raw.get("uscc"), field="uscc"),
        "region_code": errors.check(_region_code, raw.get("region_code")),
        "nature": errors.check(parse_nature, raw.get("nature")),
        "grade": errors.check(parse_grade, raw.get("grade")),
        "admin_rank": errors.check(parse_admin_rank, raw.get("admin_rank")),
        "authorised_beds": errors.check(parse_count, raw.get("authorised_beds"), field="authorised_beds",
                                        label="编制床位数", maximum=MAX_BEDS),
        "open_beds": errors.check(parse_count, raw.get("open_beds"), field="open_beds", label="开放床位数",
                                  maximum=MAX_BEDS),
        "staff": errors.check(parse_staff, raw),
        "key_specialties": errors.check(parse_key_specialties, raw),
    }
    errors.raise_if_any()
    return Institution(**values)  # type: ignore[arg-type]


def _region_code(raw: object) -> str:
    return region(str(raw or ""), field="region_code", current_only=True).code


def parse_staff(raw: Mapping[str, object]) -> Staff:
    errors = ErrorCollector()
    total = errors.check(parse_count, raw.get("staff_total"), field="staff_total", label="全院职工数",
                         maximum=MAX_STAFF)
    parts = {key: errors.check(parse_count, raw.get(key), field=key, label=label, maximum=MAX_STAFF)
             for key, label in STAFF_PARTS.items()}
    errors.raise_if_any()
    _check_parts(total, parts)  # type: ignore[arg-type]
    return Staff(total=total, **parts)  # type: ignore[arg-type]


def _check_parts(total: int, parts: dict[str, int]) -> None:
    errors = ErrorCollector()
    for key, value in parts.items():
        if value > total:
            errors.add(key, f"{STAFF_PARTS[key]}（{value}）不能超过全院职工数（{total}）")
    errors.raise_if_any()
    if sum(parts.values()) > total:
        raise InvalidInput(f"医师、护士、药师、技师合计（{sum(parts.values())}）不能超过全院职工数（{total}）",
                           field="staff_total")


def parse_key_specialties(raw: Mapping[str, object]) -> KeySpecialties:
    errors = ErrorCollector()
    lists = {level: errors.check(parse_specialty_list, raw.get(f"{level}_key_specialties"),  # type: ignore[arg-type]
                                 field=f"{level}_key_specialties")
             for level in ("national", "provincial", "city")}
    errors.raise_if_any()
    return KeySpecialties(**lists)  # type: ignore[arg-type]


def parse_nature(raw: object) -> Nature:
    return _choice(raw, Nature, {"政府办": Nature.GOVERNMENT, "公立": Nature.GOVERNMENT,
                                 "社会办": Nature.SOCIAL, "民营": Nature.SOCIAL},
                   field="nature", label="机构性质")


def parse_grade(raw: object) -> Grade:
    aliases = {g.label: g for g in Grade}
    aliases.update({g.label.replace("级", "").replace("等", "")[:2]: g for g in Grade if len(g.value) == 2})
    aliases.update({"三级": Grade.THREE, "二级": Grade.TWO, "一级": Grade.ONE, "未定级": Grade.UNGRADED,
                    "三级未定等": Grade.THREE, "二级未定等": Grade.TWO, "一级未定等": Grade.ONE})
    return _choice(raw, Grade, aliases, field="grade", label="机构等级")


def parse_admin_rank(raw: object) -> AdminRank:
    aliases = {r.label: r for r in AdminRank}
    aliases.update({"无": AdminRank.NONE, "无级别": AdminRank.NONE})
    return _choice(raw, AdminRank, aliases, field="admin_rank", label="行政级别")


def _choice(raw: object, kind: type[E], aliases: Mapping[str, E], *, field: str, label: str) -> E:
    """Accept the enum itself, its English value, its Chinese label or an alias (prefix match for 政府办…)."""
    if isinstance(raw, kind):
        return raw
    text = "" if raw is None else str(raw).strip().replace("（", "(").replace("）", ")")
    text = text.replace("(", "").replace(")", "")
    if text in {m.value for m in kind}:
        return kind(text)
    for alias, member in aliases.items():
        if text == alias.replace("（", "").replace("）", "") or (len(alias) > 2 and text.startswith(alias)):
            return member
    options = "、".join(getattr(m, "label", m.value) for m in kind)
    raise InvalidInput(f"{label}无效：{text[:20] or '（空）'}；可选：{options}", field=field)


def key_specialty_codes(institution: Institution) -> Iterable[str]:
    """Every key-specialty code of the unit, national first."""
    ks = institution.key_specialties
    return dict.fromkeys((*ks.national, *ks.provincial, *ks.city)).keys()
