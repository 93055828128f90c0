"""Single award via the gateway (two hops), 64 concurrent clients.

Client → gateway (JWT verification, route policy, security audit, signed principal) → points service
(Idempotency-Key in the request's transaction, eligibility from the directory replica, scheme computation,
``append_entries`` under the chain lock, projections, outbox) — both real uvicorn processes. Each request is an
office's direct award (R02b outpatient, 2 points) to a different doctor of its alliance, with a fresh
Idempotency-Key. Compared with the bare FastAPI + one INSERT endpoint, same load generator and concurrency.

The gateway's per-client rate limit (20 req/s by default) is lifted for the run: it is a policy, not capacity.
"""

from __future__ import annotations

import uuid

import httpx

from bench import load
from bench.context import Ctx, ScenarioResult, declare, gateway_token, load_stack
from bench.data import Directory, alliance_id, doctor_id
from bench.stats import Measurement
from libs.auth.principal import Principal, Role

TARGETS = (
    ("≥ 0.4 × bare FastAPI+INSERT throughput", "gateway_award_throughput", ">=", 0.4, "ratio"),
    ("p99 ≤ 50 ms", "gateway_award_p99", "<=", 50.0, "value"),
)
NAME = "gateway_award"


async def run(ctx: Ctx) -> ScenarioResult:
    result = ScenarioResult(NAME, "Single award via the gateway (two hops)")
    stack = await load_stack(ctx)
    gateway = stack["gateway"]
    directory = Directory(ctx.scale)
    alliances = ctx.scale.alliances
    tokens = [gateway_token(Principal(sub=f"bench-office-{a:02d}", role=Role.ALLIANCE_OFFICE,
                                      alliance_id=alliance_id(a))) for a in range(alliances)]
    offset = ctx.shared.setdefault("award_offset", 0)

    async def request(http: httpx.AsyncClient, n: int) -> httpx.Response:
        k = n + offset + 10_000_000  # warm-up requests have negative n
        a = k % alliances
        doctor = doctor_id(directory.member_doctor(a, k // alliances))
        body = {"rule": "R02b", "variant": "outpatient", "doctor_id": doctor, "facts": {}}
        return await http.post("/api/v1/points/awards/direct", json=body, headers={
            "authorization": f"Bearer {tokens[a]}", "idempotency-key": uuid.uuid4().hex})

    runs = []
    for i in range(ctx.scale.runs):
        with ctx.sampler.during("load:gateway_award"), ctx.profiling(f"gateway_award-{i}", {
                "gateway": gateway.pid, "points": stack["points"].pid}):
            runs.append(await load.closed_loop(gateway.url, request, clients=ctx.scale.clients,
                                               seconds=ctx.scale.load_seconds, warmup_requests=20 if i == 0 else 0))
    ctx.shared["award_offset"] = offset + sum(r.ok + sum(r.errors.values()) for r in runs) + 100
    summaries = [r.summary() for r in runs]
    throughput = result.add(Measurement.of_runs("gateway_award_throughput", [r.throughput for r in runs], "req/s",
                                                clients=ctx.scale.clients, seconds=ctx.scale.load_seconds,
                                                runs_detail=summaries))
    throughput.against(ctx.baselines.get("bare_endpoint_throughput"))
    p99 = result.add(Measurement.of_runs("gateway_award_p99", [s["p99_ms"] for s in summaries], "ms"))
    p99.against(ctx.baselines.get("bare_endpoint_p99"))
    result.add(Measurement.of_runs("gateway_award_p50", [s["p50_ms"] for s in summaries], "ms"))
    failures = sum(sum(v for k, v in s["statuses"].items() if k not in ("200", "201")) + sum(s["errors"].values())
                   for s in summaries)
    result.add(Measurement("gateway_award_failures", float(failures), "requests"))
    declare(result, TARGETS)
    return result
