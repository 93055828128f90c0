"""Case competitions (优秀案例征集, seed 001): the call, who may enter, and the entry form.

Eligibility: 省医院协会会员单位并开设了儿科的医疗机构 (member of the provincial hospital association
*and* has a pediatrics department). At most 3 entries per unit across all categories (上报数量总数限制在3个
以内 — a 4th is refused). Outline limits count characters (Unicode code points after NFC), not bytes:
案例背景 ≤ 200, 实施过程 ≤ 500, 成效与价值 ≤ 300. The 参赛承诺 (originality pledge) is required.
The deadline (3月20日前，逾期不予受理) closes at the end of that day in Asia/Shanghai.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from libs.kit.errors import Conflict, InvalidInput
from services.evaluation.domain.deadlines import require_aware


class Category(StrEnum):
    MANAGEMENT = "管理"
    MEDICAL = "医疗"
    NURSING = "护理"


OUTLINE_LIMITS: Mapping[str, int] = MappingProxyType({"background": 200, "implementation": 500, "results": 300})
_FIELD_NAMES = {"title": "案例名称", "contact": "联系方式", "background": "案例背景",
                "implementation": "实施过程", "results": "成效与价值"}


@dataclass(frozen=True)
class CaseCall:
    call_id: str
    title: str
    closes_at: datetime  # exclusive: use ``deadlines.closes_at(due_date)`` for "due date inclusive"
    categories: frozenset[Category] = frozenset(Category)
    max_entries_per_unit: int = 3
    limits: Mapping[str, int] = field(default_factory=lambda: OUTLINE_LIMITS)
    excellent_share: Decimal = Decimal("0.25")  # 优秀案例评选比例不超过总数的25%
    score_min: Decimal = Decimal(0)
    score_max: Decimal = Decimal(100)


@dataclass(frozen=True)
class Applicant:
    """参赛单位 as the registry knows it."""

    unit_id: str
    name: str
    association_member: bool  # 省医院协会会员单位
    has_pediatrics: bool  # 开设了儿科


@dataclass(frozen=True)
class CaseOutline:
    """儿科高质量发展案例提纲."""

    title: str
    category: str
    contact: str
    background: str
    implementation: str
    results: str
    pledge: bool  # 参赛承诺：服从安排、不侵犯著作权、不剽窃抄袭


@dataclass(frozen=True)
class CaseEntry:
    entry_id: str
    call_id: str
    unit_id: str
    category: Category
    outline: CaseOutline
    authors: tuple[str, ...]  # 申请人 (doctor ids)
    submitted_at: datetime


def char_count(text: str) -> int:
    """Characters as a reader counts them: code points after NFC, surrounding blanks excluded."""
    return len(unicodedata.normalize("NFC", text).strip())


def submit_case(call: CaseCall, applicant: Applicant, outline: CaseOutline, *, entry_id: str,
                authors: Sequence[str], existing: Sequence[CaseEntry], at: datetime) -> CaseEntry:
    """Accept one entry or refuse it with the reason; ``existing`` are the call's entries so far."""
    if require_aware(at, "submitted_at") >= call.closes_at:
        raise Conflict("案例征集已截止，逾期不予受理", field="submitted_at")
    _check_eligible(applicant)
    category = _check_outline(call, outline)
    if not authors or any(not isinstance(a, str) or not a.strip() for a in authors):
        raise InvalidInput("请填写申请人", field="authors")
    _check_quota(call, applicant, entry_id, existing)
    return CaseEntry(entry_id, call.call_id, applicant.unit_id, category, outline, tuple(authors), at)


def _check_eligible(applicant: Applicant) -> None:
    if not applicant.association_member:
        raise InvalidInput("参赛对象须为省医院协会会员单位", field="unit_id")
    if not applicant.has_pediatrics:
        raise InvalidInput("参赛对象须为开设了儿科的医疗机构", field="unit_id")


def _check_outline(call: CaseCall, outline: CaseOutline) -> Category:
    try:
        category = Category(outline.category)
    except ValueError:
        raise InvalidInput("分组类别应为管理、医疗或护理", field="category") from None
    if category not in call.categories:
        raise InvalidInput(f"本次征集不含{category}类", field="category")
    for name, label in _FIELD_NAMES.items():
        text = getattr(outline, name)
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput(f"请填写{label}", field=name)
        limit = call.limits.get(name)
        if limit is not None and char_count(text) > limit:
            raise InvalidInput(f"{label}限{limit}字以内，当前{char_count(text)}字", field=name)
    if outline.pledge is not True:
        raise InvalidInput("须确认参赛承诺（原创、不侵犯他人著作权）", field="pledge")
    return category


def _check_quota(call: CaseCall, applicant: Applicant, entry_id: str, existing: Sequence[CaseEntry]) -> None:
    if any(e.entry_id == entry_id for e in existing):
        raise Conflict("案例编号重复", field="entry_id")
    mine = sum(1 for e in existing if e.unit_id == applicant.unit_id and e.call_id == call.call_id)
    if mine >= call.max_entries_per_unit:
        raise Conflict(f"每个单位上报案例总数限{call.max_entries_per_unit}个以内，"
                       f"{applicant.name}已上报{mine}个", field="unit_id")
