"""专科联盟 request bodies: the 备案表 draft, lifecycle commands, members, council."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from services.registry.api.models.common import ContactIn, Count, DecimalText, Id, In, Name, Reason, Short


class ServiceAreaIn(In):
    whole_province: bool = Field(description="服务区域：全省（true）或其他（false，须填写 description）")
    description: Annotated[str | None, Field(max_length=200)] = None


class FiguresIn(In):
    """本专科指标数据 of the year before filing; percentages in percent; decimals as strings."""

    year: int = Field(strict=True, description="数据年度：备案日期上一年度")
    outpatient_visits: Count | None = None
    discharges: Count | None = None
    operations: Count | None = None
    cmi: DecimalText | None = None
    minimally_invasive_pct: DecimalText | None = None
    day_surgery_pct: DecimalText | None = None
    grade4_surgery_pct: DecimalText | None = None
    low_risk_mortality_pct: DecimalText | None = None
    out_of_area_pct: DecimalText | None = None
    mean_stay_days: DecimalText | None = None


class MemberIn(In):
    institution_id: Id
    role: Short = Field(description="lead / vice_chair / member 或 主席单位 / 副主席单位 / 成员单位")
    head: ContactIn = Field(description="专科负责人及联系电话")


class AllianceFormIn(In):
    name: Name = Field(description="行政区划+专科名称+专科联盟，如 湖南省儿科专科联盟")
    region_code: Short
    specialty_code: Short = Field(description="诊疗科目代码或名称，如 07 / 儿科")
    service_area: ServiceAreaIn
    chair: ContactIn = Field(description="联盟理事会主席")
    secretary: ContactIn = Field(description="秘书（须有电子邮箱更佳）")
    specialty_summary: str = Field(max_length=2000, description="本专科基本情况（300字左右）")
    figures: FiguresIn


class AllianceDraftIn(AllianceFormIn):
    members: list[MemberIn] = Field(min_length=1, max_length=500, description="联盟单位：须有且只有一个主席单位")
    joined_on: date | None = Field(default=None, description="成员单位加入日期（默认今天）")


class ReturnIn(In):
    reasons: list[Reason] = Field(min_length=1, max_length=20)


class SeatIn(ContactIn):
    institution_id: Id


class CouncilIn(In):
    chair: SeatIn
    vice_chairs: list[SeatIn] = Field(default_factory=list, max_length=50)
    secretary: SeatIn


class OpenIn(In):
    founded_on: date = Field(description="联盟成立的文件日期（标牌效期起点）")
    council: CouncilIn


class RenewIn(In):
    starts_on: date = Field(description="换届文件日期")
    council: CouncilIn


class RenameIn(In):
    new_name: Name
    specialty_code: Short | None = None


class MergeIn(In):
    into_alliance_id: Id
    reason: Reason


class DissolveIn(In):
    reason: Reason


class JoinIn(In):
    institution_id: Id
    role: Short
    head: ContactIn
    joined_on: date | None = None


class LeaveIn(In):
    left_on: date = Field(description="退出日期（自该日起不再是成员单位）")
