"""重算核对 (replay): recompute every award from its recorded scheme version, rule, variant, quantity
and facts, and report each entry whose recorded amount differs or can no longer be computed.

Pure over an iterable of entries; the scheme loader is a parameter so an auditor can replay against
the scheme files shipped with an export.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from libs.kit.errors import AppError

from .entries import Entry, EntryType
from .scheme import Scheme, compute_award, load_scheme

SchemeLoader = Callable[[str, int], Scheme]


@dataclass(frozen=True, slots=True)
class Mismatch:
    entry_id: str
    rule_code: str | None
    recorded: Decimal
    expected: Decimal | None  # None when the award cannot be computed any more
    reason_zh: str


@dataclass(frozen=True, slots=True)
class ReplayReport:
    checked: int
    skipped: int  # entries that are not awards (reversals, redemptions, adjustments)
    mismatches: tuple[Mismatch, ...]

    @property
    def ok(self) -> bool:
        return not self.mismatches


def replay_awards(entries: Iterable[Entry], load: SchemeLoader = load_scheme) -> ReplayReport:
    checked, skipped, mismatches = 0, 0, []
    cache: dict[tuple[str, int], Scheme] = {}
    for entry in entries:
        if entry.entry_type is not EntryType.AWARD:
            skipped += 1
            continue
        checked += 1
        mismatch = check_award(entry, lambda sid, ver: _cached(cache, load, sid, ver))
        if mismatch is not None:
            mismatches.append(mismatch)
    return ReplayReport(checked, skipped, tuple(mismatches))


def check_award(entry: Entry, load: SchemeLoader = load_scheme) -> Mismatch | None:
    """None when the recorded amount is exactly what the scheme gives today."""
    try:
        scheme = load(entry.scheme_id or "", entry.scheme_version or 0)
        award = compute_award(scheme, entry.rule_code or "", entry.variant, entry.quantity or 0, dict(entry.facts))
    except AppError as exc:
        return Mismatch(entry.entry_id, entry.rule_code, entry.amount, None, f"无法重算：{exc.detail}")
    if award.amount != entry.amount:
        return Mismatch(entry.entry_id, entry.rule_code, entry.amount, award.amount,
                        f"记录 {entry.amount} 分，按方案应为 {award.amount} 分")
    return None


def _cached(cache: dict[tuple[str, int], Scheme], load: SchemeLoader, scheme_id: str, version: int) -> Scheme:
    key = (scheme_id, version)
    if key not in cache:
        cache[key] = load(scheme_id, version)
    return cache[key]
