"""Events the points service publishes (积分): ledger entries, redemptions (兑换) and year closes (年度封账).

Amounts are decimal *strings* with one decimal place ("5.0", "0.5"), never floats. ``occurred_at`` is the UTC
instant of the activity, ``business_date`` its Asia/Shanghai date (the points year). Doctors and units are
opaque ids; no patient data is ever carried. Subjects (CloudEvents ``subject``): the ledger stream
(``member:<doctor_id>`` or ``unit:<institution_id>``), the redemption id, or ``<alliance_id>/<year>``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from libs.events.registry import EventData, event_type

EntryType = Literal["award", "reversal", "redemption_hold", "redemption_confirm", "redemption_void", "adjustment"]


@event_type("alliance.points.entry.recorded")
class EntryRecorded(EventData):
    """One ledger entry (分录) was appended at ``position`` (dense, from 1).

    - ``amount``: the magnitude moved (always positive); ``delta``: the signed change of the stream's account
      (the doctor's spendable 个人积分, or the unit's own account) — negative for a reversal or a 兑换冻结.
    - ``doctor_id``/``unit_id``: the doctor (None for an entry on a unit's own account) and the doctor's member
      unit at that moment (集体积分 is attributed to it).
    - ``rule_code``/``variant``: the 赋分规则 it was computed from (awards, their reversals, rule-based adjustments).
    - ``source_event_id``: the platform fact it came from (idempotency key: one entry per source, ever).
    - ``reverses``: the entry id a reversal (冲正) undoes; ``redemption_id``: the 兑换单 of a redemption entry.
    """

    entry_id: str
    position: int
    alliance_id: str
    doctor_id: str | None
    unit_id: str | None
    entry_type: EntryType
    rule_code: str | None
    variant: str | None
    amount: str
    delta: str
    occurred_at: datetime
    business_date: date
    source_event_id: str | None
    reverses: str | None = None
    redemption_id: str | None = None


class _Redemption(EventData):
    redemption_id: str
    alliance_id: str
    doctor_id: str
    item_id: str
    item_name: str
    points: str
    entry_id: str
    occurred_at: datetime


@event_type("alliance.points.redemption.requested")
class RedemptionRequested(_Redemption):
    """兑换申请: ``points`` are held (member → pending) and one unit of stock is reserved."""


@event_type("alliance.points.redemption.confirmed")
class RedemptionConfirmed(_Redemption):
    """兑换确认: the prize was handed over; the held points are spent (予以抵扣)."""


@event_type("alliance.points.redemption.voided")
class RedemptionVoided(_Redemption):
    """兑换取消: the held points went back to the doctor and the stock was returned. ``reason`` is optional."""

    reason: str | None = None


@event_type("alliance.points.year.closed")
class YearClosed(EventData):
    """年度封账: the alliance's year ``year`` (Asia/Shanghai 1 Jan – 31 Dec) is frozen.

    ``unit_totals`` are the 集体积分 of each member unit, ``member_totals`` each doctor's 年度积分 (decimal
    strings). ``head_position``/``head_hash`` pin the ledger head the snapshot was computed from; a signed
    checkpoint exists at that position. Entries dated in a closed year are refused afterwards.
    """

    alliance_id: str
    year: int
    closed_at: datetime
    entry_count: int
    unit_totals: dict[str, str]
    member_totals: dict[str, str]
    head_position: int
    head_hash: str


class _Claim(EventData):
    """A 积分申报 (claim): a doctor or unit liaison asks for points under a claim rule, with evidence.

    ``points`` is the amount the scheme computes for it (decimal string); ``occurred_on`` the activity's
    Asia/Shanghai date; ``unit_id`` the doctor's member unit on that day.
    """

    claim_id: str
    alliance_id: str
    doctor_id: str
    unit_id: str
    rule_code: str
    variant: str
    quantity: int
    points: str
    occurred_on: date
    status: Literal["submitted", "approved", "rejected", "withdrawn"]
    at: datetime


@event_type("alliance.points.claim.submitted")
class ClaimSubmitted(_Claim):
    """申报已提交: waiting for the office's review. ``evidence_count`` 佐证材料 files are attached."""

    submitted_by_role: Literal["doctor", "unit_admin"]
    evidence_count: int


@event_type("alliance.points.claim.approved")
class ClaimApproved(_Claim):
    """申报已通过: the award ``entry_id`` was appended (its ``source_event_id`` is ``claim:<claim_id>``)."""

    entry_id: str


@event_type("alliance.points.claim.rejected")
class ClaimRejected(_Claim):
    """申报未通过: the office gave ``reason``; nothing was recorded in the ledger."""

    reason: str


@event_type("alliance.points.claim.withdrawn")
class ClaimWithdrawn(_Claim):
    """申报已撤回 by the claimant before review; nothing was recorded in the ledger."""
