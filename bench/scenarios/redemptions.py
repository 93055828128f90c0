"""Concurrent redemptions on one member (the contended row).

One doctor holds a balance worth exactly S tier-100 prizes (credited first with bulk awards); ``clients``
concurrent clients then redeem for that doctor, S + 10 % requests in all, against the points service
(uvicorn process; each request carries the doctor's signed principal and a fresh Idempotency-Key). Every
redemption locks the catalog item row, then the chain head, checks the committed balance and appends the hold.

Requests go to the points service directly: through the gateway, one doctor's token is limited to 20 req/s by
design. No lost update means: exactly S succeed, the rest get 409 积分余额不足, the final balance is the initial
one minus S × 100, the held (pending) points are S × 100, the stock went down by S, and the ledger holds S hold
entries for the doctor.
"""

from __future__ import annotations

import time
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

import asyncpg
import httpx

from bench import load
from bench.context import Ctx, ScenarioResult, declare, load_stack
from bench.data import Directory, alliance_id, doctor_id, unit_id
from bench.ledger import ingest
from bench.procs import ServiceProcess
from bench.stats import Measurement
from libs.auth.deps import internal_auth_key
from libs.auth.principal import Principal, Role, sign_principal

TARGETS = (
    ("no lost update", "redemptions_no_lost_update", "==", 1.0, "value"),
    ("≥ 500 redemptions/s", "redemptions_per_s", ">=", 500, "value"),
)
NAME = "redemptions"
PRIZE = 100
AWARD_QUANTITY = 1000  # R02d inpatient 10 points × 1000 = 10,000 points per credited entry


async def run(ctx: Ctx) -> ScenarioResult:
    result = ScenarioResult(NAME, "Concurrent redemptions on one member (contended row)")
    stack = await load_stack(ctx)
    directory = Directory(ctx.scale)
    runs, checks = [], []
    for i in range(ctx.scale.runs):
        k = 50_000 + i if ctx.scale.doctors > 100_000 else 3 + i
        rate, check = await _one_run(ctx, stack["points"], ctx.shared["stack_url"], directory,
                                     directory.member_doctor(0, k))
        runs.append(rate)
        checks.append(check)
    result.detail["runs"] = checks
    result.add(Measurement.of_runs("redemptions_per_s", runs, "redemptions/s", clients=ctx.scale.redemption_clients))
    result.add(Measurement("redemptions_no_lost_update", float(all(c["no_lost_update"] for c in checks)), "bool"))
    result.measurements["redemptions_per_s"].against(ctx.baselines.get("raw_insert_commit"))
    declare(result, TARGETS)
    return result


async def _one_run(ctx: Ctx, points: ServiceProcess, url: str, directory: Directory, doc: int
                   ) -> tuple[float, dict[str, Any]]:
    a = directory.alliance_of_doctor(doc)
    unit = unit_id(directory.unit_of_doctor(doc))
    balance_points = ctx.scale.redemption_balance_points
    quantity = max(1, min(AWARD_QUANTITY, balance_points // 10))
    credits = max(1, balance_points // (10 * quantity))
    now = datetime.now(timezone.utc)
    lines = [{"alliance_id": alliance_id(a), "doctor_id": doctor_id(doc), "unit_id": unit, "rule": "R02d",
              "variant": "inpatient", "quantity": quantity,
              "occurred_at": (now - timedelta(days=1, seconds=k)).isoformat(),
              "source_event_id": f"bench:redeem-credit:{uuid.uuid4().hex}:{k}"} for k in range(credits)]
    await ingest(url, lines, batch=1_000)
    key = internal_auth_key()
    office = sign_principal(Principal(sub="bench-office", role=Role.ALLIANCE_OFFICE, alliance_id=alliance_id(a)), key)
    doctor = sign_principal(Principal(sub=f"user-{doctor_id(doc)}", role=Role.DOCTOR, doctor_id=doctor_id(doc),
                                      alliance_id=alliance_id(a), institution_id=unit), key)
    stock = 1_000_000
    async with httpx.AsyncClient(base_url=points.url, timeout=30) as http:
        item = await http.post("/catalog", headers={**office, "idempotency-key": uuid.uuid4().hex}, json={
            "name": "基准测试奖品", "description": "bench", "tier": PRIZE, "stock": stock,
            "valid_from": (date.today() - timedelta(days=30)).isoformat(),
            "valid_to": (date.today() + timedelta(days=30)).isoformat()})
        item.raise_for_status()
        item_id = item.json()["item_id"]
        before = (await http.get(f"/members/{doctor_id(doc)}/balance", headers=doctor)).json()
    expected = int(float(before["balance"])) // PRIZE
    attempts = expected + max(10, expected // 10)
    successes: list[float] = []

    async def request(http: httpx.AsyncClient, n: int) -> httpx.Response:
        response = await http.post("/redemptions", json={"item_id": item_id},
                                   headers={**doctor, "idempotency-key": uuid.uuid4().hex})
        if response.status_code == 201:
            successes.append(time.perf_counter())
        return response

    async def look(http: httpx.AsyncClient, n: int) -> httpx.Response:  # opens the connections, redeems nothing
        return await http.get(f"/members/{doctor_id(doc)}/balance", headers=doctor)

    started = time.perf_counter()
    with ctx.sampler.during("load:redemptions"), ctx.profiling(f"redemptions-{doctor_id(doc)}",
                                                               {"points": points.pid}):
        outcome = await load.closed_loop(points.url, request, clients=ctx.scale.redemption_clients,
                                         seconds=600, max_requests=attempts, ok_statuses=(201,), warmup=look)
    granted = len(successes)
    rate = granted / (max(successes) - started) if successes else 0.0
    check: dict[str, Any] = await _check(url, doctor_id(doc), item_id, stock)
    async with httpx.AsyncClient(base_url=points.url, timeout=30) as http:
        after = (await http.get(f"/members/{doctor_id(doc)}/balance", headers=doctor)).json()
    summary = outcome.summary()
    check.update({"doctor_id": doctor_id(doc), "initial_balance": before["balance"],
                  "final_balance": after["balance"], "final_pending": after["pending"],
                  "expected_successes": expected, "successes": granted, "attempts": attempts,
                  "statuses": summary["statuses"], "errors": summary["errors"],
                  "latency": {k: v for k, v in summary.items() if k.endswith("_ms")}})
    # What the database holds must agree everywhere: holds = redemption rows = stock taken = points moved from
    # the balance to pending; never more than the balance allowed; every 201 the clients saw is among them; and
    # with more attempts than the balance covers, all of it was used (unless a client gave up on a request).
    held = check["hold_entries"]
    check["no_lost_update"] = (
        held == check["redemption_rows"] == check["stock_taken"]
        and round(float(before["balance"]) - float(after["balance"])) == held * PRIZE
        and round(float(after["pending"]) - float(before["pending"])) == held * PRIZE
        and float(after["balance"]) >= 0 and held <= expected and granted <= held
        and (held == expected or bool(outcome.errors)))
    return rate, check


async def _check(url: str, doctor: str, item_id: str, stock: int) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        left = await conn.fetchval("SELECT stock FROM points.catalog_items WHERE item_id = $1", item_id)
        holds = await conn.fetchval("SELECT count(*) FROM points.ledger_entries WHERE stream = $1 AND "
                                    "entry_type = 'redemption_hold'", f"member:{doctor}")
        rows = await conn.fetchval("SELECT count(*) FROM points.redemptions WHERE item_id = $1", item_id)
        return {"stock_taken": stock - int(left), "hold_entries": int(holds), "redemption_rows": int(rows)}
    finally:
        await conn.close()
