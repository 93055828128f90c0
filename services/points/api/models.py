"""Request and response bodies. Requests forbid unknown fields (mass assignment → 422), bound every string
and list, and take amounts as decimal strings or integers — never floats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
)

from libs.kit.amounts import format_points
from services.points.ledger.events import stream_delta
from services.points.ledger.model import StoredEntry

Id = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
FactName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
FactValue = Annotated[StrictStr, Field(max_length=200)] | Annotated[StrictInt, Field(ge=0, le=10**12)] | StrictBool
Facts = Annotated[dict[FactName, FactValue], Field(max_length=20)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Amount = Annotated[StrictStr, Field(max_length=40)] | StrictInt


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DirectAwardIn(_In):
    """直接赋分: the office names the rule, variant, beneficiary and facts; the amount is computed."""

    rule: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    variant: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    doctor_id: Id
    quantity: Annotated[StrictInt, Field(ge=1, le=1000)] = 1
    facts: Facts = {}
    occurred_at: AwareDatetime | None = None
    memo: Annotated[str, StringConstraints(max_length=500)] | None = None
    # The office's own reference (e.g. the news article id): the same reference is never awarded twice.
    source_ref: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None


class ReversalIn(_In):
    reason: Reason
    amount: Amount | None = None  # partial reversal; default: the whole original


class AdjustmentIn(_In):
    """调整: a signed ``amount`` or a rule to compute it from; booked today (the open year)."""

    doctor_id: Id
    reason: Reason
    amount: Amount | None = None
    rule: Annotated[str, StringConstraints(min_length=1, max_length=20)] | None = None
    variant: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    quantity: Annotated[StrictInt, Field(ge=1, le=1000)] = 1
    facts: Facts = {}


class CatalogItemIn(_In):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    description: Annotated[str, StringConstraints(max_length=1000)] = ""
    tier: Literal[100, 300, 500, 1000]
    stock: Annotated[StrictInt, Field(ge=0, le=1_000_000)]
    valid_from: date
    valid_to: date


class RedemptionIn(_In):
    item_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class VoidIn(_In):
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class EntryOut(BaseModel):
    entry_id: str
    position: int
    entry_type: str
    alliance_id: str
    stream: str
    stream_version: int
    unit_id: str | None
    rule_code: str | None
    variant: str | None
    quantity: int | None
    amount: str
    delta: str
    balance_after: str
    occurred_at: datetime
    recorded_at: datetime
    business_date: date
    memo: str | None
    reverses: str | None
    redemption_id: str | None
    source_event_id: str | None
    hash: str
    duplicate: bool = False

    @classmethod
    def of(cls, stored: StoredEntry) -> EntryOut:
        e = stored.entry
        return cls(entry_id=e.entry_id, position=stored.position, entry_type=e.entry_type.value,
                   alliance_id=stored.alliance_id, stream=stored.stream, stream_version=stored.stream_version,
                   unit_id=e.unit_id, rule_code=e.rule_code, variant=e.variant, quantity=e.quantity,
                   amount=format_points(e.amount), delta=format_points(stream_delta(stored)),
                   balance_after=format_points(stored.balance_after), occurred_at=e.occurred_at,
                   recorded_at=e.recorded_at, business_date=stored.business_date, memo=e.memo, reverses=e.reverses,
                   redemption_id=e.redemption_id, source_event_id=e.source_event_id, hash=stored.hash.hex(),
                   duplicate=stored.duplicate)


class BalanceOut(BaseModel):
    doctor_id: str
    balance: str  # 可用积分
    pending: str | None  # 兑换冻结中的积分 (None for a past day)
    as_of: date | None = None


class StatementLine(BaseModel):
    position: int
    entry_id: str
    entry_type: str
    entry_label: str
    rule_code: str | None
    rule_label: str | None
    variant: str | None
    quantity: int | None
    amount: str
    delta: str
    balance_after: str
    reason: str | None
    unit_id: str | None
    reverses: str | None
    redemption_id: str | None
    occurred_at: datetime
    recorded_at: datetime
    business_date: date
    claim_id: str | None = None  # the 积分申报 an approved claim's award came from
    evidence_url: str | None = None  # where its evidence (佐证材料) is listed


class CatalogItemOut(BaseModel):
    item_id: str
    alliance_id: str
    name: str
    description: str
    tier: int
    stock: int
    valid_from: date
    valid_to: date
    active: bool = True
    updated_at: datetime | None = None


class RedemptionOut(BaseModel):
    redemption_id: str
    alliance_id: str
    doctor_id: str
    item_id: str
    item_name: str | None = None
    points: str
    state: str
    hold_entry_id: str
    final_entry_id: str | None
    balance_after: str | None = None
    created_at: datetime
    updated_at: datetime


class StandingOut(BaseModel):
    rank: int
    id: str
    name: str | None
    points: str


class LeaderboardOut(BaseModel):
    alliance_id: str
    scope: Literal["individual", "collective"]
    year: int | None
    area: str | None
    frozen: bool  # the year is closed: these standings can no longer change
    page: int
    size: int
    has_next: bool
    items: list[StandingOut]


class SnapshotOut(BaseModel):
    alliance_id: str
    year: int
    closed_at: datetime
    head_position: int
    head_hash: str
    entry_count: int
    unit_totals: dict[str, str]
    member_totals: dict[str, str]


# ---- claims (积分申报) ---------------------------------------------------------------------------------------
# An ISO date string only (no timestamps, no numbers). Strict works here because the claim is validated in JSON
# mode (``model_validate_json``); FastAPI validates JSON bodies in Python mode, where a strict date refuses text.
Day = Annotated[date, Strict()]


class ClaimIn(_In):
    """积分申报 (the JSON form field ``claim``): rule, variant, quantity, facts and dates — never an amount."""

    rule: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    variant: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    doctor_id: Id | None = None  # the beneficiary: omitted (or oneself) for a doctor; required for a unit liaison
    alliance_id: Id | None = None  # default: the caller's alliance, else the one of the doctor's unit
    quantity: Annotated[StrictInt, Field(ge=1, le=1000)] = 1
    facts: Facts = {}
    occurred_on: Day  # 活动日期 (for a multi-day activity: the day it ended), Asia/Shanghai
    started_on: Day | None = None
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class ApproveIn(_In):
    memo: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class RejectIn(_In):
    reason: Reason


class WithdrawIn(_In):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class EvidenceOut(BaseModel):
    evidence_id: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    url: str


class TransitionOut(BaseModel):
    seq: int
    from_status: str | None
    to_status: str
    actor: str
    reason: str | None
    at: datetime


class ClaimOut(BaseModel):
    claim_id: str
    alliance_id: str
    doctor_id: str
    unit_id: str
    rule_code: str
    rule_label: str | None
    variant: str
    quantity: int
    facts: dict[str, str | int | bool]
    occurred_on: date
    started_on: date | None
    description: str | None
    points: str  # computed by the scheme (at submission; the recorded amount once approved)
    scheme_id: str
    scheme_version: int
    status: Literal["submitted", "approved", "rejected", "withdrawn"]
    status_label: str
    reason: str | None  # the office's reason (rejected) or note (approved)
    submitted_by: str
    reviewed_by: str | None
    reviewed_at: datetime | None
    entry_id: str | None
    created_at: datetime
    updated_at: datetime
    evidence: list[EvidenceOut]
    transitions: list[TransitionOut] | None = None  # the detail view only


class CatalogItemPatch(_In):
    """Office maintenance of an item: stock, validity, active, wording. The tier (price) never changes."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None
    stock: Annotated[StrictInt, Field(ge=0, le=1_000_000)] | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    active: StrictBool | None = None
