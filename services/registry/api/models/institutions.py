"""机构 bodies: every field of the lead-unit part of 附件1."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from services.registry.api.models.common import Count, In, Name, Short
from services.registry.domain.codes.regions import find_region
from services.registry.domain.codes.specialties import find_specialty
from services.registry.domain.institution import AdminRank, Grade, Nature, Staff

SpecialtyList = list[Short]


class InstitutionIn(In):
    """Chinese labels (政府办医疗机构, 三级甲等, 正处级) or the English values are accepted."""

    name: Name
    uscc: Short = Field(description="统一社会信用代码（18位，校验位按 GB 32100）")
    region_code: Short = Field(description="GB/T 2260 行政区划代码（现行）")
    nature: Short = Field(description="机构性质：government / social 或 政府办医疗机构 / 社会办医疗机构")
    grade: Short = Field(description="机构等级：3A…1C / none 或 三级甲等…")
    admin_rank: Short = Field(description="行政级别：正处级…无行政级别")
    authorised_beds: Count
    open_beds: Count
    staff_total: Count
    doctors: Count
    nurses: Count
    pharmacists: Count
    technicians: Count
    national_key_specialties: SpecialtyList = Field(default_factory=list, max_length=50)
    provincial_key_specialties: SpecialtyList = Field(default_factory=list, max_length=50)
    city_key_specialties: SpecialtyList = Field(default_factory=list, max_length=50)


class SpecialtyOut(BaseModel):
    code: str
    name: str


class KeySpecialtiesOut(BaseModel):
    national: list[SpecialtyOut]
    provincial: list[SpecialtyOut]
    city: list[SpecialtyOut]


class StaffOut(BaseModel):
    total: int
    doctors: int
    nurses: int
    pharmacists: int
    technicians: int


class InstitutionOut(BaseModel):
    id: str
    name: str
    uscc: str
    region_code: str
    region_name: str
    nature: str
    nature_label: str
    grade: str
    grade_label: str
    admin_rank: str
    admin_rank_label: str
    authorised_beds: int
    open_beds: int
    staff: StaffOut
    doctor_nurse_ratio: str | None = Field(description="医护比（每名医师对应护士数，两位小数）")
    doctor_nurse_ratio_text: str
    key_specialties: KeySpecialtiesOut
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> InstitutionOut:
        staff = Staff(row["staff_total"], row["doctors"], row["nurses"], row["pharmacists"], row["technicians"])
        ratio = staff.doctor_nurse_ratio
        region = find_region(row["region_code"])
        return cls(
            id=row["id"], name=row["name"], uscc=row["uscc"], region_code=row["region_code"],
            region_name=region.full_name if region else row["region_code"], nature=row["nature"],
            nature_label=Nature(row["nature"]).label, grade=row["grade"], grade_label=Grade(row["grade"]).label,
            admin_rank=row["admin_rank"], admin_rank_label=AdminRank(row["admin_rank"]).label,
            authorised_beds=row["authorised_beds"], open_beds=row["open_beds"],
            staff=StaffOut(total=staff.total, doctors=staff.doctors, nurses=staff.nurses,
                           pharmacists=staff.pharmacists, technicians=staff.technicians),
            doctor_nurse_ratio=None if ratio is None else str(ratio),
            doctor_nurse_ratio_text=staff.doctor_nurse_ratio_text,
            key_specialties=KeySpecialtiesOut(national=_specialties(row["national_key_specialties"]),
                                              provincial=_specialties(row["provincial_key_specialties"]),
                                              city=_specialties(row["city_key_specialties"])),
            version=row["version"], created_at=row["created_at"], updated_at=row["updated_at"])


def _specialties(codes: Sequence[str]) -> list[SpecialtyOut]:
    out = []
    for code in codes:
        found = find_specialty(code)
        out.append(SpecialtyOut(code=code, name=found.name if found else code))
    return out


class InstitutionPage(BaseModel):
    items: list[InstitutionOut]
    limit: int
    next_cursor: str | None = None
