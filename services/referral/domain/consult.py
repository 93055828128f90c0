"""远程会诊 (incl. 临床药师会诊), 远程心电, 远程影像, and 结果互认 (mutual recognition of results).

States: requested → answered; requested → cancelled. An answered result may be recognised (互认) by
other alliance institutions, each once (湖南省专科联盟管理办法 第十六条; 绩效指标 10).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from libs.kit.errors import Conflict, Forbidden, InvalidInput
from services.referral.domain import _checks
from services.referral.domain.alliance import Actor, AllianceView
from services.referral.domain.patient import ensure_pseudonym


class ConsultKind(StrEnum):
    CONSULT = "consult"  # 远程会诊
    PHARMACIST = "pharmacist"  # 临床药师会诊 (counted with 远程会诊, R05)
    ECG = "ecg"  # 远程心电
    IMAGING = "imaging"  # 远程影像

    @property
    def label(self) -> str:
        labels = {"consult": "远程会诊", "pharmacist": "临床药师会诊", "ecg": "远程心电", "imaging": "远程影像"}
        return labels[self.value]


class ConsultStatus(StrEnum):
    REQUESTED = "requested"
    ANSWERED = "answered"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"requested": "已申请", "answered": "已答复", "cancelled": "已取消"}[self.value]


@dataclass(frozen=True)
class ConsultStep:
    from_status: ConsultStatus | None
    to_status: ConsultStatus
    by: str
    by_institution_id: str
    at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class Answer:
    conclusion: str  # 会诊意见 / 诊断报告结论
    report_ref: str | None = None  # id of the report document in the records system


@dataclass(frozen=True)
class Recognition:
    """结果互认: an institution accepts the result instead of repeating the examination."""

    institution_id: str
    by: str
    at: datetime


@dataclass(frozen=True)
class Consult:
    consult_id: str
    alliance_id: str
    kind: ConsultKind
    requester_institution_id: str
    requester_doctor_id: str
    responder_institution_id: str
    patient_ref: str
    question: str
    status: ConsultStatus
    history: tuple[ConsultStep, ...]
    answer: Answer | None = None
    recognitions: tuple[Recognition, ...] = ()

    def respond(self, *, by: Actor, at: datetime, answer: Answer) -> Consult:
        """答复 by the consulted institution."""
        if by.institution_id != self.responder_institution_id:
            raise Forbidden("只有被邀请的会诊单位可以答复", field="consult_id")
        checked = Answer(_checks.text(answer.conclusion, "answer.conclusion", label="会诊意见", max_len=4000),
                         _checks.optional_text(answer.report_ref, "answer.report_ref", label="报告编号", max_len=128))
        return self._move(ConsultStatus.ANSWERED, by, at, "答复", answer=checked)

    def cancel(self, *, by: Actor, at: datetime, reason: str) -> Consult:
        """取消, by the requesting institution, before it is answered."""
        if by.institution_id != self.requester_institution_id:
            raise Forbidden("只有申请单位可以取消会诊", field="consult_id")
        return self._move(ConsultStatus.CANCELLED, by, at, "取消",
                          reason=_checks.text(reason, "reason", label="取消原因"))

    def recognize(self, *, by: Actor, at: datetime, alliance: AllianceView) -> Consult:
        """结果互认 by an alliance institution other than the one that issued the result."""
        if self.status is not ConsultStatus.ANSWERED:
            raise Conflict(f"当前状态为「{self.status.label}」，不能互认结果", field="status")
        if by.institution_id == self.responder_institution_id:
            raise InvalidInput("出具结果的单位无需互认", field="institution_id")
        if not _in_alliance(alliance, by.institution_id):
            raise Forbidden("只有联盟内单位可以互认结果", field="institution_id")
        if any(r.institution_id == by.institution_id for r in self.recognitions):
            raise Conflict("该单位已互认此结果", field="institution_id")
        when = _checks.instant(at)
        _checks.not_before(when, self.history[-1].at)
        return replace(self, recognitions=(*self.recognitions, Recognition(by.institution_id, by.user_id, when)))

    def _move(self, to: ConsultStatus, by: Actor, at: datetime, verb: str, reason: str | None = None,
              **changes: object) -> Consult:
        if self.status is not ConsultStatus.REQUESTED:
            raise Conflict(f"当前状态为「{self.status.label}」，不能{verb}", field="status",
                           current_status=self.status.value)
        when = _checks.instant(at)
        _checks.not_before(when, self.history[-1].at)
        step = ConsultStep(self.status, to, by.user_id, by.institution_id, when, reason)
        return replace(self, status=to, history=(*self.history, step), **changes)  # type: ignore[arg-type]


def request_consult(*, consult_id: str, alliance: AllianceView, kind: ConsultKind | str,
                    responder_institution_id: str, patient_ref: str, question: str, by: Actor,
                    at: datetime) -> Consult:
    """申请远程会诊 / 心电 / 影像 between two alliance institutions."""
    alliance.ensure_operating()
    for institution, field in ((by.institution_id, "requester_institution_id"),
                               (responder_institution_id, "responder_institution_id")):
        if not _in_alliance(alliance, institution):
            raise Forbidden("会诊双方都必须是本联盟单位", field=field)
    if by.institution_id == responder_institution_id:
        raise InvalidInput("不能向本单位申请远程会诊", field="responder_institution_id")
    when = _checks.instant(at)
    return Consult(
        consult_id=_checks.text(consult_id, "consult_id", label="会诊编号", max_len=64),
        alliance_id=alliance.alliance_id, kind=ConsultKind(kind),
        requester_institution_id=by.institution_id, requester_doctor_id=by.user_id,
        responder_institution_id=responder_institution_id, patient_ref=ensure_pseudonym(patient_ref),
        question=_checks.text(question, "question", label="会诊目的", max_len=4000),
        status=ConsultStatus.REQUESTED,
        history=(ConsultStep(None, ConsultStatus.REQUESTED, by.user_id, by.institution_id, when),),
    )


def _in_alliance(alliance: AllianceView, institution_id: str) -> bool:
    return institution_id == alliance.lead_institution_id or alliance.is_member(institution_id)
