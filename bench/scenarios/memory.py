"""Memory: each service's resident set size idle and under the load of the other scenarios.

Every service and the gateway run as their own uvicorn process (``libs.devstack``'s command line). RSS (psutil,
process + children) is sampled every 0.25 s for the whole run: "idle" is the median over 5 s once a freshly
started service has settled (10 s after it answered /ready … or 6 s for the points service on the big ledger);
"under load" is the peak while any load scenario ran against it (gateway awards, webhooks, redemptions, reads,
year close). Run it after the load scenarios (``make bench`` does).
"""

from __future__ import annotations

from bench.context import Ctx, ScenarioResult, declare, load_stack
from bench.stats import Measurement

TARGETS = (
    ("each service ≤ 150 MB RSS idle", "rss_idle_max", "<=", 150.0, "value"),
    ("each service ≤ 300 MB RSS under load", "rss_load_max", "<=", 300.0, "value"),
)
NAME = "memory"


async def run(ctx: Ctx) -> ScenarioResult:
    result = ScenarioResult(NAME, "Memory (RSS) per service, idle and under load")
    await load_stack(ctx)
    summary = ctx.sampler.summary()
    result.detail["services"] = summary
    idle = {name: s["idle_mb"] for name, s in summary.items() if s["idle_mb"] is not None and name != "bare"}
    peak = {name: s["load_peak_mb"] for name, s in summary.items() if s["load_peak_mb"] is not None
            and name != "bare"}
    for name, value in sorted(idle.items()):
        result.add(Measurement(f"rss_idle_{name}", value, "MB"))
    for name, value in sorted(peak.items()):
        result.add(Measurement(f"rss_load_peak_{name}", value, "MB"))
    if idle:
        worst = max(idle, key=lambda n: idle[n])
        result.add(Measurement("rss_idle_max", idle[worst], "MB", detail={"service": worst}))
    if peak:
        worst = max(peak, key=lambda n: peak[n])
        result.add(Measurement("rss_load_max", peak[worst], "MB", detail={"service": worst}))
    else:
        result.notes.append("no load scenario ran in this selection: the peak under load is not measured")
    declare(result, TARGETS)
    return result
