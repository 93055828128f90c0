"""Events the referral service publishes (双向转诊, 预留号源, 远程会诊, 绿色通道, 转诊标准).

Patient data: ONLY ``patient_ref`` (keyed-HMAC pseudonym ``pr_…``) ever appears; no name, ID number,
phone, free-text reason or diagnosis. Times: ``occurred_at`` is the UTC instant the thing happened
(reported by the sender or recorded by the platform); ``business_date`` is its Asia/Shanghai calendar date
(year attribution for points and evaluation uses it).

Subjects (CloudEvents ``subject``): the referral, booking or consult id.

For the points service (积分, Hunan club scheme): consume ONLY ``alliance.referral.award.due`` and
``alliance.referral.award.revoked``. Each ``award.due`` is one award of one subject (``fact_id`` is
deterministic and unique; at most one open award per subject at any time); ``award.revoked`` names the
award it reverses in ``revokes_fact_id``. ``facts`` is a flat map ready for the scheme's ``[[direct]]``
routes (keys ``kind``, ``direction``, ``setting``, ``channel``, ``service`` and the beneficiary keys).
The other events are facts for evaluation (绩效评价) and notifications.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from libs.events.registry import EventData, event_type

Direction = Literal["up", "down"]  # 上转 / 下转
Setting = Literal["outpatient", "inpatient", "emergency_transport"]  # 门诊 / 住院 / 急救转运
# platform = 联盟平台（电子住院证）; hotline = 客服专线 85356855; emergency_network = 急救网络 85600965;
# reserved_slot = 专用门诊预留号源
Channel = Literal["platform", "hotline", "emergency_network", "reserved_slot"]
Origin = Literal["platform", "hotline", "emergency"]  # who reports the referral's milestones
Urgency = Literal["routine", "urgent", "critical"]
Status = Literal["requested", "accepted", "rejected", "arrived", "admitted", "seen", "completed", "cancelled"]
ConsultKind = Literal["consult", "pharmacist", "ecg", "imaging"]  # 远程会诊 / 临床药师会诊 / 远程心电 / 远程影像
PriorityService = Literal["reception", "examination", "admission"]  # 优先接诊 / 优先检查 / 优先住院
SubjectType = Literal["referral", "booking", "consult"]
RuleCode = Literal["R02a", "R02b", "R02c", "R02d", "R05"]


class _ReferralFacts(EventData):
    """The request (ServiceRequest) of a referral, repeated on each referral event so consumers need no join.

    - ``referral_id``: the platform id (``ref_…`` for platform referrals, ``<sender>:<external id>`` for
      hotline / emergency ones); ``origin``: who reports its milestones.
    - ``referring_*``: the 转出 side (institution always, doctor when known); ``receiving_*``: the 接收 side;
      ``receiving_doctor_id`` is the doctor who accepted, else the one requested, else None.
    - ``indication``: the 转诊指征 code (e.g. ``emergency_critical``, ``difficult_complex``, ``stable``).
    """

    referral_id: str
    origin: Origin
    alliance_id: str
    direction: Direction
    setting: Setting
    channel: Channel
    urgency: Urgency
    indication: str
    referring_institution_id: str
    referring_doctor_id: str | None
    receiving_institution_id: str
    receiving_doctor_id: str | None
    patient_ref: str


@event_type("alliance.referral.referral.requested")
class ReferralRequested(_ReferralFacts):
    """转诊申请 known to the platform (once per referral; for external referrals possibly after later
    milestones, when the request itself arrived late). ``occurred_at``: when the request was made."""

    occurred_at: datetime
    business_date: date


@event_type("alliance.referral.referral.status_changed")
class ReferralStatusChanged(_ReferralFacts):
    """The (derived) status of a referral changed; each transition recorded with who and when.

    - ``from_status``: the status last announced (None on the first announcement of a late request);
      ``to_status``: the status now. ``milestone``: what was reported or done (for external referrals
      the status is derived from all milestones, so a late ``cancelled`` may not change it).
    - ``by``: the user (or sender name for webhooks) who recorded it; ``by_institution_id`` when known.
    - ``occurred_at``: when the milestone happened; ``business_date`` its Asia/Shanghai date.
    Evaluation indicator 16 (下转患者) counts ``direction == "down"`` referrals reaching ``arrived``.
    """

    from_status: Status | None
    to_status: Status
    milestone: Status
    by: str | None
    by_institution_id: str | None
    occurred_at: datetime
    business_date: date


@event_type("alliance.referral.referral.completed")
class ReferralCompleted(_ReferralFacts):
    """转诊完成 (once per referral). The closed-loop outcome (闭环反馈) is NOT in the event (clinical text):
    the referring side reads it at ``GET /referrals/{referral_id}/outcome``; ``outcome_recorded`` says
    whether there is one (external senders may complete without it). Recipients of the notice are the
    ``referring_*`` ids. ``requested_at``/``occurred_at`` give the referral's duration."""

    outcome_recorded: bool
    requested_at: datetime
    occurred_at: datetime
    business_date: date


