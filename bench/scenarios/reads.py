"""Reads at the big ledger, through the points service (uvicorn process on the cached ledger).

- leaderboard top-100, individual and collective: ``GET /leaderboards/{individual|collective}?alliance_id&size=100``
  over all-time / each year in the ledger / by area (management, clinical), as a doctor of the alliance;
- member statement page: ``GET /members/{doctor}/entries?limit=50`` (newest first, keyset on
  ``(stream, stream_version)``) for doctors drawn from the generated activity, as the doctor.

The latency targets are measured one request at a time (what a request costs through the service); the same
requests from ``read_clients`` concurrent readers are recorded too (p99 then includes queueing inside the single
service process on a 2-core machine shared with PostgreSQL and the load generator).

Baselines in the same run: the same leaderboard query on the maintained ``earnings`` table straight through
asyncpg (what the service adds is HTTP, auth, SQLAlchemy, JSON), the naive ``GROUP BY`` over the ledger the
design avoids, and the statement's keyset query straight through asyncpg.
"""

from __future__ import annotations

import random
import time

import asyncpg
import httpx

from bench import load
from bench.context import Ctx, ScenarioResult, declare, ledger_points
from bench.data import Directory, alliance_id, doctor_id
from bench.stats import Measurement, latency_summary
from libs.auth.deps import internal_auth_key
from libs.auth.principal import Principal, Role, sign_principal

TARGETS = (
    ("p99 ≤ 5 ms through the service (individual)", "leaderboard_individual_p99", "<=", 5.0, "value"),
    ("p99 ≤ 5 ms through the service (collective)", "leaderboard_collective_p99", "<=", 5.0, "value"),
    ("p99 ≤ 10 ms", "statement_page_p99", "<=", 10.0, "value"),
)
NAME = "reads"
BOARD_SQL = ("SELECT e.subject, e.points_tenths, d.{label} FROM points.earnings e "
             "LEFT JOIN points.{names} d ON d.{key} = e.subject WHERE e.alliance_id = $1 AND e.scope = $2 "
             "AND e.year = $3 AND e.area = $4 AND e.points_tenths <> 0 ORDER BY e.points_tenths DESC, e.subject "
             "LIMIT 101")
GROUP_BY_SQL = ("SELECT doctor_id, sum(amount_tenths) AS points FROM points.ledger_entries WHERE alliance_id = $1 "
                "AND entry_type = 'award' GROUP BY doctor_id ORDER BY points DESC, doctor_id LIMIT 100")
STATEMENT_SQL = ("SELECT * FROM points.ledger_entries WHERE stream = $1 ORDER BY stream_version DESC LIMIT 51")


def variants(years: list[int]) -> list[tuple[int | None, str | None]]:
    """all-time / each year / by area (all-time and the last year): the boards a doctor opens."""
    last = years[-1] if years else 2025
    return [(None, None), *((y, None) for y in years), (None, "management"), (last, "clinical")]


