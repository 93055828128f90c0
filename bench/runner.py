"""Runs the selected scenarios in order, collects every measurement, evaluates the targets, writes the results.

Order matters: the baselines first (every ratio is to a baseline of the same run), then the write scenarios
on fresh databases and the shared service stack, then the read/audit scenarios on the cached big ledger, the
year close last among those (it is the only one that writes to the cache, and cleans up after itself), then
memory (it reports the peaks sampled during all of the above) and the cold start.
"""

from __future__ import annotations

import importlib
import json
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import report
from bench.config import SCALES, Scale
from bench.context import Ctx, ScenarioResult, close_shared
from bench.engines import BENCH_DIR, CACHE_DIR, Engines, migration_heads
from bench.ledger import ensure_ledger
from bench.machine import load_snapshot, machine_info
from bench.procs import RssSampler

ORDER = ("baselines", "bulk_ingest", "gateway_award", "webhook_to_points", "redemptions", "reads", "audit_verify",
         "replay_rebuild", "year_close", "memory", "cold_start")
MODULES = {"baselines": "baselines", "bulk_ingest": "bulk", "gateway_award": "gateway_award",
           "webhook_to_points": "webhook", "redemptions": "redemptions", "reads": "reads",
           "audit_verify": "audit_verify", "replay_rebuild": "rebuild", "year_close": "year_close",
           "memory": "memory", "cold_start": "cold_start"}
NEEDS_LEDGER = {"reads", "audit_verify", "replay_rebuild", "year_close"}
ALIASES = {"bulk": "bulk_ingest", "gateway": "gateway_award", "webhook": "webhook_to_points",
           "rebuild": "replay_rebuild", "verify": "audit_verify", "leaderboard": "reads", "statement": "reads"}


@dataclass
class Options:
    scale: Scale
    seed: int
    only: list[str] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)
    ledger_budget_seconds: float = 25 * 60
    results_dir: Path = BENCH_DIR / "results"
    cache_dir: Path = CACHE_DIR
    docs_path: Path | None = None
    profile: bool = False


def select(only: list[str], skip: list[str]) -> list[str]:
    chosen = [ALIASES.get(n, n) for n in only] or list(ORDER)
    unknown = [n for n in chosen + skip if ALIASES.get(n, n) not in ORDER]
    if unknown:
        raise SystemExit(f"unknown scenario(s) {unknown}; known: {', '.join(ORDER)}")
    skipped = {ALIASES.get(n, n) for n in skip}
    selected = [n for n in ORDER if n in chosen and n not in skipped]
    if selected and "baselines" not in selected:
        selected.insert(0, "baselines")  # every figure is compared with a baseline of the same run
    return selected