@event_type("alliance.referral.award.due")
class AwardDue(EventData):
    """A direct award (直接赋分) is due for one subject — emitted exactly once per award.

    - ``fact_id``: deterministic, unique (e.g. ``booking:<id>:booked``,
      ``referral:<id>:referral_completed:<event id>``); use it as the ledger's source/dedupe key.
    - ``subject_type``/``subject_id``: the referral, booking or consult. At most one award of a subject
      is open at a time; a later ``award.revoked`` names it, and a referral may become due again after a
      revocation (events reported out of order) with a NEW ``fact_id``.
    - ``rule_code`` + ``variant`` (our reading of the scheme, exactly the scheme file's codes):
      R02a/booking (预留号源挂号 2), R02b/outpatient (上转门诊 2), R02b/inpatient (上转住院 5),
      R02c/receive (接收下转 2), R02d/inpatient (急救转运住院 10), R05/consult (远程会诊 incl. 临床药师 2),
      R05/remote_ecg (1), R05/remote_imaging (1). ``rule_hint`` is the referral domain's hint
      (R02a…R02d, R05-consult, R05-diagnostics). ``quantity`` is always 1 (one patient / booking / request).
    - ``beneficiary_doctor_id``: the doctor who earns (R02a booking doctor, R02b/R02d referring doctor,
      R02c receiving doctor, R05 requesting doctor); None when the sender did not name one (park it).
      ``beneficiary_institution_id``: that doctor's unit at the time.
    - ``occurred_at``: the qualifying moment (arrival / admission / booking / request); ``business_date``
      its Asia/Shanghai date (the points year).
    - ``facts``: flat string map for the scheme's ``[[direct]]`` routes: ``kind`` (``referral_completed``,
      ``reserved_slot_booked`` or ``remote_consult_completed``), ``direction``, ``setting``, ``channel``,
      ``service`` (consult, pharmacist_consult, ecg, imaging) and ``referring_doctor_id`` /
      ``receiving_doctor_id`` / ``booking_doctor_id`` / ``requesting_doctor_id``, ``patient_ref``.
    """

    fact_id: str
    subject_type: SubjectType
    subject_id: str
    rule_code: RuleCode
    variant: str
    rule_hint: str
    quantity: int = 1
    beneficiary_doctor_id: str | None
    beneficiary_institution_id: str | None
    alliance_id: str
    patient_ref: str
    occurred_at: datetime
    business_date: date
    facts: dict[str, str]


@event_type("alliance.referral.award.revoked")
class AwardRevoked(EventData):
    """The award ``revokes_fact_id`` is no longer due: reverse it (冲正), once.

    ``reason``: ``referral_reversed`` (the referral was effectively cancelled or rejected, e.g. a cancel
    reported late but earlier than the arrival), ``slot_booking_cancelled`` (预约取消, the slot returned),
    ``consult_cancelled`` (会诊申请取消). The other fields repeat the revoked award's.
    """

    fact_id: str
    revokes_fact_id: str
    reason: Literal["referral_reversed", "slot_booking_cancelled", "consult_cancelled"]
    subject_type: SubjectType
    subject_id: str
    rule_code: RuleCode
    variant: str
    beneficiary_doctor_id: str | None
    alliance_id: str
    occurred_at: datetime
    business_date: date


@event_type("alliance.referral.slot.pool_opened")
class SlotPoolOpened(EventData):
    """预留号源 opened at the lead unit (``institution_id``) for one department and date."""

    pool_id: str
    alliance_id: str
    institution_id: str
    department: str
    on_date: date
    capacity: int
    occurred_at: datetime


@event_type("alliance.referral.slot.pool_resized")
class SlotPoolResized(EventData):
    """The number of reserved slots of a pool changed (never below its active bookings)."""

    pool_id: str
    alliance_id: str
    capacity: int
    booked: int
    occurred_at: datetime


