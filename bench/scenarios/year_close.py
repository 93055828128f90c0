"""Year close for every alliance at the big ledger, while the API keeps answering.

``POST /years/{year}/close?alliance_id=…`` (the closable year with the most entries) for each of the 20 alliances,
one after another, as each alliance's office, against the points service on the cached ledger (the service's real
clock is past 31 Dec of that year). Each close takes the chain lock, snapshots the alliance's ``earnings`` of the
year into ``year_close_totals``, pins the head and publishes ``year.closed``. Meanwhile readers (leaderboards,
statements, balances) keep calling the same service; their latency is compared with the same readers just before
the close.

The cached ledger is reused by later runs, so afterwards the harness removes that year's snapshots again as the
database owner (with the append-only triggers of those two tables switched off inside that one transaction, then
restored as ENABLE ALWAYS) and clears the outbox rows the closes wrote. Nothing of the ledger itself is touched;
the signed checkpoint at the head (if the close wrote one) stays — it is a valid checkpoint.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import httpx

from bench import load
from bench.context import Ctx, ScenarioResult, declare, ledger_points
from bench.data import alliance_id
from bench.stats import Measurement
from libs.auth.deps import internal_auth_key
from libs.auth.principal import Principal, Role, sign_principal

TARGETS = (
    ("≤ 30 s for all alliances", "year_close_seconds", "<=", 30.0, "value"),
    ("every close succeeds", "year_close_failed", "<=", 0, "value"),
    ("the API keeps answering: no failed read", "year_close_reader_failures", "<=", 0, "value"),
    ("the API keeps answering: no read slower than 1 s", "year_close_reader_max", "<=", 1000.0, "value"),
)
NAME = "year_close"
READERS = 4


async def run(ctx: Ctx) -> ScenarioResult:
    assert ctx.ledger is not None
    result = ScenarioResult(NAME, "Year close for every alliance, API answering meanwhile")
    points = await ledger_points(ctx)
    url = ctx.engines.database_url(ctx.ledger.database)
    year = await busiest_closed_year(url)
    result.detail["year"] = year
    await _reopen(url, year)  # a previous run that died half-way may have left snapshots
    auditor = sign_principal(Principal(sub="bench-auditor", role=Role.AUDITOR), internal_auth_key())
    doctors = await _some_doctors(url)

    async def read(http: httpx.AsyncClient, n: int) -> httpx.Response:
        a = alliance_id(n % ctx.scale.alliances)
        kind = n % 3
        if kind == 0:
            return await http.get("/leaderboards/individual", params={"alliance_id": a, "size": 100, "year": year},
                                  headers=auditor)
        doc = doctors[n % len(doctors)]
        if kind == 1:
            return await http.get(f"/members/{doc}/entries", params={"limit": 50}, headers=auditor)
        return await http.get(f"/members/{doc}/balance", headers=auditor)

    before = await load.closed_loop(points.url, read, clients=READERS, seconds=max(2.0, ctx.scale.load_seconds / 3))
    closes: list[dict[str, object]] = []

    async def close_all() -> float:
        started = time.perf_counter()
        async with httpx.AsyncClient(base_url=points.url, timeout=300) as http:
            for a in range(ctx.scale.alliances):
                office = sign_principal(Principal(sub=f"bench-office-{a}", role=Role.ALLIANCE_OFFICE,
                                                  alliance_id=alliance_id(a)), internal_auth_key())
                t0 = time.perf_counter()
                response = await http.post(f"/years/{year}/close", params={"alliance_id": alliance_id(a)},
                                           headers={**office, "idempotency-key": uuid.uuid4().hex})
                body = response.json() if response.status_code == 201 else {"error": response.text[:300]}
                closes.append({"alliance_id": alliance_id(a), "status": response.status_code,
                               "seconds": round(time.perf_counter() - t0, 3),
                               "members": len(body.get("member_totals", {})),
                               "units": len(body.get("unit_totals", {}))})
        return time.perf_counter() - started

    try:
        with ctx.sampler.during("load:year_close"), ctx.profiling("year_close", {"points": points.pid}):
            closing = asyncio.create_task(close_all())
            during_runs = []
            while not closing.done():
                during_runs.append(await load.closed_loop(points.url, read, clients=READERS, seconds=1.0))
            total = await closing
    finally:
        await _reopen(url, year)
    latencies = [x for r in during_runs for x in r.latencies]
    during = load.LoadResult(sum(r.seconds for r in during_runs), latencies)
    for r in during_runs:
        during.statuses.update(r.statuses)
        during.errors.update(r.errors)
        during.ok += r.ok
    failed = sum(1 for c in closes if c["status"] != 201)
    result.detail.update({"closes": closes, "readers_before": before.summary(), "readers_during": during.summary()})
    result.add(Measurement("year_close_seconds", total, "s", detail={"alliances": ctx.scale.alliances,
                                                                       "failed": failed}))
    result.add(Measurement("year_close_failed", float(failed), "closes"))
    reader_fail = sum(v for k, v in during.statuses.items() if k != 200) + sum(during.errors.values())
    result.add(Measurement("year_close_reader_failures", float(reader_fail), "requests"))
    worst = result.add(Measurement("year_close_reader_max", during.summary()["max_ms"], "ms",
                                   detail={"p99_ms": during.summary()["p99_ms"], "requests": during.ok}))
    p99 = result.add(Measurement("year_close_reader_p99", during.summary()["p99_ms"], "ms"))
    p99.against(Measurement("year_close_reader_p99_before", before.summary()["p99_ms"], "ms"))
    worst.against(Measurement("year_close_reader_max_before", before.summary()["max_ms"], "ms"))
    declare(result, TARGETS)
    return result


async def _some_doctors(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT owner FROM points.balances WHERE kind = 'member' ORDER BY account LIMIT 500")
        return [r["owner"] for r in rows]
    finally:
        await conn.close()


async def busiest_closed_year(url: str) -> int:
    """The closable year (before the current one) with the most entries: 2025 for a complete cache; a cache
    built only part of the way (it fills in date order) has its entries in 2024."""
    conn = await asyncpg.connect(url)
    try:
        found = await conn.fetchval("SELECT year FROM points.year_stats WHERE year < extract(year FROM now()) "
                                    "GROUP BY year ORDER BY sum(entries) DESC, year DESC LIMIT 1")
        return int(found or 2025)
    finally:
        await conn.close()


async def _reopen(url: str, year: int) -> None:
    """Owner housekeeping of the cache: remove the year's snapshots (see the module docstring)."""
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            triggers = await conn.fetch(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relnamespace = 'points'::regnamespace AND c.relname IN ('year_closes', 'year_close_totals') "
                "AND NOT t.tgisinternal")
            for row in triggers:
                await conn.execute(f'ALTER TABLE points.{row["relname"]} DISABLE TRIGGER "{row["tgname"]}"')
            await conn.execute("DELETE FROM points.year_close_totals WHERE year = $1", year)
            await conn.execute("DELETE FROM points.year_closes WHERE year = $1", year)
            for row in triggers:
                await conn.execute(f'ALTER TABLE points.{row["relname"]} ENABLE ALWAYS TRIGGER "{row["tgname"]}"')
            await conn.execute("DELETE FROM points.outbox")
    finally:
        await conn.close()
