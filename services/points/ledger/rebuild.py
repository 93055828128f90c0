"""Rebuild from the log (重建): replay every stored entry's canonical bytes through the SAME projection code
as the live append path, recompute every award from its scheme version (重算核对), and compare.

One streaming pass over ``ledger_entries`` (by position, in chunks) yields:
- the projections as the log says they are (``Deltas`` + stream versions) → ``diff`` against the live tables;
- replay mismatches: an award whose recorded amount is not what its rule/variant/quantity/facts give;
- row mismatches: a column (amount, accounts, stream version, running balance …) that disagrees with the
  hashed canonical bytes of its own row — the chain cannot see a column edit, this check does.

Reads happen in one REPEATABLE READ transaction, so the log and the live tables are the same cut.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg

from libs.kit.amounts import from_tenths
from libs.kit.errors import AppError
from services.points.domain.scheme import compute_award, default_registry
from services.points.domain.scheme_model import CollectivePolicy

from .config import area_of
from .projection import Deltas, Move, kind_of

CHUNK = 20_000
_decode = json.JSONDecoder().decode  # the canonical bytes are ASCII JSON: skip json.loads' encoding sniffing
_COLUMNS = ("SELECT position, entry_id, stream, stream_version, alliance_id, unit_id, debit_account, "
            "credit_account, amount_tenths, entry_type, rule_code, once_key, balance_after_tenths, canonical "
            "FROM ledger_entries WHERE position > $1")
ROWS = _COLUMNS + " ORDER BY position LIMIT $2"
# One partition of the streams: every posting of a person's (or unit's) account lies in its own stream, so
# partitions can be scanned in parallel and their (additive) results summed.
PART_ROWS = _COLUMNS + " AND (hashtext(stream) & 2147483647) % $3 = $4 ORDER BY position LIMIT $2"
MAX_REPORTED = 100
_PERSON = ("member", "unit")


@dataclass
class ScanResult:
    deltas: Deltas
    versions: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    entries: int = 0
    awards_checked: int = 0
    replay_mismatches: list[dict[str, Any]] = field(default_factory=list)
    row_mismatches: list[dict[str, Any]] = field(default_factory=list)


class _Awards:
    """Award recomputation, cached on everything the amount depends on (most facts repeat)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[Any, ...], tuple[int | None, str | None, str]] = {}

    def compute(self, doc: dict[str, Any]) -> tuple[int | None, str | None, str]:
        """(tenths or None, dedupe key, reason) for an award document."""
        facts = doc["facts"]
        # Facts are flat JSON values: their sorted items, with types, identify them (True ≠ 1 here too).
        key = (doc["scheme_id"], doc["scheme_version"], doc["rule_code"], doc["variant"], doc["quantity"],
               tuple(sorted((k, type(v), v) for k, v in facts.items())) if facts else ())
        found = self._cache.get(key)
        if found is None:
            found = self._compute(doc)
            self._cache[key] = found
        return found

    @staticmethod
    def _compute(doc: dict[str, Any]) -> tuple[int | None, str | None, str]:
        try:
            scheme = default_registry().get(doc["scheme_id"] or "", doc["scheme_version"] or 0)
            award = compute_award(scheme, doc["rule_code"] or "", doc["variant"], doc["quantity"] or 0,
                                  dict(doc["facts"]))
        except AppError as exc:
            return None, None, f"无法重算：{exc.detail}"
        return int(award.amount * 10), award.dedupe_key, ""


async def scan(conn: asyncpg.Connection, policy: CollectivePolicy, part: tuple[int, int] | None = None
               ) -> ScanResult:
    """Stream the log once — or the streams of partition ``part = (k, of)`` (the caller holds a REPEATABLE READ
    transaction)."""
    result = ScanResult(Deltas(policy))
    state = _ScanState()
    position = 0
    while True:
        if part is None:
            rows = await conn.fetch(ROWS, position, CHUNK)
        else:
            rows = await conn.fetch(PART_ROWS, position, CHUNK, part[1], part[0])
        if not rows:
            return result
        for row in rows:
            _scan_row(row, state, result)
        position = rows[-1]["position"]


