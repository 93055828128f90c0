"""The Referral aggregate (双向转诊): a ServiceRequest (who asks whom for what) plus its Task (status).

Lifecycle (湖南省专科联盟管理办法 第十四条):
    requested → accepted | rejected;  accepted → arrived;  arrived → admitted (住院/急救) | seen (门诊);
    admitted | seen → completed;  requested | accepted → cancelled.
Every transition records who and when (``Transition``). Completion carries the closed-loop outcome
(闭环反馈) that goes back to the referring side. Illegal moves raise ``Conflict`` naming the state.

External systems (客服专线, 急救网络) do not call these commands: their events go through the
order-independent ``projection.apply``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from libs.kit.errors import Conflict, Forbidden, InvalidInput
from services.referral.domain import _checks
from services.referral.domain.alliance import Actor, AllianceView
from services.referral.domain.patient import ensure_pseudonym
from services.referral.domain.standards import ReferralStandard
from services.referral.domain.terms import ACTION_LABELS, Channel, Direction, Setting, Status, Urgency

_NEXT: dict[Status, frozenset[Status]] = {
    Status.REQUESTED: frozenset({Status.ACCEPTED, Status.REJECTED, Status.CANCELLED}),
    Status.ACCEPTED: frozenset({Status.ARRIVED, Status.CANCELLED}),
    Status.ARRIVED: frozenset({Status.ADMITTED, Status.SEEN}),
    Status.ADMITTED: frozenset({Status.COMPLETED}),
    Status.SEEN: frozenset({Status.COMPLETED}),
}
_INPATIENT_LIKE = frozenset({Setting.INPATIENT, Setting.EMERGENCY_TRANSPORT})


@dataclass(frozen=True)
class Party:
    """One side of a referral: the institution, and the doctor when known."""

    institution_id: str
    doctor_id: str | None = None


@dataclass(frozen=True)
class Transition:
    """One recorded step: from which state to which, by whom (user and institution), when, why."""

    from_status: Status | None
    to_status: Status
    by: str
    by_institution_id: str
    at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class Outcome:
    """闭环反馈: what the receiving side did, sent back to the referring side on completion."""

    summary: str
    diagnosis: str | None = None
    advice: str | None = None  # 后续治疗 / 随访建议


@dataclass(frozen=True)
class ClosedLoopNotice:
    """The outcome addressed to the referring doctor and unit (no patient identifiers, only patient_ref)."""

    referral_id: str
    recipient: Party
    sender: Party
    patient_ref: str
    outcome: Outcome
    completed_at: datetime


@dataclass(frozen=True)
class Referral:
    referral_id: str
    alliance_id: str
    direction: Direction
    setting: Setting
    channel: Channel
    referring: Party
    receiving: Party  # as requested; the doctor who accepted is ``receiving_doctor_id``
    patient_ref: str
    reason: str
    indication: str
    urgency: Urgency
    status: Status
    history: tuple[Transition, ...]
    receiving_doctor_id: str | None = None
    outcome: Outcome | None = None

    @property
    def requested_at(self) -> datetime:
        return self.history[0].at

    def accept(self, *, by: Actor, at: datetime, receiving_doctor_id: str | None = None) -> Referral:
        """接收: the receiving unit takes the patient; the doctor defaults to the one accepting."""
        self._ensure_receiving_side(by)
        doctor = receiving_doctor_id or self.receiving.doctor_id or by.user_id
        return self._move(Status.ACCEPTED, by, at, receiving_doctor_id=doctor)

    def reject(self, *, by: Actor, at: datetime, reason: str) -> Referral:
        """拒绝, with a reason the referring doctor will read."""
        self._ensure_receiving_side(by)
        return self._move(Status.REJECTED, by, at, reason=_checks.text(reason, "reason", label="拒绝原因"))

    def record_arrival(self, *, by: Actor, at: datetime) -> Referral:
        """到院: the patient reached the receiving unit (for 急救转运, the hand-over)."""
        self._ensure_receiving_side(by)
        return self._move(Status.ARRIVED, by, at)

    def record_admission(self, *, by: Actor, at: datetime) -> Referral:
        """入院: only for inpatient and emergency-transport referrals."""
        self._ensure_receiving_side(by)
        if self.setting not in _INPATIENT_LIKE and self.status == Status.ARRIVED:
            raise Conflict("门诊转诊不能登记入院", field="setting")
        return self._move(Status.ADMITTED, by, at)

    def record_visit(self, *, by: Actor, at: datetime) -> Referral:
        """就诊: only for outpatient referrals."""
        self._ensure_receiving_side(by)
        if self.setting in _INPATIENT_LIKE and self.status == Status.ARRIVED:
            raise Conflict(f"{self.setting.label}转诊应登记入院，不能登记门诊就诊", field="setting")
        return self._move(Status.SEEN, by, at)

    def complete(self, *, by: Actor, at: datetime, outcome: Outcome) -> Referral:
        """完成, with the closed-loop outcome for the referring side."""
        self._ensure_receiving_side(by)
        checked = _check_outcome(outcome)
        return self._move(Status.COMPLETED, by, at, outcome=checked)

    def cancel(self, *, by: Actor, at: datetime, reason: str) -> Referral:
        """取消 (either side), before the patient arrived."""
        if by.institution_id not in (self.referring.institution_id, self.receiving.institution_id):
            raise Forbidden("只有转出方或接收方可以取消转诊", field="referral_id")
        return self._move(Status.CANCELLED, by, at, reason=_checks.text(reason, "reason", label="取消原因"))

    def closed_loop_notice(self) -> ClosedLoopNotice:
        """The outcome addressed back to the referring side; only once completed."""
        if self.status != Status.COMPLETED or self.outcome is None:
            raise Conflict(f"当前状态为「{self.status.label}」，尚无闭环结果", field="status")
        return ClosedLoopNotice(
            referral_id=self.referral_id,
            recipient=self.referring,
            sender=Party(self.receiving.institution_id, self.receiving_doctor_id),
            patient_ref=self.patient_ref,
            outcome=self.outcome,
            completed_at=self.history[-1].at,
        )

    def _move(self, to: Status, by: Actor, at: datetime, reason: str | None = None, **changes: object) -> Referral:
        if to not in _NEXT.get(self.status, frozenset()):
            raise Conflict(f"当前状态为「{self.status.label}」，不能{ACTION_LABELS[to]}",
                           field="status", current_status=self.status.value)
        when = _checks.instant(at)
        _checks.not_before(when, self.history[-1].at)
        step = Transition(self.status, to, by.user_id, by.institution_id, when, reason)
        return replace(self, status=to, history=(*self.history, step), **changes)  # type: ignore[arg-type]

    def _ensure_receiving_side(self, by: Actor) -> None:
        if by.institution_id != self.receiving.institution_id:
            raise Forbidden("只有接收方可以执行该操作", field="referral_id")


def request_referral(
    *,
    referral_id: str,
    alliance: AllianceView,
    direction: Direction,
    setting: Setting,
    channel: Channel,
    referring: Party,
    receiving: Party,
    patient_ref: str,
    reason: str,
    indication: str,
    urgency: Urgency,
    by: Actor,
    at: datetime,
    standard: ReferralStandard | None = None,
) -> Referral:
    """转诊申请 by the referring side. Checks the route (up to the lead, down to a member), the channel,
    and, when the alliance's standard is given, that the indication is one of its 转诊指征."""
    alliance.ensure_operating()
    _check_route(alliance, Direction(direction), referring, receiving)
    _check_channel(Direction(direction), Setting(setting), Channel(channel))
    if standard is not None:
        standard.check_indication(Direction(direction), indication)
    if by.institution_id != referring.institution_id:
        raise Forbidden("只能以本单位名义发起转诊", field="referring.institution_id")
    when = _checks.instant(at)
    return Referral(
        referral_id=_checks.text(referral_id, "referral_id", label="转诊编号", max_len=64),
        alliance_id=alliance.alliance_id,
        direction=Direction(direction),
        setting=Setting(setting),
        channel=Channel(channel),
        referring=Party(referring.institution_id, referring.doctor_id or by.user_id),
        receiving=receiving,
        patient_ref=ensure_pseudonym(patient_ref),
        reason=_checks.text(reason, "reason", label="转诊原因"),
        indication=_checks.text(indication, "indication", label="转诊指征", max_len=64),
        urgency=Urgency(urgency),
        status=Status.REQUESTED,
        history=(Transition(None, Status.REQUESTED, by.user_id, by.institution_id, when),),
        receiving_doctor_id=receiving.doctor_id,
    )


