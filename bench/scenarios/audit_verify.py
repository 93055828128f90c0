"""Auditor verify of an export, offline CLI.

The cached ledger is exported once with the project's CLI (``python -m services.points.export … > file``, sealed
with a checkpoint signed at export time; the file is cached next to the ledger) and verified with the offline
verifier exactly as an auditor runs it: ``python -m services.points.audit verify --export FILE --public-key KEY``
— a separate process, timed from spawn to exit (interpreter start included). Rate = entries / wall time.

Baseline: the hashing ceiling measured in the same run (``sha256(prev ‖ canonical)`` from memory on as many
processes as the verifier uses by default).
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from bench.context import Ctx, ScenarioResult, declare
from bench.engines import CACHE_DIR
from bench.stats import Measurement
from libs.kit.migrations import REPO_ROOT

TARGETS = (
    ("≥ 500,000 entries/s", "verify_entries_per_s", ">=", 500_000, "value"),
    ("≥ 0.5 × hashing ceiling", "verify_entries_per_s", ">=", 0.5, "ratio"),
)
NAME = "audit_verify"


def _env() -> dict[str, str]:
    import os

    return {**{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "NATS_URL"))},
            "PYTHONPATH": str(REPO_ROOT)}


async def ensure_export(ctx: Ctx, cache_dir: Path = CACHE_DIR) -> tuple[Path, Path, dict[str, object]]:
    """The export of the cached ledger (made once with the export CLI) and its public key."""
    assert ctx.ledger is not None
    stem = f"{ctx.ledger.database}-{ctx.ledger.entries}"
    export, key, record = (cache_dir / f"{stem}.ndjson", cache_dir / f"{stem}.pem",
                           cache_dir / f"{stem}.export.json")
    if all(p.exists() for p in (export, key, record)):
        return export, key, {**json.loads(record.read_text()), "reused": True}  # noqa: ASYNC240 (small file)
    for old in list(cache_dir.glob("bench_ledger_*.ndjson")):  # noqa: ASYNC240
        old.unlink()  # one export at a time: they are big
    url = ctx.engines.database_url(ctx.ledger.database)
    partial = export.with_suffix(".partial")
    started = time.perf_counter()
    with open(partial, "wb") as out:  # noqa: ASYNC230 (opened once, written by the child process)
        proc = await asyncio.to_thread(subprocess.run, [
            sys.executable, "-m", "services.points.export", "--database-url", url, "--public-key-out", str(key)],
            stdout=out, stderr=subprocess.PIPE, cwd=REPO_ROOT, env={**_env(), "POINTS_ENVIRONMENT": "local"})
    if proc.returncode != 0:
        raise RuntimeError(f"export failed: {proc.stderr.decode(errors='replace')[-2000:]}")
    partial.rename(export)
    info = {"seconds": round(time.perf_counter() - started, 1), "bytes": export.stat().st_size,
            "entries": ctx.ledger.entries}
    record.write_text(json.dumps(info))
    return export, key, {**info, "reused": False}


async def run(ctx: Ctx) -> ScenarioResult:
    result = ScenarioResult(NAME, "Auditor verify of an export (offline CLI)")
    export, key, info = await ensure_export(ctx, ctx.cache_dir)
    result.detail["export"] = info
    ctx.export_path, ctx.public_key_path = export, key
    rates, outputs = [], []
    for _ in range(ctx.scale.runs):
        started = time.perf_counter()
        proc = await asyncio.to_thread(subprocess.run, [
            sys.executable, "-m", "services.points.audit", "verify", "--export", str(export), "--public-key", str(key)],
            capture_output=True, text=True, cwd=REPO_ROOT, env=_env())
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(f"verify failed ({proc.returncode}): {proc.stdout[-1000:]} {proc.stderr[-1000:]}")
        found = re.search(r"OK: (\d+) entries", proc.stdout)
        entries = int(found.group(1)) if found else 0
        rates.append(entries / seconds)
        outputs.append({"seconds": round(seconds, 2), "entries": entries, "cli": proc.stdout.strip().splitlines()[-1]})
    verify = result.add(Measurement.of_runs("verify_entries_per_s", rates, "entries/s", runs_detail=outputs,
                                            export_bytes=info.get("bytes")))
    verify.against(ctx.baselines.get("sha256_chain_ceiling"))
    declare(result, TARGETS)
    return result
