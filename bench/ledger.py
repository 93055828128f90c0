"""Ingestion through the project's own bulk path (``services.points.bulk``: AwardFactory → append_batches), used
by the bulk scenario and to build the big cached ledger of the read and audit scenarios.

The cache is a database in the benchmark's PostgreSQL (``bench/cache/pg``), named by scale, seed, the services'
migration heads and the generator version; ``bench/cache/<name>.json`` records how it was built (entries, time,
rate). A cache whose record is missing or whose head position differs is rebuilt.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bench.config import Scale
from bench.data import GENERATOR_VERSION, SCHEME_ID, award_lines, load_directory
from bench.engines import CACHE_DIR, Engines, heads_key
from services.points.bulk import AwardFactory, BulkReport, bulk_append
from services.points.cli import connect
from services.points.ledger.config import LedgerConfig, policy_of
from services.points.ledger.signing import load_signing_key
from services.points.settings import PointsSettings


def points_settings(database_url: str, **overrides: Any) -> PointsSettings:
    return PointsSettings(database_url=database_url, environment="local", **overrides)


async def ingest(database_url: str, lines: Iterable[dict[str, Any]], *, batch: int,
                 progress: str | None = None, total: int = 0) -> BulkReport:
    """Append ``lines`` with the bulk importer's code, exactly as ``python -m services.points.bulk`` does."""
    settings = points_settings(database_url)
    conn, reader = await connect(settings), await connect(settings)
    try:
        config = LedgerConfig(key=await load_signing_key(settings, conn), checkpoint_every=settings.checkpoint_every,
                              namespace=settings.events_namespace, schema=settings.db_schema,
                              policy=policy_of(settings.scheme_id))
        factory = AwardFactory(SCHEME_ID, {})
        source = _reporting(lines, progress, total) if progress else lines
        return await bulk_append(conn, reader, source, config=config, factory=factory, batch=batch)
    finally:
        await conn.close()
        await reader.close()


def _reporting(lines: Iterable[dict[str, Any]], label: str, total: int) -> Iterator[dict[str, Any]]:
    started = time.perf_counter()
    every = 500_000
    for i, line in enumerate(lines, 1):
        yield line
        if i % every == 0:
            spent = time.perf_counter() - started
            print(f"  [{label}] {i:,}/{total:,} lines in {spent:,.0f}s ({i / spent:,.0f}/s)", file=sys.stderr,
                  flush=True)


@dataclass
class LedgerCache:
    database: str
    entries: int
    target: int
    build_seconds: float  # cumulative over the build sessions
    build_rate: float  # entries/s of the last build session
    built_at: str
    sessions: list[dict[str, Any]]
    reused: bool = False
    size_bytes: int = 0

    @property
    def complete(self) -> bool:
        return self.entries >= self.target

    @property
    def resumed(self) -> bool:
        return len(self.sessions) > 1

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "complete": self.complete, "resumed": self.resumed}


def cache_name(scale: Scale, seed: int) -> str:
    return f"bench_ledger_{scale.name}_{seed}_{heads_key()}_g{GENERATOR_VERSION}"


MIN_FREE_DISK = 20 * 1024**3  # stop growing the cache before the disk gets tight (others share this machine)


