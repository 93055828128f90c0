"""Bulk award ingestion through the real append path (rules, hash chain, projections, outbox).

Each run ingests ``scale.bulk_entries`` generated award lines into a fresh database (migrated, with the
generated directory of 200,000 doctors at full scale) with ``services.points.bulk``'s own code: AwardFactory
computes every amount from the scheme, ``ledger.pipeline.append_batches`` plans batch n+1 while batch n is
written, one transaction per 10,000 entries (COPY + one statement for projections, checkpoints, outbox, head).

Compared with ``raw_copy_ledger_rows`` (COPY of ledger-shaped rows into a table with the ledger's indexes).

Where the time goes is measured in every run by timing the pipeline's own functions (wrapped for the duration
of the scenario only): ``write`` (database: COPY of the rows + the projections/outbox statement), the COPY alone,
and ``make_plan`` (Python: guards, chaining, hashing, projection deltas — in a worker thread, overlapping).
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg

from bench.context import Ctx, ScenarioResult, declare
from bench.data import award_lines
from bench.ledger import ingest
from bench.stats import Measurement

TARGETS = (
    ("≥ 50,000 entries/s", "bulk_entries_per_s", ">=", 50_000, "value"),
    ("≥ 0.25 × raw COPY", "bulk_entries_per_s", ">=", 0.25, "ratio"),
)
NAME = "bulk_ingest"


async def run(ctx: Ctx) -> ScenarioResult:
    result = ScenarioResult(NAME, "Bulk award ingestion through the real append path")
    rates, breakdowns, sizes = [], [], []
    for i in range(ctx.scale.runs):
        async with ctx.fresh_database() as url:
            explain = 2 if i == 0 else None  # the 3rd batch of the first run: its statement under EXPLAIN ANALYZE
            with timed_pipeline(explain_batch=explain) as spent, \
                    ctx.profiling(f"bulk_ingest-{i}", {"bench": os.getpid()}):
                report = await ingest(url, award_lines(ctx.scale, ctx.seed, ctx.scale.bulk_entries, tag=f"bulk{i}"),
                                      batch=ctx.scale.batch)
            if spent.get("explain"):
                result.detail["write_statement_explained"] = spent.pop("explain")
            rates.append(report.rate)
            breakdowns.append({k: round(v, 2) for k, v in spent.items()} | {"total": round(report.seconds, 2),
                                                                             "replanned": report.replanned})
            sizes.append(await _bytes_per_entry(url, report.entries))
    measurement = result.add(Measurement.of_runs("bulk_entries_per_s", rates, "entries/s",
                                                 entries=ctx.scale.bulk_entries, batch=ctx.scale.batch,
                                                 seconds_breakdown=breakdowns, bytes_per_entry=sizes))
    measurement.against(ctx.baselines.get("raw_copy_ledger_rows"))
    declare(result, TARGETS)
    last = breakdowns[-1]
    result.notes.append(
        f"last run: {last['total']}s total; database write {last.get('write', 0)}s "
        f"(of which COPY of the ledger rows {last.get('copy', 0)}s, projections/outbox statement "
        f"{round(last.get('write', 0) - last.get('copy', 0), 2)}s); planning in the worker thread "
        f"{last.get('make_plan', 0)}s (overlapped)")
    explained = result.detail.get("write_statement_explained")
    if explained:
        parts = sorted(explained["parts"].items(), key=lambda kv: -kv[1]["ms"])[:4]
        result.notes.append(
            f"one {ctx.scale.batch:,}-entry batch's projections/outbox statement under EXPLAIN ANALYZE: "
            f"{explained['execution_ms']:,.0f} ms — " + ", ".join(
                f"{name} {part['ms']:,.0f} ms ({part['rows'] or 0:,} rows)" for name, part in parts))
    return result


async def _bytes_per_entry(url: str, entries: int) -> dict[str, float]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT relname, pg_total_relation_size(oid) AS size FROM pg_class WHERE "
                                "relnamespace = 'points'::regnamespace AND relkind = 'r' AND relname = ANY($1)",
                                ["ledger_entries", "outbox", "earnings", "balances", "ledger_checkpoints"])
        return {r["relname"]: round(r["size"] / max(entries, 1), 1) for r in rows}
    finally:
        await conn.close()


@contextmanager
def timed_pipeline(explain_batch: int | None = None) -> Iterator[dict[str, Any]]:
    """Accumulate the time spent in the append pipeline's steps (restored afterwards).

    ``explain_batch``: that batch's projections/outbox statement runs as ``EXPLAIN (ANALYZE, BUFFERS)`` of itself
    — executed for real in the same transaction, same effect — and the time of each of its parts is kept.
    """
    import services.points.ledger.append as append_module
    import services.points.ledger.pipeline as pipeline_module
    from services.points.ledger import sql as ledger_sql

    spent: dict[str, Any] = defaultdict(float)
    originals: dict[tuple[Any, str], Any] = {}
    batches = {"n": 0}
    original_execute = asyncpg.Connection.execute

    async def execute(self: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> Any:
        if query == ledger_sql.WRITE_AFTER_COPY:
            batches["n"] += 1
            if batches["n"] - 1 == explain_batch:
                rows = await self.fetch("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query, *args)
                spent["explain"] = _explained(rows[0][0])
                return "SELECT 1"
        return await original_execute(self, query, *args, **kwargs)

    originals[(asyncpg.Connection, "execute")] = original_execute
    asyncpg.Connection.execute = execute  # type: ignore[method-assign]

    def wrap_async(owner: Any, attr: str, key: str) -> None:
        original = getattr(owner, attr)
        originals[(owner, attr)] = original

        async def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - t0

        setattr(owner, attr, timed)

    def wrap_sync(owner: Any, attr: str, key: str) -> None:
        original = getattr(owner, attr)
        originals[(owner, attr)] = original

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - t0

        setattr(owner, attr, timed)

    wrap_async(append_module, "write", "write")
    wrap_async(append_module, "load", "load_under_lock")
    wrap_async(pipeline_module, "load", "load_ahead")
    wrap_sync(pipeline_module, "make_plan", "make_plan")
    wrap_async(asyncpg.Connection, "copy_records_to_table", "copy")
    try:
        yield spent
    finally:
        for (owner, attr), original in originals.items():
            setattr(owner, attr, original)


def _explained(document: Any) -> dict[str, Any]:
    """Per part of the write statement (CTE): actual ms, rows written and conflicts, from EXPLAIN's JSON."""
    import json

    plan = (json.loads(document) if isinstance(document, str) else document)[0]
    parts = {}
    for node in plan["Plan"].get("Plans", []):
        name = str(node.get("Subplan Name", "")).removeprefix("CTE ")
        children = node.get("Plans") or [{}]
        parts[name] = {"ms": round(float(node.get("Actual Total Time", 0.0)), 1),
                       "rows": children[0].get("Actual Rows", node.get("Actual Rows")),
                       "conflicts": node.get("Conflicting Tuples"),
                       "buffers_hit": node.get("Shared Hit Blocks")}
    return {"execution_ms": round(float(plan.get("Execution Time", 0.0)), 1), "parts": parts}
