"""附件1《湖南省专科联盟建设备案表》 as one value: lead unit, 本专科实力, 指标数据, 专科联盟基本情况."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from libs.kit.errors import InvalidInput
from services.registry.domain.alliance import Alliance, SpecialtyFigures
from services.registry.domain.institution import Institution
from services.registry.domain.values import parse_text

SUMMARY_MAX = 600  # the form asks for "300 字左右"; twice that is refused as not a summary

REQUIRED_DOCUMENTS = {"charter": "联盟章程", "agreement": "协议书", "member_list": "联盟成员单位名单"}


@dataclass(frozen=True, slots=True)
class FilingForm:
    lead: Institution
    specialty_summary: str  # 本专科基本情况（人员配备、先进技术等）
    figures: SpecialtyFigures
    alliance: Alliance
    filed_on: date

    @classmethod
    def create(cls, *, lead: Institution, lead_institution_id: str, specialty_summary: str,
               figures: SpecialtyFigures, alliance: Alliance, filed_on: date) -> FilingForm:
        """The lead unit of the form must be the 主席单位 of the roster; figures are for last year."""
        if alliance.roster.lead.institution_id != lead_institution_id:
            raise InvalidInput("备案表的牵头单位须为联盟单位名单中的主席单位", field="lead")
        if figures.year != filed_on.year - 1:
            raise InvalidInput(f"请填写备案日期上一年度（{filed_on.year - 1}年）的数据", field="figures.year")
        summary = parse_text(specialty_summary, field="specialty_summary", label="本专科基本情况",
                             max_len=SUMMARY_MAX)
        return cls(lead, summary, figures, alliance, filed_on)  # type: ignore[arg-type]


def missing_documents(provided: set[str]) -> list[str]:
    """第八条: 联盟章程、协议书、联盟成员单位名单 must be reported; returns the Chinese names still missing."""
    return [label for key, label in REQUIRED_DOCUMENTS.items() if key not in provided]
