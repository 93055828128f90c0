"""Live projections vs the rebuild from the log: every difference, by table and key (missing = zero).

``repair`` rewrites the projections from a rebuild, under the append lock (operators only, after a diff was
understood; the ledger itself is never touched).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from services.points.domain.scheme_model import CollectivePolicy

from . import sql
from .export import head_position
from .parallel_scan import Source, scan_parallel
from .projection import kind_of, owner_of
from .rebuild import MAX_REPORTED, ScanResult, scan

LIVE = {
    "balances": "SELECT account, balance_tenths, version FROM balances",
    "earnings": "SELECT alliance_id, scope, year, area, subject, points_tenths FROM earnings",
    "flows": "SELECT alliance_id, year, kind, net_tenths FROM flows",
    "year_stats": "SELECT alliance_id, year, entries FROM year_stats",
    "once_keys": "SELECT account, once_key, entry_id FROM once_keys",
}


@dataclass
class DiffReport:
    entries: int
    awards_checked: int
    differences: list[dict[str, Any]] = field(default_factory=list)
    difference_count: int = 0
    row_mismatches: list[dict[str, Any]] = field(default_factory=list)
    replay_mismatches: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.difference_count or self.row_mismatches)


def rebuilt_tables(result: ScanResult) -> dict[str, dict[tuple[Any, ...], Any]]:
    d = result.deltas
    balances: dict[tuple[Any, ...], Any] = {(a,): (v, result.versions.get(a, 0)) for a, v in d.balances.items()}
    for stream, version in result.versions.items():
        balances.setdefault((stream,), (0, version))
    return {
        "balances": balances,
        "earnings": dict(d.earnings),
        "flows": dict(d.flows),
        "year_stats": dict(d.year_stats),
        "once_keys": {k: v for k, v in d.once_add.items()},
    }


async def live_tables(conn: asyncpg.Connection) -> dict[str, dict[tuple[Any, ...], Any]]:
    tables: dict[str, dict[tuple[Any, ...], Any]] = {}
    for name, query in LIVE.items():
        rows = await conn.fetch(query)
        if name == "balances":
            tables[name] = {(r[0],): (r[1], r[2]) for r in rows}
        else:
            tables[name] = {tuple(r)[:-1]: r[-1] for r in rows}
    return tables


async def diff(conn: asyncpg.Connection, policy: CollectivePolicy, *, parallel: Parallel | None = None
               ) -> DiffReport:
    """Scan the log and compare (the caller holds a REPEATABLE READ transaction)."""
    result = await _scan(conn, policy, parallel)
    report = DiffReport(result.entries, result.awards_checked, row_mismatches=result.row_mismatches,
                        replay_mismatches=result.replay_mismatches)
    live, rebuilt = await live_tables(conn), rebuilt_tables(result)
    for table in LIVE:
        have, want = _nonzero(live[table]), _nonzero(rebuilt[table])
        if have == want:  # the common case, compared in C
            continue
        keys = sorted((k for k in have.keys() | want.keys() if have.get(k) != want.get(k)), key=repr)
        report.difference_count += len(keys)
        room = MAX_REPORTED - len(report.differences)
        report.differences += [{"table": table, "key": list(k), "live": _plain(have.get(k)),
                                "rebuilt": _plain(want.get(k))} for k in keys[:max(room, 0)]]
    return report


async def repair(conn: asyncpg.Connection, policy: CollectivePolicy) -> DiffReport:
    """Replace the projections by the rebuild (inside the caller's transaction, under the append lock)."""
    await conn.fetchrow(sql.LOCK_HEAD)
    result = await _scan(conn, policy, None)
    tables = rebuilt_tables(result)
    for name in LIVE:
        await conn.execute(f"DELETE FROM {name}")
    await conn.copy_records_to_table("balances", records=[
        (a, kind_of(a), owner_of(a), v, version) for (a,), (v, version) in tables["balances"].items()])
    for name, width in (("earnings", 6), ("flows", 4), ("year_stats", 3), ("once_keys", 3)):
        records = [(*k, v) for k, v in tables[name].items()]
        if records and len(records[0]) == width:
            await conn.copy_records_to_table(name, records=records)
    return await diff(conn, policy)


@dataclass(frozen=True)
class Parallel:
    """Scan with ``jobs`` worker processes (connecting with ``dsn``) when the log has ``min_entries`` or more."""

    dsn: str
    server_settings: dict[str, str]
    jobs: int
    min_entries: int = 200_000


async def _scan(conn: asyncpg.Connection, policy: CollectivePolicy, parallel: Parallel | None) -> ScanResult:
    if parallel is None or parallel.jobs < 2 or await head_position(conn) < parallel.min_entries:
        return await scan(conn, policy)
    snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
    return await scan_parallel(Source(parallel.dsn, parallel.server_settings, snapshot), policy, parallel.jobs)


def _nonzero(table: dict[tuple[Any, ...], Any]) -> dict[tuple[Any, ...], Any]:
    """A missing row and a zero row mean the same (a balance back at 0, an earning fully reversed)."""
    return {k: v for k, v in table.items() if v != 0 and v != (0, 0)}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