@event_type("alliance.referral.slot.booked")
class SlotBooked(EventData):
    """预约: a member-unit doctor (``doctor_id`` at ``doctor_institution_id``) booked one reserved slot of
    ``pool_id`` (lead unit ``institution_id``, ``department``, visit date ``on_date``) for a patient."""

    booking_id: str
    pool_id: str
    alliance_id: str
    institution_id: str
    department: str
    on_date: date
    doctor_id: str
    doctor_institution_id: str
    patient_ref: str
    occurred_at: datetime
    business_date: date


@event_type("alliance.referral.slot.booking_cancelled")
class SlotBookingCancelled(EventData):
    """取消预约: the slot returned to its pool. ``cancelled_by``: the user who cancelled."""

    booking_id: str
    pool_id: str
    alliance_id: str
    institution_id: str
    department: str
    on_date: date
    doctor_id: str
    doctor_institution_id: str
    cancelled_by: str
    patient_ref: str
    occurred_at: datetime
    business_date: date


class _ConsultFacts(EventData):
    """A remote consult between two alliance units: requester (申请) and responder (受邀/出具结果)."""

    consult_id: str
    alliance_id: str
    kind: ConsultKind
    requester_institution_id: str
    requester_doctor_id: str
    responder_institution_id: str
    patient_ref: str


@event_type("alliance.referral.consult.requested")
class ConsultRequested(_ConsultFacts):
    """申请远程会诊 / 远程心电 / 远程影像 (R05 counts requests: 按申请次数核算)."""

    occurred_at: datetime
    business_date: date


@event_type("alliance.referral.consult.answered")
class ConsultAnswered(_ConsultFacts):
    """答复 by the responder (``answered_by``); ``requested_at`` gives the turnaround."""

    answered_by: str
    requested_at: datetime
    occurred_at: datetime
    business_date: date


@event_type("alliance.referral.consult.cancelled")
class ConsultCancelled(_ConsultFacts):
    """The request was cancelled before an answer (its R05 award is revoked)."""

    cancelled_by: str
    occurred_at: datetime
    business_date: date


@event_type("alliance.referral.consult.result_recognized")
class ConsultResultRecognized(_ConsultFacts):
    """结果互认 (evaluation indicator 10): ``recognizing_institution_id`` accepted the result issued by
    ``responder_institution_id`` instead of repeating the examination. Once per institution and consult."""

    recognizing_institution_id: str
    recognized_by: str
    occurred_at: datetime
    business_date: date


@event_type("alliance.referral.green_channel.opened")
class GreenChannelOpened(EventData):
    """绿色通道 case opened for an up-referred 疑难危重症 patient at the receiving (lead) unit.

    ``arrived_at`` starts the clock; ``business_date`` is the arrival's Asia/Shanghai date (the period
    a case belongs to for evaluation indicator 5)."""

    referral_id: str
    alliance_id: str
    institution_id: str
    referring_institution_id: str
    urgency: Urgency
    indication: str
    patient_ref: str
    arrived_at: datetime
    business_date: date


@event_type("alliance.referral.green_channel.service_recorded")
class GreenChannelServiceRecorded(EventData):
    """One priority service given (优先接诊 / 优先检查 / 优先住院), once per case and service.

    ``wait_seconds``: whole seconds from arrival to the service; ``business_date``: the ARRIVAL's date
    (so a case's services count in the period of the case); ``occurred_at``: when the service was given."""

    referral_id: str
    alliance_id: str
    institution_id: str
    service: PriorityService
    arrived_at: datetime
    wait_seconds: int
    recorded_by: str
    occurred_at: datetime
    business_date: date


class StandardDocument(BaseModel):
    """One process document of a standard: 转诊标准 / 转诊流程 / 运行机制 / 双向转诊绿色通道."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["referral_criteria", "referral_process", "operating_mechanism", "green_channel"]
    implemented: bool  # 制订并实施 (True) vs 制订未实施 (False): Haikou item 6 scores 5 vs 2


@event_type("alliance.referral.standard.published")
class ReferralStandardPublished(EventData):
    """A version of an alliance's referral standard (转诊标准、指征、流程) was adopted."""

    alliance_id: str
    version: str
    effective_from: date
    indication_codes: list[str]
    documents: list[StandardDocument]
    occurred_at: datetime
