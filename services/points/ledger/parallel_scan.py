"""The rebuild scan on several cores: one worker process per partition of the streams, all reading the SAME
snapshot (``pg_export_snapshot`` / ``SET TRANSACTION SNAPSHOT``), results summed in the parent.

Every posting on a person's (or unit's) account lies in that account's stream, so a partition carries whole
running balances and stream versions; issuing, redeemed, earnings, flows and year figures are sums, so the
partitions add up. Workers are started with ``spawn`` (safe from a running service with threads and an event
loop).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.points.domain.scheme_model import CollectivePolicy

from .projection import Deltas
from .rebuild import MAX_REPORTED, ScanResult, scan


@dataclass(frozen=True)
class Source:
    dsn: str
    server_settings: dict[str, str]
    snapshot: str


async def scan_parallel(source: Source, policy: CollectivePolicy, jobs: int) -> ScanResult:
    context = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        parts = await asyncio.gather(*(loop.run_in_executor(pool, _scan_part, source, policy, (k, jobs))
                                       for k in range(jobs)))
    return merge(list(parts), policy)


def _scan_part(source: Source, policy: CollectivePolicy, part: tuple[int, int]) -> dict[str, Any]:
    return asyncio.run(_scan_part_async(source, policy, part))


async def _scan_part_async(source: Source, policy: CollectivePolicy, part: tuple[int, int]) -> dict[str, Any]:
    conn = await asyncpg.connect(source.dsn, server_settings=source.server_settings)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            await conn.execute(f"SET TRANSACTION SNAPSHOT '{_snapshot_id(source.snapshot)}'")
            return _plain(await scan(conn, policy, part))
    finally:
        await conn.close()


def _snapshot_id(value: str) -> str:
    if not all(c.isalnum() or c == "-" for c in value):
        raise ValueError("not a snapshot id")
    return value


def _plain(result: ScanResult) -> dict[str, Any]:
    """Picklable: the deltas' defaultdicts become dicts."""
    d = result.deltas
    return {"balances": dict(d.balances), "earnings": dict(d.earnings), "flows": dict(d.flows),
            "year_stats": dict(d.year_stats), "once_add": dict(d.once_add), "once_del": set(d.once_del),
            "versions": dict(result.versions), "entries": result.entries, "awards_checked": result.awards_checked,
            "replay_mismatches": result.replay_mismatches, "row_mismatches": result.row_mismatches}


def merge(parts: list[dict[str, Any]], policy: CollectivePolicy) -> ScanResult:
    result = ScanResult(Deltas(policy))
    result.versions = defaultdict(int)
    for part in parts:
        for name in ("balances", "earnings", "flows", "year_stats"):
            target = getattr(result.deltas, name)
            for key, value in part[name].items():
                target[key] += value
        result.deltas.once_add.update(part["once_add"])
        result.deltas.once_del |= part["once_del"]
        result.versions.update(part["versions"])
        result.entries += part["entries"]
        result.awards_checked += part["awards_checked"]
        result.replay_mismatches += part["replay_mismatches"]
        result.row_mismatches += part["row_mismatches"]
    for name in ("replay_mismatches", "row_mismatches"):
        ordered = sorted(getattr(result, name), key=lambda m: m["position"])[:MAX_REPORTED]
        setattr(result, name, ordered)
    return result
