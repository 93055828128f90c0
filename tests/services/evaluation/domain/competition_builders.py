"""Keyword-only builders for case competitions (seed 001: 儿科高质量发展优秀案例评选)."""

from __future__ import annotations

from datetime import date, datetime
from itertools import count

from libs.kit.clock import SHANGHAI
from services.evaluation.domain.competition import Applicant, CaseCall, CaseEntry, CaseOutline, submit_case
from services.evaluation.domain.deadlines import closes_at

_ids = count(1)
BEFORE_DEADLINE = datetime(2024, 3, 15, 10, tzinfo=SHANGHAI)


def call(**changes: object) -> CaseCall:
    fields: dict[str, object] = dict(call_id="hn-forum-2024", title="儿科高质量发展优秀案例评选",
                                     closes_at=closes_at(date(2024, 3, 20)))
    fields.update(changes)
    return CaseCall(**fields)  # type: ignore[arg-type]


def applicant(*, unit_id: str = "unit-1", association_member: bool = True,
              has_pediatrics: bool = True) -> Applicant:
    return Applicant(unit_id, f"{unit_id}医院", association_member, has_pediatrics)


def outline(**changes: object) -> CaseOutline:
    fields: dict[str, object] = dict(
        title="县域儿科急危重症转运网络", category="管理", contact="尹芳 19898881368",
        background="县域儿童急危重症转运难。", implementation="依托医联体建立转运专线。",
        results="转运时间缩短。", pledge=True,
    )
    fields.update(changes)
    return CaseOutline(**fields)  # type: ignore[arg-type]


def entries(n: int, *, the_call: CaseCall | None = None) -> list[CaseEntry]:
    """``n`` accepted entries from distinct units."""
    c = the_call or call()
    made: list[CaseEntry] = []
    for i in range(n):
        made.append(submit_case(c, applicant(unit_id=f"unit-{i}"), outline(), entry_id=f"case-{next(_ids)}",
                                authors=[f"doc-{i}"], existing=made, at=BEFORE_DEADLINE))
    return made
