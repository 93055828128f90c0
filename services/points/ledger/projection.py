"""How ledger entries change the maintained projections — ONE function for the live append path and the
rebuild from the log, so "rebuild == live" compares the stored tables with this very reading.

A ``Move`` is the projection-relevant part of an entry (taken from a domain ``Entry`` on the append path, or
from the stored canonical document on a rebuild). ``Deltas.add`` accumulates:

- ``balances``: account → signed tenths (the double entry: the pair sums to zero);
- ``earnings``: (alliance, scope, year, area, subject) → tenths, scope ``member`` = 个人积分 earned
  (awards + adjustments − reversals, 兑换 ignored), scope ``unit`` = 集体积分 under the scheme's
  ``CollectivePolicy`` (same reading as ``domain.year_close``); year 0 = all time, area '*' = all areas;
- ``flows``: (alliance, year, account kind) → net tenths (for reconciliation: issued = held + pending + redeemed);
- ``year_stats``: (alliance, year) → number of entries;
- ``once_add``/``once_del``: the "once per …" keys taken by awards and released by their reversals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from services.points.domain.scheme_model import CollectivePolicy

EARNING = frozenset({"award", "reversal", "adjustment"})
ALL_AREAS = "*"
ALL_TIME = 0
EarningKey = tuple[str, str, int, str, str]


@dataclass(frozen=True, slots=True)
class Move:
    entry_id: str
    entry_type: str
    debit: str  # account text, e.g. "issuing:hn-peds"
    credit: str
    tenths: int  # > 0
    unit_id: str | None
    alliance_id: str
    year: int
    area: str | None
    once_key: str | None = None
    reverses_once: tuple[str, str] | None = None  # (account, once key) a reversal releases


@dataclass(slots=True)
class Deltas:
    policy: CollectivePolicy
    balances: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    earnings: dict[EarningKey, int] = field(default_factory=lambda: defaultdict(int))
    flows: dict[tuple[str, int, str], int] = field(default_factory=lambda: defaultdict(int))
    year_stats: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    once_add: dict[tuple[str, str], str] = field(default_factory=dict)
    once_del: set[tuple[str, str]] = field(default_factory=set)

    def add(self, move: Move) -> None:
        t = move.tenths
        self.balances[move.debit] -= t
        self.balances[move.credit] += t
        debit_kind, credit_kind = kind_of(move.debit), kind_of(move.credit)
        self.flows[(move.alliance_id, move.year, debit_kind)] -= t
        self.flows[(move.alliance_id, move.year, credit_kind)] += t
        self.year_stats[(move.alliance_id, move.year)] += 1
        if move.entry_type in EARNING:
            self._earn_member(move, ((move.debit, debit_kind, -t), (move.credit, credit_kind, t)))
            self._earn_unit(move, ((move.debit, debit_kind, -t), (move.credit, credit_kind, t)))
        elif move.entry_type == "redemption_confirm" and self.policy.subtract_redemptions and move.unit_id:
            self._earn(move, "unit", move.unit_id, -t)
        self._once(move)

    def _earn_member(self, move: Move, legs: tuple[tuple[str, str, int], ...]) -> None:
        for account, kind, signed in legs:
            if kind == "member":
                self._earn(move, "member", owner_of(account), signed)

    def _earn_unit(self, move: Move, legs: tuple[tuple[str, str, int], ...]) -> None:
        if move.entry_type == "adjustment" and not self.policy.include_adjustments:
            return
        for account, kind, signed in legs:
            if kind == "member" and move.unit_id:
                self._earn(move, "unit", move.unit_id, signed)
            elif kind == "unit" and self.policy.include_unit_awards:
                self._earn(move, "unit", owner_of(account), signed)

    def _earn(self, move: Move, scope: str, subject: str, signed: int) -> None:
        earnings, alliance, year = self.earnings, move.alliance_id, move.year
        earnings[(alliance, scope, year, ALL_AREAS, subject)] += signed
        earnings[(alliance, scope, ALL_TIME, ALL_AREAS, subject)] += signed
        if move.area:
            earnings[(alliance, scope, year, move.area, subject)] += signed
            earnings[(alliance, scope, ALL_TIME, move.area, subject)] += signed

    def _once(self, move: Move) -> None:
        if move.entry_type == "award" and move.once_key:
            key = (move.credit, move.once_key)
            self.once_del.discard(key)
            self.once_add[key] = move.entry_id
        elif move.reverses_once is not None:
            if self.once_add.pop(move.reverses_once, None) is None:
                self.once_del.add(move.reverses_once)


def kind_of(account: str) -> str:
    return account.partition(":")[0]


def owner_of(account: str) -> str:
    return account.partition(":")[2]
