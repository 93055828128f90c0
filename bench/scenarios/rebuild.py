"""Replay + rebuild of the projections from PostgreSQL, at the big ledger.

``python -m services.points.rebuild --check --database-url URL`` — the operator's CLI: one streaming pass over
the log (in parallel partitions by default), every award recomputed from its scheme version, every row checked
against its hashed bytes, the projections rebuilt and compared with the live tables. Timed from spawn to exit;
the resident memory of the CLI and its worker processes is sampled every 0.25 s.

"Memory flat (streaming)": the peak RSS of the second half of the run is compared with the peak of the first
half — a scan that accumulated rows would keep growing (ratio well above 1); a streaming one levels off once the
per-account state (200,000 members × years × areas) is in memory.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import psutil

from bench.context import Ctx, ScenarioResult, declare
from bench.procs import MB
from bench.scenarios.audit_verify import _env
from bench.stats import Measurement
from libs.kit.migrations import REPO_ROOT

TARGETS = (
    ("≤ 60 s", "rebuild_seconds", "<=", 60.0, "value"),
    ("memory flat (2nd-half peak ≤ 1.2 × 1st-half peak)", "rebuild_rss_growth", "<=", 1.2, "value"),
)
NAME = "replay_rebuild"


async def run(ctx: Ctx) -> ScenarioResult:
    assert ctx.ledger is not None
    result = ScenarioResult(NAME, "Replay + rebuild of projections from PostgreSQL")
    url = ctx.engines.database_url(ctx.ledger.database)
    durations, peaks, growths, outputs = [], [], [], []
    for _ in range(1 if ctx.scale.name == "full" else ctx.scale.runs):
        seconds, samples, code, output = await asyncio.to_thread(_run_sampled, [
            sys.executable, "-m", "services.points.rebuild", "--check", "--database-url", url])
        if code not in (0, 1):
            raise RuntimeError(f"rebuild --check failed ({code}): {output[-2000:]}")
        durations.append(seconds)
        values = [rss for _, rss in samples] or [0]
        peaks.append(max(values) / MB)
        half = [rss for t, rss in samples if t <= seconds / 2] or [0]
        rest = [rss for t, rss in samples if t > seconds / 2] or [0]
        growths.append(max(rest) / max(max(half), 1))
        outputs.append({"exit": code, "seconds": round(seconds, 1), "peak_rss_mb": round(max(values) / MB, 1),
                        "rss_mb_every_10pct": _deciles(samples, seconds), "output": output.strip()[-400:]})
    result.detail["runs"] = outputs
    result.add(Measurement.of_runs("rebuild_seconds", durations, "s", entries=ctx.ledger.entries))
    result.add(Measurement.of_runs("rebuild_entries_per_s", [ctx.ledger.entries / d for d in durations],
                                   "entries/s"))
    result.add(Measurement.of_runs("rebuild_peak_rss", peaks, "MB"))
    result.add(Measurement.of_runs("rebuild_rss_growth", growths, "× (2nd-half peak / 1st-half peak)"))
    result.add(Measurement("rebuild_consistent", float(all(o["exit"] == 0 for o in outputs)), "bool"))
    declare(result, TARGETS)
    return result


def _run_sampled(cmd: list[str]) -> tuple[float, list[tuple[float, int]], int, str]:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO_ROOT, env=_env(),
                            text=True)
    samples: list[tuple[float, int]] = []
    try:
        parent = psutil.Process(proc.pid)
        while proc.poll() is None:
            total = 0
            try:
                total = parent.memory_info().rss
                for child in parent.children(recursive=True):
                    try:
                        total += child.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            if total:
                samples.append((time.perf_counter() - started, total))
            time.sleep(0.25)
    finally:
        output = proc.communicate()[0]
    return time.perf_counter() - started, samples, proc.returncode, output


def _deciles(samples: list[tuple[float, int]], seconds: float) -> list[float]:
    out = []
    for k in range(1, 11):
        window = [rss for t, rss in samples if (k - 1) * seconds / 10 < t <= k * seconds / 10]
        out.append(round(max(window) / MB, 1) if window else 0.0)
    return out
