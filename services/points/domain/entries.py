"""Ledger entries (分录): a typed pair of postings that sums to zero, plus what it was computed from.

Every business event moves points between exactly two accounts, so an entry has exactly one debit
and one credit; that makes each allowed flow a simple (from, to) pair that can be checked here,
before anything touches a balance. There is no member → member flow: 积分不能转让.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from enum import StrEnum

from libs.kit.amounts import POINTS_MAX
from libs.kit.errors import InvalidInput

from .accounts import Account, AccountKind

FactPairs = tuple[tuple[str, str | int | bool | Decimal], ...]
TENTH = Decimal("0.1")
_K = AccountKind


class EntryType(StrEnum):
    AWARD = "award"  # 赋分
    REVERSAL = "reversal"  # 冲正
    REDEMPTION_HOLD = "redemption_hold"  # 兑换冻结
    REDEMPTION_CONFIRM = "redemption_confirm"  # 兑换确认（抵扣）
    REDEMPTION_VOID = "redemption_void"  # 兑换取消（退回）
    ADJUSTMENT = "adjustment"  # 调整（含已封账年度的更正）


# (debited kind, credited kind) pairs each entry type may use.
ALLOWED_FLOWS: dict[EntryType, frozenset[tuple[AccountKind, AccountKind]]] = {
    EntryType.AWARD: frozenset({(_K.ISSUING, _K.MEMBER), (_K.ISSUING, _K.UNIT)}),
    EntryType.REVERSAL: frozenset({(_K.MEMBER, _K.ISSUING), (_K.UNIT, _K.ISSUING)}),
    EntryType.REDEMPTION_HOLD: frozenset({(_K.MEMBER, _K.PENDING)}),
    EntryType.REDEMPTION_CONFIRM: frozenset({(_K.PENDING, _K.REDEEMED)}),
    EntryType.REDEMPTION_VOID: frozenset({(_K.PENDING, _K.MEMBER)}),
    EntryType.ADJUSTMENT: frozenset({
        (_K.ISSUING, _K.MEMBER), (_K.MEMBER, _K.ISSUING), (_K.ISSUING, _K.UNIT), (_K.UNIT, _K.ISSUING),
    }),
}
# Hold and void move a doctor's own points between their member and pending accounts only.
_SAME_OWNER = {EntryType.REDEMPTION_HOLD, EntryType.REDEMPTION_VOID}


@dataclass(frozen=True, slots=True)
class Posting:
    """One leg of an entry: a signed amount on an account (positive = credit to that account)."""

    account: Account
    amount: Decimal

    def __post_init__(self) -> None:
        amount = self.amount
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount == 0:
            raise InvalidInput("分录金额必须是非零的精确小数", field="postings")
        if amount != amount.quantize(TENTH) or abs(amount) > POINTS_MAX:
            raise InvalidInput("分录金额最多一位小数且不能超出范围", field="postings")


@dataclass(frozen=True, slots=True)
class Entry:
    """An append-only ledger row; ``position`` and hashes are assigned by the chain, not here."""

    entry_id: str
    entry_type: EntryType
    debit: Posting
    credit: Posting
    occurred_at: datetime  # when the activity happened (decides the 年度 it belongs to)
    recorded_at: datetime  # when the ledger took it
    unit_id: str | None = None  # the doctor's member unit at that moment (集体积分)
    rule_code: str | None = None
    scheme_id: str | None = None
    scheme_version: int | None = None
    variant: str | None = None
    quantity: int | None = None
    facts: FactPairs = field(default=())
    reverses: str | None = None  # entry_id of the original, for a reversal
    redemption_id: str | None = None
    source_event_id: str | None = None
    actor: str | None = None
    memo: str | None = None

    def __post_init__(self) -> None:
        _check_identity(self)
        _check_postings(self)
        _check_times(self)
        _check_references(self)

    @property
    def amount(self) -> Decimal:
        """The magnitude moved (always positive)."""
        return self.credit.amount

    @property
    def postings(self) -> tuple[Posting, Posting]:
        return (self.debit, self.credit)

    @property
    def flow(self) -> tuple[AccountKind, AccountKind]:
        return (self.debit.account.kind, self.credit.account.kind)


def make_postings(source: Account, target: Account, amount: Decimal) -> tuple[Posting, Posting]:
    """Debit ``source``, credit ``target`` by ``amount`` (> 0): the pair always sums to zero."""
    return Posting(source, -amount), Posting(target, amount)


def _check_identity(entry: Entry) -> None:
    if not isinstance(entry.entry_id, str) or not entry.entry_id.strip() or len(entry.entry_id) > 128:
        raise InvalidInput("分录编号不能为空", field="entry_id")
    if not isinstance(entry.entry_type, EntryType):
        raise InvalidInput("分录类型无效", field="entry_type")


def _check_postings(entry: Entry) -> None:
    debit, credit = entry.debit, entry.credit
    if debit.amount >= 0 or credit.amount <= 0 or debit.amount + credit.amount != 0:
        raise InvalidInput("借贷金额必须相等且合计为零", field="postings")
    if debit.account == credit.account:
        raise InvalidInput("借贷账户不能相同", field="postings")
    if entry.flow == (_K.MEMBER, _K.MEMBER):
        raise InvalidInput("积分不能转让：不允许在会员之间转移积分", field="postings")
    if entry.flow not in ALLOWED_FLOWS[entry.entry_type]:
        raise InvalidInput(f"{entry.entry_type.value} 分录不允许从 {debit.account} 记到 {credit.account}",
                           field="postings")
    if entry.entry_type in _SAME_OWNER and debit.account.owner != credit.account.owner:
        raise InvalidInput("兑换冻结/退回只能在同一会员的账户之间进行", field="postings")


def _check_times(entry: Entry) -> None:
    for name in ("occurred_at", "recorded_at"):
        value = getattr(entry, name)
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise InvalidInput("时间必须带时区", field=name)
        object.__setattr__(entry, name, value.astimezone(timezone.utc))


def _check_references(entry: Entry) -> None:
    kind = entry.entry_type
    if kind is EntryType.AWARD:
        computed = (entry.rule_code, entry.scheme_id, entry.scheme_version, entry.variant, entry.quantity)
        if any(part is None for part in computed):
            raise InvalidInput("赋分分录必须记录规则、方案版本、计分项和数量", field="rule_code")
    if (kind is EntryType.REVERSAL) != (entry.reverses is not None):
        raise InvalidInput("只有冲正分录引用原分录，且冲正分录必须引用原分录", field="reverses")
    is_redemption = kind.value.startswith("redemption_")
    if is_redemption != (entry.redemption_id is not None):
        raise InvalidInput("兑换分录必须（且只有兑换分录）记录兑换单号", field="redemption_id")
    if kind is EntryType.ADJUSTMENT and not (entry.memo or "").strip():
        raise InvalidInput("调整分录必须写明原因", field="memo")
