"""年度封账 (year close) and 集体积分 (collective points of a member unit per calendar year).

A year is Asia/Shanghai 1 Jan – 31 Dec (集体积分数据固定存档日期为每年1月1日至12月31日); an entry
belongs to the year of its ``occurred_at`` there. Once closed a year is immutable: an entry dated in
it is refused and must be posted as an adjustment (调整分录) in an open year.

Collective points follow the scheme's ``[collective]`` reading (``CollectivePolicy``): awards minus
reversals earned in the year by doctors while registered at the unit (the unit is recorded on each
entry at that moment), redemptions not subtracted, plus points awarded to the unit itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from libs.kit.clock import business_year, year_end_utc
from libs.kit.errors import Conflict

from .accounts import AccountKind
from .entries import Entry, EntryType
from .scheme_model import CollectivePolicy

ZERO = Decimal("0.0")
_EARNING = {EntryType.AWARD, EntryType.REVERSAL, EntryType.ADJUSTMENT}


@dataclass(frozen=True, slots=True)
class YearSnapshot:
    """The archived result of closing a year, pinned to the ledger head it was computed from."""

    year: int
    closed_at: datetime
    head_position: int
    head_hash: str  # hex; ties the snapshot to the hash chain so it can be re-derived and checked
    entry_count: int  # entries attributed to the year
    unit_totals: tuple[tuple[str, Decimal], ...]  # 集体积分, sorted by unit id
    member_totals: tuple[tuple[str, Decimal], ...]  # 个人年度积分, sorted by doctor id


def entry_year(entry: Entry) -> int:
    """The business year (Asia/Shanghai) an entry belongs to, by when the activity happened."""
    return business_year(entry.occurred_at)


def year_has_ended(year: int, now: datetime) -> bool:
    return now >= year_end_utc(year)


def ensure_closable(year: int, now: datetime, closed_years: Collection[int]) -> None:
    if year in closed_years:
        raise Conflict(f"{year}年度已封账", field="year")
    if not year_has_ended(year, now):
        raise Conflict(f"{year}年度尚未结束（以北京时间12月31日24时为准），不能封账", field="year")


def ensure_year_open(occurred_at: datetime, closed_years: Collection[int]) -> None:
    """Refuse an entry dated in a closed year; the correction goes in as an adjustment of an open year."""
    year = business_year(occurred_at)
    if year in closed_years:
        raise Conflict(f"{year}年度已封账，不能再记入该年度的分录；请在当前开放年度以调整分录记入",
                       field="occurred_at")


def member_earnings(entries: Iterable[Entry], year: int) -> dict[str, Decimal]:
    """个人年度积分: what each doctor earned in ``year`` (awards + adjustments − reversals; 兑换 ignored)."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for entry in entries:
        if entry.entry_type in _EARNING and entry_year(entry) == year:
            for posting in entry.postings:
                if posting.account.kind is AccountKind.MEMBER:
                    totals[posting.account.owner] += posting.amount
    return dict(totals)


def collective_points(entries: Iterable[Entry], year: int,
                      policy: CollectivePolicy = CollectivePolicy()) -> dict[str, Decimal]:
    """集体积分 of every unit for ``year`` under ``policy``."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for entry in entries:
        if entry_year(entry) == year:
            for unit_id, delta in unit_deltas(entry, policy):
                totals[unit_id] += delta
    return dict(totals)


def close_year(entries: Iterable[Entry], *, year: int, now: datetime, closed_years: Collection[int],
               head_position: int, head_hash: str, policy: CollectivePolicy = CollectivePolicy()) -> YearSnapshot:
    """封账: check the year may close, then compute the archived totals in one pass over the log."""
    ensure_closable(year, now, closed_years)
    in_year = [e for e in entries if entry_year(e) == year]
    return YearSnapshot(
        year=year, closed_at=now, head_position=head_position, head_hash=head_hash, entry_count=len(in_year),
        unit_totals=tuple(sorted(collective_points(in_year, year, policy).items())),
        member_totals=tuple(sorted(member_earnings(in_year, year).items())),
    )


def unit_deltas(entry: Entry, policy: CollectivePolicy) -> list[tuple[str, Decimal]]:
    """How one entry changes 集体积分: (unit id, signed points) pairs, under ``policy``.

    Public so the live projection (maintained per entry at append time) uses this very reading.
    """
    kind = entry.entry_type
    if kind is EntryType.ADJUSTMENT and not policy.include_adjustments:
        return []
    if kind is EntryType.REDEMPTION_CONFIRM:
        # Spent points still count as earned unless the reading says otherwise.
        return [(entry.unit_id, -entry.amount)] if policy.subtract_redemptions and entry.unit_id else []
    if kind not in _EARNING:
        return []
    deltas = []
    for posting in entry.postings:
        account = posting.account
        if account.kind is AccountKind.MEMBER and entry.unit_id:
            deltas.append((entry.unit_id, posting.amount))
        elif account.kind is AccountKind.UNIT and policy.include_unit_awards:
            deltas.append((account.owner, posting.amount))
    return deltas
