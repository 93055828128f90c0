"""医师 and 职务 bodies. The resident ID is accepted once, never returned except masked."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, Field

from services.registry.api.models.common import Id, In, Short
from services.registry.domain.position import PositionTitle


class DoctorIn(In):
    name: Annotated[str, Field(max_length=50)]
    practice_cert_no: Short = Field(description="医师执业证书编码（15位数字）")
    resident_id: Short | None = Field(default=None, description="居民身份证号码（可选；仅保存密钥哈希与脱敏形式）")
    institution_id: Id = Field(description="注册执业的成员单位")
    starts_on: date | None = Field(default=None, description="在该单位执业的起始日期（默认今天）")
    department: Annotated[str | None, Field(max_length=50)] = None
    phone: Short | None = None


class UnitOut(BaseModel):
    institution_id: str
    institution_name: str
    department: str | None
    starts_on: date
    ends_on: date | None


class DoctorOut(BaseModel):
    id: str
    name: str
    practice_cert_no: str
    resident_id_masked: str | None = None
    phone: str | None = None
    institution_id: str | None = Field(description="当前注册单位")
    units: list[UnitOut] = Field(default_factory=list, description="执业单位历史（调动记录）")


class DoctorPage(BaseModel):
    items: list[DoctorOut]
    limit: int
    next_cursor: str | None = None


class MoveIn(In):
    to_institution_id: Id
    on: date = Field(description="调动日期：当前单位至前一日止，新单位自该日起")
    department: Annotated[str | None, Field(max_length=50)] = None


class PositionIn(In):
    alliance_id: Id
    society: Annotated[str, Field(max_length=100, description="牵头单位设立的学会/专委会名称")]
    title: Short = Field(description="vice_chair / standing / member 或 副主委 / 常委 / 委员")
    starts_on: date
    ends_on: date | None = None


class EndPositionIn(In):
    ends_on: date


class PositionOut(BaseModel):
    id: str
    doctor_id: str
    alliance_id: str
    society: str
    title: str
    title_label: str
    starts_on: date
    ends_on: date | None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> PositionOut:
        title = PositionTitle(row["title"])
        return cls(id=row["id"], doctor_id=row["doctor_id"], alliance_id=row["alliance_id"], society=row["society"],
                   title=title.value, title_label=title.label, starts_on=row["starts_on"], ends_on=row["ends_on"])
