"""Physical baselines, measured in the same run as the scenarios they are compared with.

- ``raw_insert_commit``: one asyncpg connection, a single-row INSERT committed per row, in a loop (rows/s);
- ``raw_copy_ledger_rows``: asyncpg COPY of ledger-shaped rows (the ledger's columns, canonical bytes of the real
  size, the same indexes: ``LIKE points.ledger_entries INCLUDING ALL``), one transaction per batch (rows/s);
- ``bare_endpoint``: a FastAPI endpoint doing one asyncpg INSERT under uvicorn, driven by the same load generator
  and concurrency as the gateway scenario (req/s, latency);
- ``jetstream_roundtrip``: publish (acknowledged by the file-backed, fsync-always stream) then consume and ack the
  same message, in a loop (latency, msgs/s);
- ``sha256_chain``: the hashing ceiling of the offline verifier: ``sha256(prev_hash ‖ canonical)`` over
  canonical-sized inputs, from memory, on as many processes as the verifier uses (entries/s).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone

import asyncpg
import httpx
import nats

from bench import load
from bench.context import Ctx, ScenarioResult
from bench.stats import Measurement, latency_summary
from services.points.audit.parallel import default_jobs

NAME = "baselines"
CANONICAL_BYTES = 620  # replaced by the measured mean length of the cached ledger's canonical bytes when known


async def run(ctx: Ctx) -> ScenarioResult:
    result = ScenarioResult(NAME, "Physical baselines (same run)")
    async with ctx.fresh_database(directory=False) as url:
        canonical = await _canonical_length(ctx)
        result.detail["canonical_bytes"] = canonical
        runs = [await _insert_loop(url, ctx.scale.insert_loop_rows) for _ in range(ctx.scale.runs)]
        result.add(Measurement.of_runs("raw_insert_commit", runs, "rows/s", rows=ctx.scale.insert_loop_rows))
        runs = [await _copy_rows(url, ctx.scale.copy_rows, ctx.scale.batch, canonical, i)
                for i in range(ctx.scale.runs)]
        result.add(Measurement.of_runs("raw_copy_ledger_rows", runs, "rows/s", rows=ctx.scale.copy_rows,
                                       batch=ctx.scale.batch))
        bare = await _bare_endpoint(ctx, url)
        result.add(bare["throughput"])
        result.add(bare["p99"])
    js = await _jetstream(ctx)
    result.add(js["p99"])
    result.add(js["p50"])
    result.add(js["rate"])
    hashing = await asyncio.to_thread(_hash_ceiling, canonical, max(20_000, ctx.scale.copy_rows), default_jobs(),
                                      ctx.scale.runs)
    result.add(hashing["parallel"])
    result.add(hashing["single"])
    ctx.baselines.update(result.measurements)
    return result


async def _canonical_length(ctx: Ctx) -> int:
    if ctx.ledger is None:
        return CANONICAL_BYTES
    conn = await asyncpg.connect(ctx.engines.database_url(ctx.ledger.database))
    try:
        value = await conn.fetchval("SELECT avg(octet_length(canonical))::int FROM (SELECT canonical FROM "
                                    "points.ledger_entries ORDER BY position DESC LIMIT 10000) s")
        return int(value or CANONICAL_BYTES)
    finally:
        await conn.close()


async def _insert_loop(url: str, rows: int) -> float:
    conn = await asyncpg.connect(url)
    try:
        table = f"bench_insert_{uuid.uuid4().hex[:6]}"
        await conn.execute(f"CREATE TABLE {table} (id bigserial PRIMARY KEY, doctor_id text NOT NULL, "
                           "amount_tenths bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now())")
        statement = f"INSERT INTO {table} (doctor_id, amount_tenths) VALUES ($1, $2)"
        await conn.execute(statement, "warmup", 1)
        started = time.perf_counter()
        for i in range(rows):
            await conn.execute(statement, f"bd-{i:06d}", 20)  # autocommit: one transaction (and fsync) per row
        return rows / (time.perf_counter() - started)
    finally:
        await conn.close()


def ledger_shaped_rows(count: int, canonical: int, salt: int) -> list[tuple[object, ...]]:
    base = datetime(2025, 3, 1, tzinfo=timezone.utc)
    rows = []
    filler = "x" * max(0, canonical - 420)
    for i in range(count):
        d = f"bd-{(i * 7919) % 200_000:06d}"
        entry_id = str(uuid.uuid4())
        occurred = base + timedelta(seconds=i)
        doc = {"entry_id": entry_id, "entry_type": "award", "postings": [[f"issuing:ba-{i % 20:02d}", -20],
                                                                      [f"member:{d}", 20]],
               "rule_code": "R02b", "scheme_id": "hunan-peds-club-2024", "scheme_version": 1, "variant": "outpatient",
               "quantity": 1, "unit_id": f"bu-{i % 2000:05d}", "occurred_at": occurred.isoformat(), "x": filler}
        canonical_bytes = json.dumps(doc, separators=(",", ":")).encode()
        rows.append((i + 1, entry_id, f"member:{d}", i + 1, "award", f"ba-{i % 20:02d}", d, f"bu-{i % 2000:05d}",
                     f"issuing:ba-{i % 20:02d}", f"member:{d}", 20, "R02b", "hunan-peds-club-2024", 1, "outpatient", 1,
                     "management", None, None, f"copy:{salt}:{i}", None, "bulk", None, occurred, occurred,
                     occurred.date(), 20 * (i + 1), canonical_bytes, os.urandom(32), os.urandom(32)))
    return rows


COPY_COLUMNS = ["position", "entry_id", "stream", "stream_version", "entry_type", "alliance_id", "doctor_id", "unit_id",
                "debit_account", "credit_account", "amount_tenths", "rule_code", "scheme_id", "scheme_version",
                "variant", "quantity", "area", "reverses", "redemption_id", "source_event_id", "once_key", "actor",
                "memo", "occurred_at", "recorded_at", "business_date", "balance_after_tenths", "canonical",
                "prev_hash", "hash"]


async def _copy_rows(url: str, count: int, batch: int, canonical: int, salt: int) -> float:
    rows = await asyncio.to_thread(ledger_shaped_rows, count, canonical, salt)
    conn = await asyncpg.connect(url)
    table = f"bench_copy_{uuid.uuid4().hex[:6]}"
    try:
        # Same columns, constraints and indexes as the ledger (no triggers: LIKE does not copy them).
        await conn.execute(f"CREATE TABLE public.{table} (LIKE points.ledger_entries INCLUDING ALL)")
        started = time.perf_counter()
        for i in range(0, count, batch):
            async with conn.transaction():
                await conn.copy_records_to_table(table, schema_name="public", records=rows[i:i + batch],
                                                 columns=COPY_COLUMNS)
        return count / (time.perf_counter() - started)
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS public.{table}")
        await conn.close()


async def _bare_endpoint(ctx: Ctx, url: str) -> dict[str, Measurement]:
    bare = ctx.start("bare", url, ctx.namespace(), BENCH_BARE_DATABASE_URL=url)
    try:
        await asyncio.to_thread(ctx.ready, bare)

        async def request(http: httpx.AsyncClient, n: int) -> httpx.Response:
            return await http.post("/items", json={"doctor_id": f"bd-{n % 200_000:06d}", "rule": "R02b",
                                                   "amount_tenths": 20})

        results = []
        for _ in range(ctx.scale.runs):
            results.append(await load.closed_loop(bare.url, request, clients=ctx.scale.clients,
                                                  seconds=ctx.scale.load_seconds, warmup_requests=20))
        runs = [r.throughput for r in results]
        p99s = [r.summary()["p99_ms"] for r in results]
        detail = {"clients": ctx.scale.clients, "seconds": ctx.scale.load_seconds,
                  "runs_detail": [r.summary() for r in results]}
        return {"throughput": Measurement.of_runs("bare_endpoint_throughput", runs, "req/s", **detail),
                "p99": Measurement.of_runs("bare_endpoint_p99", p99s, "ms")}
    finally:
        ctx.stop(bare)


async def _jetstream(ctx: Ctx) -> dict[str, Measurement]:
    nc = await nats.connect(ctx.engines.nats_url)
    js = nc.jetstream()
    ns = ctx.namespace().rstrip(".")
    stream = f"BENCH_{ns.upper()}"
    subject = f"{ns}.bench.roundtrip"
    try:
        await js.add_stream(name=stream, subjects=[f"{ns}.bench.>"])
        sub = await js.subscribe(subject, durable=None, manual_ack=True)
        payload = b"x" * 600
        latencies_runs, rates = [], []
        for _ in range(ctx.scale.runs):
            latencies = []
            started = time.perf_counter()
            for _ in range(ctx.scale.jetstream_messages):
                t0 = time.perf_counter()
                await js.publish(subject, payload)
                msg = await sub.next_msg(timeout=10)
                await msg.ack()
                latencies.append(time.perf_counter() - t0)
            rates.append(ctx.scale.jetstream_messages / (time.perf_counter() - started))
            latencies_runs.append(latency_summary(latencies))
        await sub.unsubscribe()
        p99s = [r["p99_ms"] for r in latencies_runs]
        return {"p99": Measurement.of_runs("jetstream_roundtrip_p99", p99s, "ms", runs_detail=latencies_runs),
                "p50": Measurement.of_runs("jetstream_roundtrip_p50", [r["p50_ms"] for r in latencies_runs], "ms"),
                "rate": Measurement.of_runs("jetstream_roundtrip_rate", rates, "msgs/s",
                                            messages=ctx.scale.jetstream_messages)}
    finally:
        try:
            await js.delete_stream(stream)
        finally:
            await nc.close()


def _hash_chunk(args: tuple[int, int]) -> float:
    count, size = args
    data = [os.urandom(size) for _ in range(256)]
    prev = bytes(32)
    sha = hashlib.sha256
    started = time.perf_counter()
    for i in range(count):
        prev = sha(prev + data[i & 255]).digest()
    return time.perf_counter() - started


def _hash_ceiling(canonical: int, count: int, jobs: int, runs: int) -> dict[str, Measurement]:
    single, parallel = [], []
    for _ in range(runs):
        single.append(count / _hash_chunk((count, canonical)))
        with ProcessPoolExecutor(jobs) as pool:
            list(pool.map(_hash_chunk, [(10, canonical)] * jobs))  # workers started before the clock runs
            started = time.perf_counter()
            list(pool.map(_hash_chunk, [(count, canonical)] * jobs))
            parallel.append(count * jobs / (time.perf_counter() - started))
    return {"single": Measurement.of_runs("sha256_chain_single", single, "entries/s", canonical_bytes=canonical),
            "parallel": Measurement.of_runs("sha256_chain_ceiling", parallel, "entries/s", jobs=jobs,
                                            canonical_bytes=canonical)}