async def run(engines: Engines, options: Options) -> dict[str, Any]:
    started_at = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    selected = select(options.only, options.skip)
    work_dir = options.cache_dir / "runs" / started_at.strftime("%Y%m%dT%H%M%S")
    work_dir.mkdir(parents=True, exist_ok=True)
    loads: dict[str, Any] = {"start": load_snapshot()}
    results: dict[str, Any] = {
        "format": "alliance-bench-results/1", "started_at": started_at.isoformat(timespec="seconds"),
        "seed": options.seed, "scale": {**options.scale.to_json(), "ledger_entries_actual": None},
        "selected": selected, "migration_heads": migration_heads(),
        "machine": machine_info(await engines.server_version()), "load": loads, "scenarios": {}}
    print(f"bench: scale {options.scale.name}, scenarios: {', '.join(selected)}", flush=True)
    template = await engines.migrated_template()
    sampler = RssSampler().start()
    ctx = Ctx(engines, options.scale, options.seed, template, work_dir, options.cache_dir, sampler,
              profile=options.profile)
    results["profiled"] = options.profile
    try:
        if NEEDS_LEDGER & set(selected):
            cache = await ensure_ledger(engines, template, options.scale, options.seed,
                                        budget_seconds=options.ledger_budget_seconds, cache_dir=options.cache_dir)
            ctx.ledger = cache
            results["ledger_cache"] = cache.to_json()
            results["scale"]["ledger_entries_actual"] = cache.entries
        for name in selected:
            results["scenarios"][name] = (await _run_one(ctx, name, loads)).to_json()
            _evaluate(results["scenarios"][name])
    finally:
        await close_shared(ctx)
        sampler.stop()
        await engines.drop(template)
    loads["end"] = load_snapshot()
    results["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    results["duration_s"] = round(time.perf_counter() - t0, 1)
    results["summary"] = _summary(results)
    return results


async def _run_one(ctx: Ctx, name: str, loads: dict[str, Any]) -> ScenarioResult:
    module = importlib.import_module(f"bench.scenarios.{MODULES[name]}")
    print(f"\n== {name}", flush=True)
    before = load_snapshot()
    ctx.profiles = {}
    t0 = time.perf_counter()
    try:
        result: ScenarioResult = await module.run(ctx)
    except Exception as exc:
        result = ScenarioResult(name, name, status="error", error="".join(
            traceback.format_exception(type(exc), exc, exc.__traceback__))[-4000:])
        print(f"   error: {exc!r}", flush=True)
        _declare_targets(module, result)
    result.seconds = time.perf_counter() - t0
    if ctx.profiles:
        result.detail["profile"] = ctx.profiles
        ctx.profiles = {}
    for target in result.targets:
        target.evaluate(result.measurements)
    loads[name] = {"before": before, "after": load_snapshot()}
    for m in result.measurements.values():
        ratio = f"  ({m.ratio:.2f}× {m.baseline})" if m.ratio is not None else ""
        print(f"   {m.name}: {report.fmt(m.value, m.unit)}{ratio}", flush=True)
    return result


def _declare_targets(module: Any, result: ScenarioResult) -> None:
    """A scenario that failed still lists its targets (as not met, not measured)."""
    for text, measurement, op, threshold, on in getattr(module, "TARGETS", ()):
        result.target(text, measurement, op, threshold, on=on)


def _evaluate(scenario: dict[str, Any]) -> None:
    for target in scenario["targets"]:
        target["measured"] = target["met"] is not None
        if target["met"] is None:
            target["met"] = False
            target["limited_by"] = target.get("limited_by") or (
                f"not measured ({scenario['status']})" if scenario["status"] != "ok" else "not measured")


def _summary(results: dict[str, Any]) -> dict[str, Any]:
    targets = [t for s in results["scenarios"].values() for t in s["targets"]]
    return {"targets": len(targets), "met": sum(1 for t in targets if t["met"]),
            "not_met": [f"{t['scenario']}: {t['text']}" for t in targets if not t["met"]]}


def write(results: dict[str, Any], options: Options) -> Path:
    day = results["started_at"][:10]
    suffix = "" if options.scale.name == "full" else f"-{options.scale.name}"
    path = options.results_dir / f"{day}{suffix}.json"
    report.write_json(path, results)
    if options.docs_path is not None:
        try:
            shown = str(path.relative_to(BENCH_DIR.parent))
        except ValueError:
            shown = str(path)
        report.write_docs(options.docs_path, report.generated_section(results, shown))
    return path


def load_results(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def scale_of(name: str) -> Scale:
    return SCALES[name]


async def build_cache(engines: Engines, options: Options) -> dict[str, Any]:
    """Only build (or resume) the cached ledger of the scale and its export: ``python -m bench --build-cache``."""
    from bench.scenarios.audit_verify import ensure_export

    template = await engines.migrated_template()
    try:
        cache = await ensure_ledger(engines, template, options.scale, options.seed,
                                    budget_seconds=options.ledger_budget_seconds, cache_dir=options.cache_dir)
        info: dict[str, Any] = {"ledger": cache.to_json()}
        if cache.complete or cache.entries:
            ctx = Ctx(engines, options.scale, options.seed, template, options.cache_dir, options.cache_dir,
                      RssSampler(), ledger=cache)
            export, _, record = await ensure_export(ctx, options.cache_dir)
            info["export"] = {"path": str(export), **record}
        return info
    finally:
        await engines.drop(template)