@dataclass
class _ScanState:
    awards: _Awards = field(default_factory=_Awards)
    running: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    once_of: dict[str, tuple[str, str]] = field(default_factory=dict)  # award entry id → (account, once key)


def _scan_row(row: asyncpg.Record, state: _ScanState, result: ScanResult) -> None:
    doc = _decode(row["canonical"].decode("ascii"))
    (debit, _), (credit, tenths) = doc["postings"]
    entry_type = doc["entry_type"]
    once_key = None
    if entry_type == "award":
        once_key = _replay(doc, row, state, result)
        if once_key:
            state.once_of[doc["entry_id"]] = (credit, once_key)
    stream = _stream(debit, credit)
    result.versions[stream] += 1
    state.running[debit] -= tenths
    state.running[credit] += tenths
    result.entries += 1
    released = state.once_of.get(doc["reverses"]) if entry_type == "reversal" and doc["reverses"] else None
    alliance = _alliance(debit, credit) or row["alliance_id"]
    result.deltas.add(Move(doc["entry_id"], entry_type, debit, credit, tenths, doc["unit_id"], alliance,
                           _business_year(doc["occurred_at"]), area_of(doc["scheme_id"], doc["scheme_version"],
                                                                        doc["rule_code"]), once_key, released))
    _compare_columns(row, doc, {
        "entry_id": doc["entry_id"], "entry_type": entry_type, "debit_account": debit, "credit_account": credit,
        "amount_tenths": tenths, "unit_id": doc["unit_id"], "rule_code": doc["rule_code"], "stream": stream,
        "stream_version": result.versions[stream], "balance_after_tenths": state.running[stream],
        "alliance_id": alliance, "once_key": once_key if entry_type == "award" else row["once_key"]}, result)


def _replay(doc: dict[str, Any], row: asyncpg.Record, state: _ScanState, result: ScanResult) -> str | None:
    result.awards_checked += 1
    expected, once_key, reason = state.awards.compute(doc)
    recorded = doc["postings"][1][1]
    if expected != recorded and len(result.replay_mismatches) < MAX_REPORTED:
        result.replay_mismatches.append({
            "position": row["position"], "entry_id": doc["entry_id"], "rule_code": doc["rule_code"],
            "recorded": str(from_tenths(recorded)),
            "expected": None if expected is None else str(from_tenths(expected)),
            "reason_zh": reason or f"记录 {from_tenths(recorded)} 分，按方案应为 {from_tenths(expected or 0)} 分"})
    return once_key


def _compare_columns(row: asyncpg.Record, doc: dict[str, Any], expected: dict[str, Any], result: ScanResult) -> None:
    for column, value in expected.items():
        if row[column] != value and len(result.row_mismatches) < MAX_REPORTED:
            result.row_mismatches.append({"position": row["position"], "entry_id": doc["entry_id"],
                                          "column": column, "stored": _text(row[column]), "expected": _text(value)})


def _stream(debit: str, credit: str) -> str:
    for account in (credit, debit):
        if kind_of(account) in _PERSON:
            return account
    for account in (debit, credit):
        if kind_of(account) == "pending":
            return "member:" + account.partition(":")[2]
    return credit


def _alliance(debit: str, credit: str) -> str | None:
    for account in (debit, credit):
        if kind_of(account) in ("issuing", "redeemed"):
            return account.partition(":")[2]
    return None


def _business_year(instant: str) -> int:
    """The Asia/Shanghai year of a canonical UTC instant (UTC+8 all year: no daylight saving since 1991)."""
    year = int(instant[:4])
    return year + 1 if instant[5:10] == "12-31" and instant[11:13] >= "16" else year


def _text(value: object) -> object:
    if isinstance(value, (Decimal, bytes)):
        return str(value)
    return value