async def ensure_ledger(engines: Engines, template: str, scale: Scale, seed: int, *, budget_seconds: float,
                        cache_dir: Path = CACHE_DIR, target: int | None = None) -> LedgerCache:
    """The cached ledger database of ``target`` entries (default: the scale's).

    Built through the bulk path; a build stops when ``budget_seconds`` are spent or the disk gets tight, and
    the next run resumes it where it stopped (the generated lines are deterministic and every batch is its own
    transaction, so the head position is exactly the number of lines already in). The record says how far it
    got; the results report the actual size.
    """
    target = scale.ledger_entries if target is None else target
    name = cache_name(scale, seed)
    record_path = cache_dir / f"{name}.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else None
    url = engines.database_url(name)
    if await engines.exists(name):
        head = await _head(url)
    else:
        await _prune(engines, scale, keep=name, cache_dir=cache_dir)
        await engines.create(name, template)
        owner = await asyncpg.connect(url)
        try:
            await load_directory(owner, scale)
        finally:
            await owner.close()
        head, record = 0, None
    sessions = list(record["sessions"]) if record and record.get("entries") == head else []
    if head < 0:
        raise RuntimeError(f"cached ledger {name} is unreadable; drop it to rebuild")
    reused = head >= target
    if not reused:
        print(f"  cached ledger {name}: {head:,} of {target:,} entries; building through the bulk path "
              f"(budget {budget_seconds / 60:.0f} min) …", file=sys.stderr, flush=True)
        started = time.perf_counter()
        deadline = time.monotonic() + budget_seconds
        lines = _bounded(itertools.islice(award_lines(scale, seed, target), head, None), deadline, cache_dir)
        cleaner = asyncio.create_task(_drain_outbox(url))
        try:
            report = await ingest(url, lines, batch=scale.batch, progress="ledger build", total=target - head)
        finally:
            cleaner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await cleaner
        await _finish(url)
        seconds = time.perf_counter() - started
        head = await _head(url)
        sessions.append({"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "entries": report.entries,
                         "seconds": round(seconds, 1), "bulk_seconds": round(report.seconds, 1),
                         "rate": round(report.rate, 1)})
    cache = LedgerCache(name, head, target, round(sum(s["seconds"] for s in sessions), 1),
                        sessions[-1]["rate"] if sessions else 0.0,
                        sessions[-1]["at"] if sessions else "", sessions, reused=reused)
    record_path.parent.mkdir(parents=True, exist_ok=True)
    record_path.write_text(json.dumps(cache.to_json(), indent=1))
    cache.size_bytes = await engines.size(name)
    return cache


def _bounded(lines: Iterator[dict[str, Any]], deadline: float, cache_dir: Path) -> Iterator[dict[str, Any]]:
    for i, line in enumerate(lines):
        if i % 10_000 == 0 and (time.monotonic() > deadline or shutil.disk_usage(cache_dir).free < MIN_FREE_DISK):
            print(f"  cache build stopped after {i:,} more lines (time budget or free disk)", file=sys.stderr,
                  flush=True)
            return
        yield line


async def _drain_outbox(url: str) -> None:
    """The bulk path writes an ``entry.recorded`` outbox row per entry; no relay runs during the build, so the
    rows are removed as they come (as if relayed and purged) — the cache holds the ledger and its projections."""
    conn = await asyncpg.connect(url)
    try:
        while True:
            await asyncio.sleep(15)
            await conn.execute("DELETE FROM points.outbox")
    finally:
        await conn.close()


async def _finish(url: str) -> None:
    owner = await asyncpg.connect(url)
    try:
        await owner.execute("DELETE FROM points.outbox")
        await owner.execute("VACUUM (ANALYZE) points.outbox")
        await owner.execute("VACUUM (ANALYZE) points.ledger_entries")
        await owner.execute("ANALYZE")
    finally:
        await owner.close()


async def _head(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT position FROM points.ledger_head WHERE id = 1") or 0)
    except asyncpg.PostgresError:
        return -1
    finally:
        await conn.close()


async def _prune(engines: Engines, scale: Scale, *, keep: str, cache_dir: Path) -> None:
    """Older caches of the same scale (another migration head / generator) only take disk: drop them."""
    if not engines.embedded_pg:
        return
    for old in await engines.list_databases(f"bench_ledger_{scale.name}_"):
        if old != keep:
            print(f"  dropping stale cached ledger {old}", file=sys.stderr, flush=True)
            await engines.drop(old)
            (cache_dir / f"{old}.json").unlink(missing_ok=True)
