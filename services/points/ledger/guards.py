"""The invariants checked under the append lock, against the state loaded after taking it.

The same rules as ``domain.balances.Balances`` (which needs the whole history in memory), applied to a
batch with only the rows it touches loaded from the database: a person's, unit's or pending balance never
goes below zero (积分余额不足), an entry is reversed at most once and never by more than it moved, a
redemption goes hold → confirm | void once, a "once per …" award is made once, and nothing is dated in a
closed year (年度已封账). Everything is checked before anything is written, so a refusal writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from libs.kit.amounts import from_tenths
from libs.kit.errors import Conflict, NotFound
from services.points.domain.year_close import ensure_year_open

from .projection import kind_of

PERSON_KINDS = frozenset({"member", "pending", "unit"})
_REVERSIBLE = frozenset({"award", "adjustment"})


@dataclass(frozen=True, slots=True)
class Original:
    entry_type: str
    debit: str
    credit: str
    tenths: int
    once_key: str | None


@dataclass(frozen=True, slots=True)
class RedemptionStep:
    entry_type: str
    debit: str
    credit: str
    tenths: int


@dataclass(slots=True)
class Loaded:
    """What the batch touches, read after the lock: balances, closed years, originals, holds, keys."""

    balances: dict[str, tuple[int, int]] = field(default_factory=dict)  # account → (tenths, version)
    closed: set[tuple[str, int]] = field(default_factory=set)  # (alliance, year)
    originals: dict[str, Original] = field(default_factory=dict)
    reversed: set[str] = field(default_factory=set)
    redemptions: dict[str, list[RedemptionStep]] = field(default_factory=dict)
    once_taken: set[tuple[str, str]] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Check:
    """One row as the guards see it."""

    entry_id: str
    entry_type: str
    debit: str
    credit: str
    tenths: int
    alliance_id: str
    year: int
    reverses: str | None
    redemption_id: str | None
    once_key: str | None
    occurred_at: object  # datetime, only for the closed-year message


def check_batch(rows: list[Check], loaded: Loaded) -> None:
    """Raise the first broken rule (a typed ``AppError``); never writes."""
    running = {account: tenths for account, (tenths, _) in loaded.balances.items()}
    originals = dict(loaded.originals)
    reversed_ = set(loaded.reversed)
    steps = {rid: list(s) for rid, s in loaded.redemptions.items()}
    taken = set(loaded.once_taken)
    for row in rows:
        _closed_year(row, loaded.closed)
        if row.entry_type == "reversal":
            _reversal(row, originals, reversed_)
            reversed_.add(row.reverses or "")
            original = originals[row.reverses or ""]
            if original.once_key:
                taken.discard((original.credit, original.once_key))
        if row.redemption_id is not None:
            _redemption(row, steps.get(row.redemption_id, []))
            steps.setdefault(row.redemption_id, []).append(
                RedemptionStep(row.entry_type, row.debit, row.credit, row.tenths))
        if row.entry_type == "award" and row.once_key:
            _once(row, taken)
        _funds(row, running)
        if row.entry_type in _REVERSIBLE:
            originals[row.entry_id] = Original(row.entry_type, row.debit, row.credit, row.tenths, row.once_key)


class YearClosed(Conflict):
    """The entry is dated in a closed year (年度已封账): book it as an adjustment of an open year."""


def _closed_year(row: Check, closed: set[tuple[str, int]]) -> None:
    if (row.alliance_id, row.year) in closed:
        try:
            ensure_year_open(row.occurred_at, {row.year})  # type: ignore[arg-type]  # the domain's wording
        except Conflict as exc:
            raise YearClosed(exc.detail, field=exc.field, code="year_closed") from None


def _funds(row: Check, running: dict[str, int]) -> None:
    if kind_of(row.debit) in PERSON_KINDS:
        available = running.get(row.debit, 0)
        if available - row.tenths < 0:
            raise Conflict(_shortfall(row, available), field="amount", code="insufficient_points")
    running[row.debit] = running.get(row.debit, 0) - row.tenths
    running[row.credit] = running.get(row.credit, 0) + row.tenths


def _shortfall(row: Check, available: int) -> str:
    what = {"redemption_hold": "，无法兑换", "reversal": "，无法冲正（积分可能已被兑换）",
            "adjustment": "，无法扣减"}.get(row.entry_type, "")
    return f"积分余额不足{what}：可用 {from_tenths(available)}，需要 {from_tenths(row.tenths)}"


def _reversal(row: Check, originals: dict[str, Original], reversed_: set[str]) -> None:
    original = originals.get(row.reverses or "")
    if original is None or original.entry_type not in _REVERSIBLE:
        raise NotFound(f"被冲正的分录 {row.reverses} 不存在或不可冲正", field="reverses")
    if row.reverses in reversed_:
        raise Conflict(f"分录 {row.reverses} 已冲正，不能重复冲正", field="reverses")
    if (row.debit, row.credit) != (original.credit, original.debit):
        raise Conflict("冲正分录的账户必须与原分录相反", field="postings")
    if row.tenths > original.tenths:
        raise Conflict("冲正积分不能超过原分录积分", field="amount")


def _redemption(row: Check, steps: list[RedemptionStep]) -> None:
    rid = row.redemption_id
    if row.entry_type == "redemption_hold":
        if steps:
            raise Conflict(f"兑换单 {rid} 已冻结积分", field="redemption_id")
        return
    holds = [s for s in steps if s.entry_type == "redemption_hold"]
    if not holds:
        raise NotFound(f"兑换单 {rid} 没有冻结记录", field="redemption_id")
    if len(steps) > 1:
        state = "confirmed" if steps[-1].entry_type == "redemption_confirm" else "voided"
        raise Conflict(f"兑换单 {rid} 已处理（{state}）", field="redemption_id")
    hold = holds[0]
    if row.debit != hold.credit or row.tenths != hold.tenths:
        raise Conflict("兑换确认/取消必须与冻结的会员和积分一致", field="amount")


def _once(row: Check, taken: set[tuple[str, str]]) -> None:
    key = (row.credit, row.once_key or "")
    if key in taken:
        raise Conflict(f"该项积分只能获得一次，已经赋分（{row.once_key}）", field="rule_code", code="already_awarded")
    taken.add(key)
