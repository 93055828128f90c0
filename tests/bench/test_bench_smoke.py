"""The benchmark harness works: every scenario runs at a tiny scale against the test session's engines and the
results have the right shape — measurements, same-run baselines with their ratios, a met flag per target,
machine info, the JSON file and the generated docs section.

No wall-clock threshold is asserted here (figures on a shared test machine mean nothing); ``make bench`` is
where the numbers are produced.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import asyncpg
import pytest

from bench import report
from bench.config import SCALES
from bench.engines import Engines
from bench.runner import ORDER, Options, run, write
from tests.harness import engines as harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# Every scenario but the cold start (it binds the fixed ports 8101–8104 of `make run`).
SCENARIOS = [name for name in ORDER if name != "cold_start"]
RATIOS = {  # measurement → its same-run baseline
    "bulk_entries_per_s": "raw_copy_ledger_rows",
    "gateway_award_throughput": "bare_endpoint_throughput",
    "webhook_visible_p99": "jetstream_roundtrip_p99",
    "redemptions_per_s": "raw_insert_commit",
    "leaderboard_individual_p99": "leaderboard_raw_p99",
    "statement_page_p99": "statement_raw_p99",
    "verify_entries_per_s": "sha256_chain_ceiling",
}


async def test_the_harness_runs_every_scenario_at_a_tiny_scale(engines: harness.Engines, tmp_path: Path) -> None:
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\nHand-written prose stays.\n")
    options = Options(scale=SCALES["tiny"], seed=7, only=SCENARIOS, results_dir=tmp_path / "results",
                      cache_dir=tmp_path / "cache", docs_path=docs, ledger_budget_seconds=600)
    bench_engines = Engines.external(engines.pg_server_url, engines.nats_url)
    try:
        results = await run(bench_engines, options)
    finally:
        await _drop_bench_databases(engines.pg_server_url)

    assert results["selected"] == SCENARIOS
    assert set(results["scenarios"]) == set(SCENARIOS)
    errors = {n: s["error"] for n, s in results["scenarios"].items() if s["status"] != "ok"}
    assert not errors, errors
    assert results["scale"]["ledger_entries_actual"] == SCALES["tiny"].ledger_entries
    assert results["ledger_cache"]["complete"] is True
    for key in ("logical_cores", "ram_gb", "python", "postgres", "nats", "cpu_model"):
        assert results["machine"][key], key
    assert "loadavg_1m" in results["load"]["start"] and "loadavg_1m" in results["load"]["end"]

    measurements = {name: m for s in results["scenarios"].values() for name, m in s["measurements"].items()}
    for name, m in measurements.items():
        assert m["unit"] and (m["value"] is None or isinstance(m["value"], (int, float))), name
    for name, baseline in RATIOS.items():
        m = measurements[name]
        assert m["baseline"] == baseline, name
        assert m["baseline_value"] == measurements[baseline]["value"], name
        assert m["ratio"] is not None and math.isclose(m["ratio"], m["value"] / m["baseline_value"]), name

    targets = [t for s in results["scenarios"].values() for t in s["targets"]]
    assert len(targets) >= 20
    for target in targets:
        assert isinstance(target["met"], bool) and target["measured"] is True, target
        assert target["actual"] is not None, target
    assert results["summary"]["targets"] == len(targets)
    assert measurements["redemptions_no_lost_update"]["value"] == 1.0  # correctness, not speed
    assert measurements["rebuild_consistent"]["value"] == 1.0

    path = write(results, options)
    assert json.loads(path.read_text())["scenarios"].keys() == results["scenarios"].keys()
    text = docs.read_text()
    assert text.startswith("# Benchmarks\n\nHand-written prose stays.") and report.START in text and report.END in text
    assert all(t["text"].replace("|", "\\|") in text for t in targets)
    table = report.print_summary(results)
    assert "baseline (same run)" in table and "bulk_ingest" in table


async def _drop_bench_databases(server_url: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        for row in await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'bench\\_%'"):
            await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await conn.close()
