"""``Balances``: the pure aggregate that applies ledger entries and refuses the ones that break a rule.

Rules that need state live here: a member's (or pending, or unit) balance never goes below zero
(积分余额不足), an entry id is used once, an entry is reversed at most once and never by more than it
moved, and a redemption goes hold → confirm | void exactly once. ``apply`` checks everything first and
only then mutates, so a refused entry leaves the aggregate unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from libs.kit.errors import Conflict, NotFound

from .accounts import Account, member, pending
from .entries import Entry, EntryType

ZERO = Decimal("0.0")
_REVERSIBLE = {EntryType.AWARD, EntryType.ADJUSTMENT}


@dataclass(slots=True)
class _Hold:
    doctor_id: str
    amount: Decimal
    state: str = "held"  # held → confirmed | voided


@dataclass(frozen=True, slots=True)
class _Original:
    debit: Account
    credit: Account
    amount: Decimal


class Balances:
    """Account balances rebuilt from the log; equal to the live projection by construction."""

    def __init__(self) -> None:
        self._balances: dict[Account, Decimal] = defaultdict(lambda: ZERO)
        self._originals: dict[str, _Original] = {}  # reversible entries, by id
        self._reversed: set[str] = set()
        self._seen: set[str] = set()
        self._holds: dict[str, _Hold] = {}

    @classmethod
    def replay(cls, entries: Iterable[Entry]) -> Balances:
        balances = cls()
        for entry in entries:
            balances.apply(entry)
        return balances

    def balance(self, account: Account) -> Decimal:
        return self._balances.get(account, ZERO)

    def member_balance(self, doctor_id: str) -> Decimal:
        return self.balance(member(doctor_id))

    def pending_balance(self, doctor_id: str) -> Decimal:
        return self.balance(pending(doctor_id))

    def total(self) -> Decimal:
        """Sum over all accounts: always zero in a double-entry ledger."""
        return sum(self._balances.values(), ZERO)

    def check(self, entry: Entry) -> None:
        """Raise if ``entry`` cannot be applied now; never mutates."""
        if entry.entry_id in self._seen:
            raise Conflict(f"分录 {entry.entry_id} 已存在，不能重复记账", field="entry_id")
        if entry.entry_type is EntryType.REVERSAL:
            self._check_reversal(entry)
        if entry.entry_type.value.startswith("redemption_"):
            self._check_redemption(entry)
        self._check_funds(entry)

    def apply(self, entry: Entry) -> None:
        self.check(entry)
        self._balances[entry.debit.account] += entry.debit.amount
        self._balances[entry.credit.account] += entry.credit.amount
        self._seen.add(entry.entry_id)
        self._remember(entry)

    def _check_funds(self, entry: Entry) -> None:
        source = entry.debit.account
        if source.kind.holds_points_of_a_person and self.balance(source) + entry.debit.amount < 0:
            raise Conflict(_shortfall_message(entry, self.balance(source)), field="amount")

    def _check_reversal(self, entry: Entry) -> None:
        original = self._originals.get(entry.reverses or "")
        if original is None:
            raise NotFound(f"被冲正的分录 {entry.reverses} 不存在或不可冲正", field="reverses")
        if entry.reverses in self._reversed:
            raise Conflict(f"分录 {entry.reverses} 已冲正，不能重复冲正", field="reverses")
        if (entry.debit.account, entry.credit.account) != (original.credit, original.debit):
            raise Conflict("冲正分录的账户必须与原分录相反", field="postings")
        if entry.amount > original.amount:
            raise Conflict("冲正积分不能超过原分录积分", field="amount")

    def _check_redemption(self, entry: Entry) -> None:
        hold = self._holds.get(entry.redemption_id or "")
        if entry.entry_type is EntryType.REDEMPTION_HOLD:
            if hold is not None:
                raise Conflict(f"兑换单 {entry.redemption_id} 已冻结积分", field="redemption_id")
            return
        if hold is None:
            raise NotFound(f"兑换单 {entry.redemption_id} 没有冻结记录", field="redemption_id")
        if hold.state != "held":
            raise Conflict(f"兑换单 {entry.redemption_id} 已处理（{hold.state}）", field="redemption_id")
        if entry.debit.account != pending(hold.doctor_id) or entry.amount != hold.amount:
            raise Conflict("兑换确认/取消必须与冻结的会员和积分一致", field="amount")

    def _remember(self, entry: Entry) -> None:
        kind = entry.entry_type
        if kind in _REVERSIBLE:
            self._originals[entry.entry_id] = _Original(entry.debit.account, entry.credit.account, entry.amount)
        elif kind is EntryType.REVERSAL:
            self._reversed.add(entry.reverses or "")
        elif kind is EntryType.REDEMPTION_HOLD:
            self._holds[entry.redemption_id or ""] = _Hold(entry.debit.account.owner, entry.amount)
        elif kind is EntryType.REDEMPTION_CONFIRM:
            self._holds[entry.redemption_id or ""].state = "confirmed"
        elif kind is EntryType.REDEMPTION_VOID:
            self._holds[entry.redemption_id or ""].state = "voided"


def _shortfall_message(entry: Entry, available: Decimal) -> str:
    what = {
        EntryType.REDEMPTION_HOLD: "无法兑换",
        EntryType.REVERSAL: "无法冲正（积分可能已被兑换）",
        EntryType.ADJUSTMENT: "无法扣减",
    }.get(entry.entry_type, "")
    prefix = f"积分余额不足，{what}" if what else "积分余额不足"
    return f"{prefix}：可用 {available}，需要 {entry.amount}"
