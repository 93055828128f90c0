"""Shared request field types: bounded strings, registry ids, the patient block, the closed-loop outcome.

Every model forbids unknown fields (mass assignment → 422) and bounds each string; text may not carry NUL
or other control characters (PostgreSQL refuses NUL, and control characters have no place in a form).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from services.referral.application.patients import PatientInput
from services.referral.domain.referral import Outcome

_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"


def _printable(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value) or "\x7f" in value:
        raise ValueError("不能包含控制字符")
    return value


def text(max_length: int, min_length: int = 1):  # type: ignore[no-untyped-def]
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length, strip_whitespace=True),
                     AfterValidator(_printable)]


def _bounded(max_length: int) -> StringConstraints:
    return StringConstraints(min_length=1, max_length=max_length, strip_whitespace=True)


RegistryId = Annotated[str, StringConstraints(pattern=_ID_PATTERN), Field(description="注册中心编号（机构/医生/联盟）")]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
ShortText = Annotated[str, _bounded(100), AfterValidator(_printable)]
Reason = Annotated[str, _bounded(500), AfterValidator(_printable)]
LongText = Annotated[str, _bounded(4000), AfterValidator(_printable)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PatientIn(Strict):
    """患者信息（最小必要）: 姓名、性别、出生日期，及居民身份证号码；无身份证的未成年人提供监护人联系电话。
    Stored encrypted; only the keyed pseudonym ``patient_ref`` leaves the service."""

    name: text(50)  # type: ignore[valid-type]
    sex: Literal["male", "female", "unknown"]
    birth_date: date
    id_number: text(32) | None = None  # type: ignore[valid-type]
    guardian_contact: text(32) | None = None  # type: ignore[valid-type]

    def to_input(self) -> PatientInput:
        return PatientInput(self.name, self.sex, self.birth_date, self.id_number, self.guardian_contact)

    def __repr__(self) -> str:
        return "PatientIn(<redacted>)"

    __str__ = __repr__


class OutcomeIn(Strict):
    """闭环反馈: 诊疗结果、诊断、后续治疗/随访建议 (sent back to the referring side, stored encrypted)."""

    summary: Reason
    diagnosis: Reason | None = None
    advice: Reason | None = None

    def to_domain(self) -> Outcome:
        return Outcome(summary=self.summary, diagnosis=self.diagnosis, advice=self.advice)