async def run(ctx: Ctx) -> ScenarioResult:
    result = ScenarioResult(NAME, "Leaderboards and statements at the big ledger")
    points = await ledger_points(ctx)
    url = ctx.engines.database_url(ctx.ledger.database)  # type: ignore[union-attr]
    directory = Directory(ctx.scale)
    rng = random.Random(ctx.seed)
    doctors = await _active_doctors(url, rng, 2_000)
    years = await _years(url)
    boards = variants(years)
    result.detail["years"] = years
    principals = {a: sign_principal(Principal(sub=f"bench-reader-{a}", role=Role.DOCTOR,
                                              doctor_id=doctor_id(directory.member_doctor(a, 1)),
                                              alliance_id=alliance_id(a)), internal_auth_key())
                  for a in range(ctx.scale.alliances)}

    def board(scope: str):  # type: ignore[no-untyped-def]
        async def request(http: httpx.AsyncClient, n: int) -> httpx.Response:
            a = (n * 7) % ctx.scale.alliances
            year, area = boards[n % len(boards)]
            params: dict[str, object] = {"alliance_id": alliance_id(a), "size": 100}
            if year:
                params["year"] = year
            if area:
                params["area"] = area
            return await http.get(f"/leaderboards/{scope}", params=params, headers=principals[a])
        return request

    async def statement(http: httpx.AsyncClient, n: int) -> httpx.Response:
        doc = doctors[n % len(doctors)]
        headers = sign_principal(Principal(sub=f"user-{doc}", role=Role.DOCTOR, doctor_id=doc), internal_auth_key())
        return await http.get(f"/members/{doc}/entries", params={"limit": 50}, headers=headers)

    for label, request in (("leaderboard_individual", board("individual")),
                           ("leaderboard_collective", board("collective")), ("statement_page", statement)):
        # The latency target: one client at a time (what one request costs through the service) …
        runs = []
        for i in range(ctx.scale.runs):
            with ctx.sampler.during(f"load:{label}"), ctx.profiling(f"{label}-{i}", {"points": points.pid}):
                runs.append(await load.closed_loop(points.url, request, clients=1, seconds=600,
                                                   max_requests=ctx.scale.read_requests, warmup_requests=10))
        summaries = [r.summary() for r in runs]
        bad = sum(sum(v for k, v in s["statuses"].items() if k != "200") for s in summaries)
        result.add(Measurement.of_runs(f"{label}_p99", [s["p99_ms"] for s in summaries], "ms", clients=1,
                                       requests=ctx.scale.read_requests, non_200=bad, runs_detail=summaries))
        result.add(Measurement.of_runs(f"{label}_p50", [s["p50_ms"] for s in summaries], "ms", clients=1))
        # … and, for reference, with concurrent readers (queueing in the one service process included).
        with ctx.sampler.during(f"load:{label}"):
            busy = await load.closed_loop(points.url, request, clients=ctx.scale.read_clients, seconds=600,
                                          max_requests=ctx.scale.read_requests, warmup_requests=10)
        result.add(Measurement(f"{label}_p99_concurrent", busy.summary()["p99_ms"], "ms",
                               detail={"clients": ctx.scale.read_clients, **busy.summary()}))
        result.add(Measurement(f"{label}_throughput_concurrent", busy.throughput, "req/s",
                               detail={"clients": ctx.scale.read_clients}))
    raw = await _raw_baselines(url, ctx, doctors, boards)
    for measurement in raw.values():
        result.add(measurement)
    result.measurements["leaderboard_individual_p99"].against(raw["leaderboard_raw_p99"])
    result.measurements["leaderboard_collective_p99"].against(raw["leaderboard_raw_p99"])
    result.measurements["statement_page_p99"].against(raw["statement_raw_p99"])
    declare(result, TARGETS)
    return result


async def _active_doctors(url: str, rng: random.Random, count: int) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT owner FROM points.balances WHERE kind = 'member' AND version > 0")
    finally:
        await conn.close()
    owners = sorted(r["owner"] for r in rows)
    return rng.sample(owners, min(count, len(owners)))


async def _years(url: str) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        return [int(r["year"]) for r in await conn.fetch("SELECT DISTINCT year FROM points.year_stats ORDER BY 1")]
    finally:
        await conn.close()


async def _raw_baselines(url: str, ctx: Ctx, doctors: list[str], boards: list[tuple[int | None, str | None]]
                         ) -> dict[str, Measurement]:
    conn = await asyncpg.connect(url)
    try:
        board_times, statement_times = [], []
        for n in range(max(200, ctx.scale.read_requests // 2)):
            a = (n * 7) % ctx.scale.alliances
            year, area = boards[n % len(boards)]
            scope, names, key, label = (("member", "dir_doctors", "doctor_id", "display_name") if n % 2 == 0
                                        else ("unit", "dir_institutions", "institution_id", "name"))
            t0 = time.perf_counter()
            await conn.fetch(BOARD_SQL.format(names=names, key=key, label=label), alliance_id(a), scope, year or 0,
                             area or "*")
            board_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await conn.fetch(STATEMENT_SQL, f"member:{doctors[n % len(doctors)]}")
            statement_times.append(time.perf_counter() - t0)
        group_by = []
        for a in range(min(ctx.scale.runs, ctx.scale.alliances)):
            t0 = time.perf_counter()
            await conn.fetch(GROUP_BY_SQL, alliance_id(a))
            group_by.append((time.perf_counter() - t0) * 1000)
    finally:
        await conn.close()
    board, stmt = latency_summary(board_times), latency_summary(statement_times)
    return {"leaderboard_raw_p99": Measurement("leaderboard_raw_p99", board["p99_ms"], "ms", detail=board),
            "leaderboard_raw_p50": Measurement("leaderboard_raw_p50", board["p50_ms"], "ms"),
            "leaderboard_group_by": Measurement.of_runs("leaderboard_group_by", group_by, "ms",
                                                        query="GROUP BY over ledger_entries of one alliance"),
            "statement_raw_p99": Measurement("statement_raw_p99", stmt["p99_ms"], "ms", detail=stmt)}
