"""Referral standards per alliance (转诊标准、转诊指征、转诊流程): versioned value objects.

湖南省专科联盟管理办法 第十四条: 完善患者转诊指征和流程 — 急危重症和疑难复杂疾病患者上转畅通，诊断明确、
病情稳定患者下转有序. 海口方案 六(四) and 考核细则 6: 制订转诊标准、转诊流程和运行机制，建立双向转诊
“绿色通道” (制订并实施 5 分, 制订未实施 2 分).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from libs.kit.errors import InvalidInput, NotFound
from services.referral.domain import _checks
from services.referral.domain.terms import Direction


class DocumentKind(StrEnum):
    REFERRAL_CRITERIA = "referral_criteria"
    REFERRAL_PROCESS = "referral_process"
    OPERATING_MECHANISM = "operating_mechanism"
    GREEN_CHANNEL = "green_channel"

    @property
    def label(self) -> str:
        return _DOC_LABELS[self]


_DOC_LABELS = {
    DocumentKind.REFERRAL_CRITERIA: "转诊标准",
    DocumentKind.REFERRAL_PROCESS: "转诊流程",
    DocumentKind.OPERATING_MECHANISM: "运行机制",
    DocumentKind.GREEN_CHANNEL: "双向转诊绿色通道",
}


@dataclass(frozen=True)
class Indication:
    """转诊指征: a code a referral names, valid for one direction."""

    code: str
    direction: Direction
    title: str
    description: str = ""


@dataclass(frozen=True)
class ProcessDocument:
    kind: DocumentKind
    title: str
    version: str
    adopted_on: date
    implemented: bool = False
    document_ref: str | None = None  # id of the file in the document store


DEFAULT_INDICATIONS = (
    Indication("emergency_critical", Direction.UP, "急危重症", "急危重症患者上转畅通"),
    Indication("difficult_complex", Direction.UP, "疑难复杂疾病", "疑难复杂疾病患者上转畅通"),
    Indication("stable", Direction.DOWN, "诊断明确、病情稳定", "诊断明确、病情稳定患者下转有序"),
)


@dataclass(frozen=True)
class ReferralStandard:
    alliance_id: str
    version: str
    effective_from: date
    indications: tuple[Indication, ...]
    documents: tuple[ProcessDocument, ...] = ()

    def indications_for(self, direction: Direction) -> tuple[Indication, ...]:
        return tuple(i for i in self.indications if i.direction is direction)

    def check_indication(self, direction: Direction, code: str) -> Indication:
        """The indication a referral names must exist in this standard for its direction."""
        for indication in self.indications_for(Direction(direction)):
            if indication.code == code:
                return indication
        allowed = "、".join(i.title for i in self.indications_for(Direction(direction)))
        raise InvalidInput(f"不符合本联盟{Direction(direction).label}指征（可选：{allowed}）", field="indication")

    def missing_documents(self) -> tuple[DocumentKind, ...]:
        present = {d.kind for d in self.documents}
        return tuple(k for k in DocumentKind if k not in present)

    def not_implemented(self) -> tuple[DocumentKind, ...]:
        """Adopted but not yet put into practice (制订未实施)."""
        return tuple(d.kind for d in self.documents if not d.implemented)


def new_standard(*, alliance_id: str, version: str, effective_from: date,
                 indications: Iterable[Indication] = DEFAULT_INDICATIONS,
                 documents: Iterable[ProcessDocument] = ()) -> ReferralStandard:
    chosen, docs = tuple(indications), tuple(documents)
    codes = [i.code for i in chosen]
    if len(codes) != len(set(codes)):
        raise InvalidInput("转诊指征编码重复", field="indications")
    for direction in Direction:
        if not any(i.direction is direction for i in chosen):
            raise InvalidInput(f"缺少{direction.label}指征", field="indications")
    if len({d.kind for d in docs}) != len(docs):
        raise InvalidInput("同类流程文件只能有一份现行版本", field="documents")
    return ReferralStandard(
        alliance_id=alliance_id,
        version=_checks.text(version, "version", label="版本", max_len=32),
        effective_from=effective_from, indications=chosen, documents=docs,
    )


def standard_on(standards: Iterable[ReferralStandard], on: date) -> ReferralStandard:
    """The version in force on a date: the latest ``effective_from`` not after it."""
    valid = [s for s in standards if s.effective_from <= on]
    if not valid:
        raise NotFound("该日期没有生效的转诊标准", field="on")
    return max(valid, key=lambda s: (s.effective_from, s.version))