def _check_route(alliance: AllianceView, direction: Direction, referring: Party, receiving: Party) -> None:
    lead = alliance.lead_institution_id
    if direction is Direction.UP:
        alliance.ensure_member(referring.institution_id, field="referring.institution_id")
        if receiving.institution_id != lead:
            raise InvalidInput("上转的接收方必须是联盟牵头单位", field="receiving.institution_id")
    else:
        if referring.institution_id != lead:
            raise InvalidInput("下转只能由联盟牵头单位发起", field="referring.institution_id")
        alliance.ensure_member(receiving.institution_id, field="receiving.institution_id")


def _check_channel(direction: Direction, setting: Setting, channel: Channel) -> None:
    emergency = channel is Channel.EMERGENCY_NETWORK
    if emergency != (setting is Setting.EMERGENCY_TRANSPORT):
        raise InvalidInput("急救转运须且只能经急救网络 85600965", field="channel")
    if emergency and direction is not Direction.UP:
        raise InvalidInput("急救网络转运只用于上转", field="direction")
    if channel is Channel.RESERVED_SLOT and (setting, direction) != (Setting.OUTPATIENT, Direction.UP):
        raise InvalidInput("预留号源只用于上转门诊", field="channel")


def _check_outcome(outcome: Outcome) -> Outcome:
    return Outcome(
        summary=_checks.text(outcome.summary, "outcome.summary", label="诊疗结果"),
        diagnosis=_checks.optional_text(outcome.diagnosis, "outcome.diagnosis", label="诊断"),
        advice=_checks.optional_text(outcome.advice, "outcome.advice", label="后续建议"),
    )
